//! Login throttling: after a few free failures, each further attempt for the same key (an
//! account or a client address) must wait, twice as long each time, up to a ceiling. There is
//! no permanent lockout that an attacker could turn against the owner: waits end by
//! themselves, and a quiet period forgets the failures. Pure: the caller passes the time.

use std::collections::HashMap;
use std::time::Duration;

/// How one kind of key is throttled.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// Failures allowed before any wait.
    pub free: u32,
    /// The first wait; each further failure doubles it.
    pub first_wait: Duration,
    /// The longest wait.
    pub max_wait: Duration,
    /// Failures are forgotten after this long without one.
    pub forget_after: Duration,
}

/// Per account: five tries, then 1 s, 2 s, 4 s ... up to 15 minutes.
pub const ACCOUNT: Policy = Policy {
    free: 5,
    first_wait: Duration::from_secs(1),
    max_wait: Duration::from_secs(15 * 60),
    forget_after: Duration::from_secs(60 * 60),
};

/// Per client address: more room (an office behind one address), same growth.
pub const ADDRESS: Policy = Policy {
    free: 20,
    first_wait: Duration::from_secs(1),
    max_wait: Duration::from_secs(15 * 60),
    forget_after: Duration::from_secs(60 * 60),
};

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    last_failure_ms: i64,
}

/// Failures per key, bounded in size.
#[derive(Debug)]
pub struct Throttle {
    policy: Policy,
    entries: HashMap<String, Entry>,
}

/// The most keys remembered; beyond it the oldest quiet ones are forgotten.
const MAX_KEYS: usize = 100_000;

impl Throttle {
    pub fn new(policy: Policy) -> Throttle {
        Throttle {
            policy,
            entries: HashMap::new(),
        }
    }

    /// The wait the `failures`-th failure imposes.
    fn wait_after(&self, failures: u32) -> Duration {
        if failures < self.policy.free {
            return Duration::ZERO;
        }
        let doublings = (failures - self.policy.free).min(20);
        self.policy
            .first_wait
            .saturating_mul(1 << doublings)
            .min(self.policy.max_wait)
    }

    fn live(&self, key: &str, now_ms: i64) -> Option<Entry> {
        let entry = *self.entries.get(key)?;
        let quiet =
            Duration::from_millis(now_ms.saturating_sub(entry.last_failure_ms).max(0) as u64);
        (quiet < self.policy.forget_after).then_some(entry)
    }

    /// `Err(wait)` while `key` must still wait before its next attempt.
    pub fn check(&self, key: &str, now_ms: i64) -> Result<(), Duration> {
        let Some(entry) = self.live(key, now_ms) else {
            return Ok(());
        };
        let wait = i64::try_from(self.wait_after(entry.failures).as_millis()).unwrap_or(i64::MAX);
        let ready_at = entry.last_failure_ms.saturating_add(wait);
        if now_ms >= ready_at {
            Ok(())
        } else {
            Err(Duration::from_millis((ready_at - now_ms) as u64))
        }
    }

    /// Records a failed attempt.
    pub fn failed(&mut self, key: &str, now_ms: i64) {
        let failures = self
            .live(key, now_ms)
            .map_or(0, |e| e.failures)
            .saturating_add(1);
        if self.entries.len() >= MAX_KEYS && !self.entries.contains_key(key) {
            self.forget_quiet(now_ms);
        }
        self.entries.insert(
            key.to_string(),
            Entry {
                failures,
                last_failure_ms: now_ms,
            },
        );
    }

    /// Checks `key` and, when it may try, counts the attempt as a failure at once, in one
    /// step: of many concurrent attempts only the free ones go on to the (slow) password
    /// check, however many arrive before the first is decided. A success then calls
    /// [`Throttle::succeeded`] or [`Throttle::release`].
    pub fn reserve(&mut self, key: &str, now_ms: i64) -> Result<(), Duration> {
        self.check(key, now_ms)?;
        self.failed(key, now_ms);
        Ok(())
    }

    /// Takes back one reserved attempt that turned out to succeed (for keys shared by many
    /// accounts, such as an address, whose other failures still count).
    pub fn release(&mut self, key: &str) {
        if let Some(entry) = self.entries.get_mut(key) {
            entry.failures = entry.failures.saturating_sub(1);
            if entry.failures == 0 {
                self.entries.remove(key);
            }
        }
    }

    /// Forgets a key's failures (after a successful sign-in).
    pub fn succeeded(&mut self, key: &str) {
        self.entries.remove(key);
    }

    fn forget_quiet(&mut self, now_ms: i64) {
        let forget = self.policy.forget_after.as_millis() as i64;
        self.entries
            .retain(|_, e| now_ms - e.last_failure_ms < forget);
        if self.entries.len() >= MAX_KEYS {
            // Still full of recent failures: drop the oldest half.
            let mut times: Vec<i64> = self.entries.values().map(|e| e.last_failure_ms).collect();
            times.sort_unstable();
            let cut = times[times.len() / 2];
            self.entries.retain(|_, e| e.last_failure_ms > cut);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_free_attempts_pass_then_waits_double_up_to_the_ceiling() {
        let mut throttle = Throttle::new(ACCOUNT);
        let mut now = 1_000_000;
        for _ in 0..4 {
            throttle.failed("ana", now);
            assert_eq!(throttle.check("ana", now), Ok(()));
        }
        throttle.failed("ana", now);
        assert_eq!(throttle.check("ana", now), Err(Duration::from_secs(1)));
        now += 1000;
        assert_eq!(throttle.check("ana", now), Ok(()));
        throttle.failed("ana", now);
        assert_eq!(throttle.check("ana", now), Err(Duration::from_secs(2)));
        for _ in 0..30 {
            throttle.failed("ana", now);
        }
        assert_eq!(
            throttle.check("ana", now),
            Err(Duration::from_secs(15 * 60))
        );
        assert_eq!(
            throttle.check("bob", now),
            Ok(()),
            "other keys are untouched"
        );
    }

    #[test]
    fn success_and_a_quiet_hour_forget_the_failures() {
        let mut throttle = Throttle::new(ACCOUNT);
        for _ in 0..10 {
            throttle.failed("ana", 0);
        }
        assert!(throttle.check("ana", 1).is_err());
        assert_eq!(throttle.check("ana", 3_600_000), Ok(()));
        throttle.failed("ana", 3_600_000);
        assert_eq!(
            throttle.check("ana", 3_600_000),
            Ok(()),
            "counting starts again"
        );
        for _ in 0..10 {
            throttle.failed("ana", 3_600_000);
        }
        throttle.succeeded("ana");
        assert_eq!(throttle.check("ana", 3_600_000), Ok(()));
    }

    #[test]
    fn the_table_stays_bounded() {
        let mut throttle = Throttle::new(ADDRESS);
        for i in 0..(MAX_KEYS + 10) {
            throttle.failed(&format!("10.0.{i}"), i as i64);
        }
        assert!(throttle.entries.len() <= MAX_KEYS);
    }

    #[test]
    fn reserving_counts_the_attempt_before_it_is_decided() {
        let mut throttle = Throttle::new(ACCOUNT);
        let now = 1_000_000;
        let admitted = (0..60)
            .filter(|_| throttle.reserve("ana", now).is_ok())
            .count();
        assert_eq!(
            admitted, ACCOUNT.free as usize,
            "only the free attempts go on at once"
        );
        let mut shared = Throttle::new(ADDRESS);
        shared.reserve("10.0.0.1", now).expect("free");
        shared.reserve("10.0.0.1", now).expect("free");
        shared.release("10.0.0.1");
        assert_eq!(
            shared.entries["10.0.0.1"].failures, 1,
            "one success takes back one"
        );
        shared.release("10.0.0.1");
        assert!(!shared.entries.contains_key("10.0.0.1"));
    }
}

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

#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    failures: u32,
    last_failure_ms: i64,
    /// Attempts admitted and not decided yet (their passwords are being checked).
    pending: u32,
}

/// Whether an attempt may go on to the password check now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Go on; report the outcome with [`Throttle::settle`].
    Admitted,
    /// Should the attempts in flight all fail, this one would have to wait: wait for one of
    /// them to be decided, then ask again.
    Pending,
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

    /// The key's entry as it counts now: failures after a quiet period are forgotten.
    fn live(&self, key: &str, now_ms: i64) -> Option<Entry> {
        let mut entry = *self.entries.get(key)?;
        let quiet =
            Duration::from_millis(now_ms.saturating_sub(entry.last_failure_ms).max(0) as u64);
        if quiet >= self.policy.forget_after {
            entry.failures = 0;
        }
        (entry.failures > 0 || entry.pending > 0).then_some(entry)
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
        let pending = self.entries.get(key).map_or(0, |e| e.pending);
        self.entries.insert(
            key.to_string(),
            Entry {
                failures,
                last_failure_ms: now_ms,
                pending,
            },
        );
    }

    /// Admits an attempt for `key` before its (slow) password check: of many concurrent
    /// attempts only as many go on as the free ones left, however many arrive before the
    /// first is decided; the others wait for those in flight (all of them pass once one
    /// succeeds, so a person signing in from several tabs at once is not refused). `Err`
    /// while `key` must wait.
    pub fn admit(&mut self, key: &str, now_ms: i64) -> Result<Admission, Duration> {
        self.check(key, now_ms)?;
        let mut entry = self.live(key, now_ms).unwrap_or_default();
        if entry.pending > 0 && entry.failures.saturating_add(entry.pending) >= self.policy.free {
            return Ok(Admission::Pending);
        }
        entry.pending = entry.pending.saturating_add(1);
        if self.entries.len() >= MAX_KEYS && !self.entries.contains_key(key) {
            self.forget_quiet(now_ms);
        }
        self.entries.insert(key.to_string(), entry);
        Ok(Admission::Admitted)
    }

    /// Reports the outcome of an admitted attempt: a failure counts, a success forgets the
    /// key's failures when `forget_on_success` (an account), else only ends the attempt (an
    /// address, shared by many accounts).
    pub fn settle(&mut self, key: &str, failed: bool, forget_on_success: bool, now_ms: i64) {
        let Some(entry) = self.entries.get_mut(key) else {
            if failed {
                self.failed(key, now_ms);
            }
            return;
        };
        entry.pending = entry.pending.saturating_sub(1);
        if failed {
            entry.failures = entry.failures.saturating_add(1);
            entry.last_failure_ms = now_ms;
        } else if forget_on_success {
            entry.failures = 0;
        }
        if entry.failures == 0 && entry.pending == 0 {
            self.entries.remove(key);
        }
    }

    fn forget_quiet(&mut self, now_ms: i64) {
        let forget = self.policy.forget_after.as_millis() as i64;
        self.entries
            .retain(|_, e| e.pending > 0 || now_ms.saturating_sub(e.last_failure_ms) < forget);
        if self.entries.len() >= MAX_KEYS {
            // Still full of recent failures: drop the oldest half.
            let mut times: Vec<i64> = self.entries.values().map(|e| e.last_failure_ms).collect();
            times.sort_unstable();
            let cut = times[times.len() / 2];
            self.entries
                .retain(|_, e| e.pending > 0 || e.last_failure_ms > cut);
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
        // Once the wait is over, the right password forgets the failures.
        let later = 3_600_000 + 15 * 60 * 1000;
        assert_eq!(throttle.admit("ana", later), Ok(Admission::Admitted));
        throttle.settle("ana", false, true, later);
        assert!(!throttle.entries.contains_key("ana"), "failures forgotten");
        throttle.failed("ana", later);
        assert_eq!(
            throttle.check("ana", later),
            Ok(()),
            "counting starts again"
        );
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
    fn concurrent_attempts_beyond_the_free_ones_wait_for_those_in_flight() {
        let mut throttle = Throttle::new(ACCOUNT);
        let now = 1_000_000;
        let admitted = (0..60)
            .filter(|_| throttle.admit("ana", now) == Ok(Admission::Admitted))
            .count();
        assert_eq!(
            admitted, ACCOUNT.free as usize,
            "only the free attempts go on at once"
        );
        // Wrong passwords: once the five are decided, the rest must wait.
        for _ in 0..5 {
            throttle.settle("ana", true, true, now);
        }
        assert!(throttle.admit("ana", now).is_err());

        // The right password in several tabs at once: the first success lets the rest in.
        let mut throttle = Throttle::new(ACCOUNT);
        for _ in 0..5 {
            assert_eq!(throttle.admit("bea", now), Ok(Admission::Admitted));
        }
        assert_eq!(throttle.admit("bea", now), Ok(Admission::Pending));
        throttle.settle("bea", false, true, now);
        assert_eq!(throttle.admit("bea", now), Ok(Admission::Admitted));

        // An address shared by many accounts keeps its other failures after a success.
        let mut shared = Throttle::new(ADDRESS);
        shared.failed("10.0.0.1", now);
        assert_eq!(shared.admit("10.0.0.1", now), Ok(Admission::Admitted));
        shared.settle("10.0.0.1", false, false, now);
        assert_eq!(shared.entries["10.0.0.1"].failures, 1);
        assert_eq!(shared.entries["10.0.0.1"].pending, 0);
    }
}

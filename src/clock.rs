//! The one clock: wall time in milliseconds since the Unix epoch. Parts that stamp what
//! happens (intake, the outbox, the bot, sessions) take a [`Clock`] when they are built, so
//! that a test can set the time instead of waiting for it.

use std::sync::Arc;

/// Where the time comes from.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// The system's clock.
    pub fn system() -> Clock {
        Clock(Arc::new(|| jiff::Timestamp::now().as_millisecond()))
    }

    /// A clock that reads the time from `now` (a test's own clock).
    pub fn from_fn(now: impl Fn() -> i64 + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    /// Milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        (self.0)()
    }

    /// The same instant as a timestamp (for the shop's calendar: hours, days, midnight).
    pub fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::from_millisecond(self.now_ms()).unwrap_or_default()
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now_ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, Ordering};

    #[test]
    fn a_test_clock_tells_the_time_it_is_given() {
        let time = Arc::new(AtomicI64::new(1_000));
        let clock = Clock::from_fn({
            let time = time.clone();
            move || time.load(Ordering::Relaxed)
        });
        assert_eq!(clock.now_ms(), 1_000);
        time.store(61_000, Ordering::Relaxed);
        assert_eq!(clock.clone().now_ms(), 61_000);
        assert!(Clock::system().now_ms() > 1_700_000_000_000, "after 2023");
    }
}

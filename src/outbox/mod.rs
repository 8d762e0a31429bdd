//! The durable outbox: every reply is logged (`message_out`) before it is attempted, and its
//! outcome (`message_out_sent` with Meta's message id, or `message_out_failed`) afterwards.
//! What is logged but has no outcome is pending, and is resumed after a restart.
//!
//! A conversation's messages leave strictly in the order they were logged: the next only once
//! Meta accepted the previous or it failed for good, also across restarts and retries (a
//! message waiting to be retried holds back the later ones of its conversation, not of
//! others). Conversations take turns (`lanes`), so each one's first pending message goes
//! before the second of any other. Sending one message costs the same whatever the queue's
//! length, and never holds the index while it talks to Meta.
//!
//! Sending respects, in this order: a pause after Meta said the token is invalid (190), the
//! spacing Meta asks for one customer (131056), and a global rate (default 80 per second).
//! Network errors, 5xx, 429 and 130429 are retried with exponential backoff and jitter;
//! permanent errors are not. A free-form message outside the 24-hour customer-service window
//! is refused before it is logged, with advice to use a template.

use crate::channel::Channel;
use crate::clock::Clock;
use crate::data::Data;
use crate::events::Events;
use crate::store::index::MessageIndex;
use crate::store::index::Slot;
use crate::store::log::LogError;
use crate::store::Store;
use crate::telemetry::Escaped;
use cocolu_core::contact::ContactRef;
use cocolu_core::events::ServerEvent;
use cocolu_core::log::Failure;
pub use cocolu_core::log::Origin;
use cocolu_core::log::{LogRecord, MessageOut, MessageOutFailed, MessageOutSent};
use cocolu_core::outbound::{self, Outbound};
use lanes::{Lanes, Waiting};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

mod lanes;

/// The customer-service window: free-form messages only within 24 hours of the customer's
/// last message.
pub const WINDOW_MS: i64 = 24 * 3600 * 1000;
/// Sends in flight at once (each from another conversation).
const CONCURRENCY: usize = 16;
/// Attempts before a retryable failure is given up.
const MAX_ATTEMPTS: u32 = 12;
/// How long sending pauses after Meta says the token is invalid.
const TOKEN_PAUSE: Duration = Duration::from_secs(300);
/// How long to leave one customer alone after Meta asks (131056).
const RECIPIENT_PAUSE: Duration = Duration::from_secs(6);

/// Why a message was not queued.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("{}", cocolu_core::fault::sentence(.0))]
    Limit(Vec<cocolu_core::fault::Fault>),
    #[error(
        "more than 24 hours have passed since this customer's last message, so WhatsApp only \
         allows an approved template; send a template instead"
    )]
    OutsideWindow,
    #[error("this conversation has no phone number or WhatsApp user id to send to")]
    NoRecipient,
    #[error(transparent)]
    Storage(#[from] LogError),
}

/// Spaces sends out to at most `per_second`.
struct RateLimit {
    interval: Duration,
    next: Mutex<Instant>,
}

impl RateLimit {
    fn new(per_second: u32) -> RateLimit {
        RateLimit {
            interval: Duration::from_secs(1) / per_second.max(1),
            next: Mutex::new(Instant::now()),
        }
    }

    /// Reserves the next slot and waits for it.
    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock();
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// The outbox and its sender.
pub struct Outbox {
    /// What "now" is, for the records it logs and the window it checks.
    clock: Clock,
    store: Arc<Store>,
    data: Arc<Data>,
    events: Events,
    channel: Arc<dyn Channel>,
    lanes: Mutex<Lanes>,
    /// Wakes the sender when a lane becomes ready.
    wake: Notify,
    rate: RateLimit,
    paused_until: Mutex<Option<Instant>>,
    /// Ends a pause early (a new connection was saved).
    unpaused: Notify,
    next_id: AtomicU64,
    /// Sends tried again after a failure, since start.
    retries: AtomicU64,
    /// When Meta last refused the access token (ms; 0: not since the last good send).
    token_refused_at: std::sync::atomic::AtomicI64,
}

/// What became of one attempt.
enum Attempt {
    /// Sent, or failed for good: the conversation's next message may go.
    Finished,
    /// To be tried again after this pause; the conversation waits.
    Again(Duration),
}

impl Outbox {
    /// When Meta last refused the access token, unless a send has worked since.
    pub fn token_refused_at(&self) -> Option<i64> {
        Some(self.token_refused_at.load(Ordering::Relaxed)).filter(|at| *at > 0)
    }

    /// Ends a pause after Meta refused the token: a new connection was put in force, so the
    /// waiting replies are tried with it at once.
    pub fn resume(&self) {
        *self.paused_until.lock() = None;
        self.token_refused_at.store(0, Ordering::Relaxed);
        self.unpaused.notify_waiters();
    }

    /// Sends tried again after a failure since the server started.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Creates the outbox and starts its sender, which first resumes what a previous run left
    /// pending, in the order it was logged.
    pub fn start(
        clock: Clock,
        store: Arc<Store>,
        data: Arc<Data>,
        events: Events,
        channel: Arc<dyn Channel>,
        per_second: u32,
    ) -> Arc<Outbox> {
        let outbox = Arc::new(Outbox {
            clock,
            store,
            data,
            events,
            channel,
            lanes: Mutex::new(Lanes::default()),
            wake: Notify::new(),
            rate: RateLimit::new(per_second),
            paused_until: Mutex::new(None),
            unpaused: Notify::new(),
            next_id: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            token_refused_at: Default::default(),
        });
        let pending = outbox.store.index.read().pending_outbox();
        if !pending.is_empty() {
            tracing::info!(
                count = pending.len(),
                "resuming sends left pending by the last run"
            );
        }
        for (id, slot) in pending {
            match outbox.read(slot) {
                Some(queued) => outbox.dispatch(&queued.conversation, id, slot),
                None => {
                    tracing::error!(outbox = ?id, "a pending send cannot be read back from the log; it is not sent")
                }
            }
        }
        tokio::spawn(outbox.clone().run());
        outbox
    }

    fn new_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("out-{}-{n}", self.clock.now_ms())
    }

    /// Checks and logs a message for `conversation`; it is sent as soon as the limits allow,
    /// after the conversation's earlier messages. Returns its outbox id once the message is
    /// durably queued.
    pub async fn enqueue(
        &self,
        conversation: &str,
        to: ContactRef,
        message: Outbound,
        origin: Origin,
    ) -> Result<String, OutboxError> {
        let (id, record) = self.prepare(conversation, to, message, origin)?;
        let positions = self.store.append(vec![record]).await?;
        if let Some(position) = positions.first() {
            self.dispatch(conversation, id.clone(), (*position).into());
        }
        Ok(id)
    }

    /// Checks a message and builds its `message_out` record, for a caller that logs it
    /// together with other records; [`Outbox::dispatch`] it once it is durable.
    pub fn prepare(
        &self,
        conversation: &str,
        to: ContactRef,
        message: Outbound,
        origin: Origin,
    ) -> Result<(String, Vec<u8>), OutboxError> {
        outbound::check(&message).map_err(|e| OutboxError::Limit(e.0))?;
        if to.key().is_none() {
            return Err(OutboxError::NoRecipient);
        }
        let last_in = self
            .store
            .index
            .read()
            .conversation(conversation)
            .map_or(0, |c| c.last_in_at);
        let windowed = cocolu_core::settings::has_window(&self.data.settings.get());
        if windowed
            && !message.allowed_outside_window()
            && self.clock.now_ms() - last_in > WINDOW_MS
        {
            return Err(OutboxError::OutsideWindow);
        }
        let id = self.new_id();
        let queued = LogRecord::MessageOut(MessageOut {
            conversation: conversation.to_string(),
            outbox: id.clone(),
            at: self.clock.now_ms(),
            to,
            origin,
            text: message.summary(),
            message,
        });
        Ok((id, queued.to_line()))
    }

    /// Hands a durably logged message (its `message_out` record at `slot`) to the sender, in
    /// its conversation's lane.
    pub fn dispatch(&self, conversation: &str, id: String, slot: Slot) {
        self.lanes.lock().push(
            conversation,
            Waiting {
                id: id.into_boxed_str(),
                slot,
            },
        );
        self.wake.notify_one();
    }

    /// The sender: at most [`CONCURRENCY`] sends at once, each from another conversation,
    /// taken in turn, spaced by the rate limit.
    async fn run(self: Arc<Self>) {
        let slots = Arc::new(Semaphore::new(CONCURRENCY));
        loop {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                break;
            };
            self.wait_for_ready().await;
            self.wait_until_allowed().await;
            let Some((conversation, message, attempt)) = self.lanes.lock().next() else {
                continue;
            };
            let outbox = self.clone();
            tokio::spawn(async move {
                match outbox.attempt(&message, attempt).await {
                    Attempt::Finished => outbox.lanes.lock().done(&conversation),
                    Attempt::Again(pause) => {
                        drop(permit);
                        tokio::time::sleep(pause).await;
                        outbox.lanes.lock().again(&conversation);
                    }
                }
                outbox.wake.notify_one();
            });
        }
    }

    async fn wait_for_ready(&self) {
        loop {
            let woken = self.wake.notified();
            if self.lanes.lock().has_ready() {
                return;
            }
            woken.await;
        }
    }

    /// Waits out a pause after Meta refused the token, then the rate limit's next slot.
    async fn wait_until_allowed(&self) {
        loop {
            // Listening before reading the pause, so that a resume in between is not missed.
            let unpaused = self.unpaused.notified();
            tokio::pin!(unpaused);
            unpaused.as_mut().enable();
            let paused = *self.paused_until.lock();
            match paused {
                Some(until) if until > Instant::now() => {
                    tokio::select! {
                        () = tokio::time::sleep_until(until) => {}
                        () = unpaused => {}
                    }
                }
                _ => break,
            }
        }
        self.rate.wait().await;
    }

    /// Reads a logged `message_out` record back.
    fn read(&self, slot: Slot) -> Option<MessageOut> {
        let bytes = self
            .store
            .log
            .read_line(slot.segment, u64::from(slot.offset))
            .ok()?;
        match LogRecord::from_line(&bytes)? {
            LogRecord::MessageOut(queued) => Some(queued),
            _ => None,
        }
    }

    /// Tries a message once; logs and publishes its outcome when it is final.
    async fn attempt(&self, message: &Waiting, attempt: u32) -> Attempt {
        let id = &*message.id;
        let Some(queued) = self.read(message.slot) else {
            tracing::error!(outbox = ?id, "a send cannot be read back from the log; it is skipped");
            return Attempt::Finished;
        };
        if attempt > 1 {
            self.retries.fetch_add(1, Ordering::Relaxed);
        }
        let error = match self.channel.send(&queued.to, &queued.message).await {
            Ok(message_id) => {
                tracing::info!(conversation = ?queued.conversation, outbox = id, ?message_id, "reply sent");
                self.token_refused_at.store(0, Ordering::Relaxed);
                let logged = self
                    .finish(
                        &queued,
                        LogRecord::MessageOutSent(MessageOutSent {
                            conversation: queued.conversation.clone(),
                            outbox: id.to_string(),
                            at: self.clock.now_ms(),
                            message_id: message_id.clone(),
                        }),
                    )
                    .await;
                if !logged {
                    return Attempt::Finished;
                }
                self.events.publish(ServerEvent::MessageSent {
                    conversation: queued.conversation.clone(),
                    outbox: id.to_string(),
                    message_id,
                });
                return Attempt::Finished;
            }
            Err(error) => error,
        };
        let retry_after = match error.failure {
            Failure::Retry if attempt < MAX_ATTEMPTS => Some(backoff(attempt)),
            Failure::RecipientThrottled if attempt < MAX_ATTEMPTS => Some(RECIPIENT_PAUSE),
            Failure::TokenInvalid => {
                tracing::error!(error = %Escaped(&error), "the Graph API refused the access token: sending paused; enter a new one in Settings (or META_ACCESS_TOKEN)");
                *self.paused_until.lock() = Some(Instant::now() + TOKEN_PAUSE);
                self.token_refused_at
                    .store(self.clock.now_ms(), Ordering::Relaxed);
                self.events.publish(ServerEvent::ChannelError {
                    code: error.code,
                    message: Some(error.message.clone()),
                });
                Some(Duration::ZERO)
            }
            _ => None,
        };
        if let Some(pause) = retry_after {
            tracing::warn!(outbox = id, attempt, error = %Escaped(&error), "send failed; retrying");
            return Attempt::Again(pause);
        }
        tracing::warn!(outbox = id, error = %Escaped(&error), "send failed for good");
        let logged = self
            .finish(
                &queued,
                LogRecord::MessageOutFailed(MessageOutFailed {
                    conversation: queued.conversation.clone(),
                    outbox: id.to_string(),
                    at: self.clock.now_ms(),
                    error: error.clone(),
                }),
            )
            .await;
        if !logged {
            return Attempt::Finished;
        }
        self.events.publish(ServerEvent::MessageFailed {
            conversation: queued.conversation.clone(),
            outbox: id.to_string(),
            code: error.code,
            reason: error.message.clone(),
            needs_template: error.failure == Failure::OutsideWindow,
        });
        Attempt::Finished
    }

    /// Logs an outcome, retrying while the disk refuses (the send already happened). Not
    /// when the customer was erased meanwhile (`false`): the outcome would bring them back.
    async fn finish(&self, queued: &MessageOut, outcome: LogRecord) -> bool {
        let record = outcome.to_line();
        let mut delay = Duration::from_millis(200);
        loop {
            let still = |index: &MessageIndex| index.awaits_outcome(&queued.outbox);
            match self.store.append_if(vec![record.clone()], still).await {
                Ok(Some(_)) => return true,
                Ok(None) => {
                    tracing::info!(outbox = ?queued.outbox, "a send's customer was erased meanwhile; its outcome is not logged");
                    return false;
                }
                Err(error) => {
                    tracing::error!(outbox = ?queued.outbox, error = %Escaped(&error), "cannot log a send's outcome; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
        }
    }
}

/// Exponential backoff with up to 25 % jitter: about 1 s, 2 s, 4 s ... up to 5 minutes.
fn backoff(attempt: u32) -> Duration {
    let base =
        Duration::from_secs(1 << attempt.saturating_sub(1).min(8)).min(Duration::from_secs(300));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    base + base.mul_f64(f64::from(nanos % 1000) / 4000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1) >= Duration::from_secs(1) && backoff(1) <= Duration::from_millis(1250));
        assert!(backoff(3) >= Duration::from_secs(4) && backoff(3) <= Duration::from_secs(5));
        assert!(backoff(20) <= Duration::from_secs(375));
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_limit_spaces_sends() {
        let rate = RateLimit::new(10);
        let start = Instant::now();
        for _ in 0..5 {
            rate.wait().await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(400));
    }
}

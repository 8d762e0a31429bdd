//! The bot: runs the reply engine on every stored customer message, in arrival order, and
//! queues what it decides. One task does it, so a contact's messages are decided one after
//! the other; each batch's new contact states and replies are logged in one append (one
//! fsync), and only then handed to the outbox.

use crate::clock::Clock;
use crate::data::Data;
use crate::events::Events;
use crate::outbox::Outbox;
use crate::store::index::MessageIndex;
use crate::store::log::Position;
use crate::store::Store;
use crate::telemetry::Escaped;
use cocolu_core::contact::ContactRef;
use cocolu_core::document::Revision;
use cocolu_core::engine::decide::{decide, CompiledRules, ContactState, Message, Reason, World};
use cocolu_core::events::ServerEvent;
use cocolu_core::fault::Fault;
use cocolu_core::log::Origin;
use cocolu_core::log::{ContactStateRecord, LogRecord, MessageIn};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Messages decided together at most.
const BATCH: usize = 256;

/// What the bot works on, in order.
#[derive(Clone, Debug)]
enum Work {
    Message(Incoming),
    /// A person takes the chat over until then, or gives it back (`None`).
    Takeover {
        conversation: String,
        until: Option<i64>,
    },
    /// A person edits the contact.
    Edit {
        conversation: String,
        edit: ContactEdit,
    },
}

/// Changes a person makes to a contact from the dashboard or the API.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ContactEdit {
    #[serde(default)]
    pub add_labels: Vec<String>,
    #[serde(default)]
    pub remove_labels: Vec<String>,
    #[serde(default)]
    pub opted_out: Option<bool>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// The most labels a contact may carry.
pub const MAX_LABELS: usize = 50;
/// The longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 50;
/// The longest notes, in characters.
pub const MAX_NOTES_CHARS: usize = 4000;

impl ContactEdit {
    /// Whether the edit stays within the limits, given the contact's `current` state; or why
    /// not (for the person who made it). Only what the edit adds is held to them: removing
    /// labels, opting out and notes within their limit always pass, however many labels rules
    /// gave the contact.
    pub fn check(&self, current: &ContactState) -> Result<(), Vec<Fault>> {
        let mut problems = Vec::new();
        if self
            .add_labels
            .iter()
            .any(|l| l.trim().is_empty() || l.chars().count() > MAX_LABEL_CHARS)
        {
            problems.push(Fault::LabelLength {
                max: MAX_LABEL_CHARS,
            });
        }
        if self.add_labels.len() + self.remove_labels.len() > 2 * MAX_LABELS {
            problems.push(Fault::LabelsAtOnce { max: MAX_LABELS });
        } else {
            let mut labels = current.labels.clone();
            labels.extend(self.add_labels.iter().cloned());
            for label in &self.remove_labels {
                labels.remove(label);
            }
            if labels.len() > MAX_LABELS.max(current.labels.len()) {
                problems.push(Fault::TooManyLabels { max: MAX_LABELS });
            }
        }
        if self
            .notes
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NOTES_CHARS)
        {
            problems.push(Fault::NotesTooLong {
                max: MAX_NOTES_CHARS,
            });
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    fn apply(&self, state: &mut ContactState) {
        for label in &self.add_labels {
            // Checked at the edge; held here too, since edits queued at once are checked
            // against the same state.
            if state.labels.len() < MAX_LABELS {
                state.labels.insert(label.clone());
            }
        }
        for label in &self.remove_labels {
            state.labels.remove(label);
        }
        if let Some(opted_out) = self.opted_out {
            state.opted_out = opted_out;
        }
        if let Some(notes) = &self.notes {
            state.notes = notes.clone();
        }
    }
}

/// A stored customer message, for the engine.
#[derive(Clone, Debug)]
pub struct Incoming {
    pub conversation: String,
    pub message_id: String,
    pub kind: String,
    pub text: Option<String>,
    pub choice_id: Option<String>,
    pub stale: bool,
    pub contact: ContactRef,
}

/// A reply queued by the bot: conversation, outbox id, text, and which of the batch's records
/// is its `message_out`.
struct Queued {
    conversation: String,
    outbox: String,
    text: String,
    record: usize,
}

/// What one batch decided: the records to log, the replies it queued, and the conversations
/// it handed to a person (until when).
#[derive(Default)]
struct Decided {
    records: Vec<Vec<u8>>,
    queued: Vec<Queued>,
    handed_over: Vec<(String, i64)>,
}

/// The running bot.
#[derive(Clone)]
pub struct Bot {
    sender: mpsc::UnboundedSender<Work>,
}

impl Bot {
    /// Starts the bot. Before anything new, it decides the customers' messages a previous run
    /// stored but did not decide (killed in between, or its disk refused the decision), in
    /// the order they were stored: those still fresh (within `stale_after`) and addressed to
    /// `ours` are answered; the others are let go.
    pub fn start(
        store: Arc<Store>,
        data: Arc<Data>,
        events: Events,
        outbox: Arc<Outbox>,
        ours: Option<&str>,
        stale_after: Duration,
        clock: Clock,
    ) -> Bot {
        let (sender, receiver) = mpsc::unbounded_channel();
        let stale_before = crate::channel::stale_before(clock.now_ms(), stale_after);
        let (mut resumed, mut let_go) = (0usize, 0usize);
        for incoming in undecided(&store, stale_before, &mut let_go) {
            match incoming {
                Ok((stored, id)) => {
                    let addressed =
                        crate::channel::addressed_to_us(ours, stored.phone_number_id.as_deref());
                    if !addressed || stored.at < stale_before {
                        store.index.write().forget_undecided(&id);
                        let_go += 1;
                        continue;
                    }
                    resumed += 1;
                    let _ = sender.send(Work::Message(Incoming {
                        conversation: stored.conversation,
                        message_id: stored.id,
                        kind: stored.message_type,
                        text: stored.text,
                        choice_id: stored.choice_id,
                        stale: false,
                        contact: stored.contact,
                    }));
                }
                Err(id) => {
                    tracing::error!(message = ?id, "a stored message cannot be read back from the log; it is not answered");
                    store.index.write().forget_undecided(&id);
                }
            }
        }
        if resumed + let_go > 0 {
            tracing::info!(resumed, let_go, "deciding the messages the last run stored but did not decide (the others were too old or for another number)");
        }
        if let_go > 0 {
            // So that the next start does not look at them again (off the start's path).
            let store = store.clone();
            tokio::task::spawn_blocking(move || store.checkpoint());
        }
        tokio::spawn(run(store, data, events, outbox, clock, receiver));
        Bot { sender }
    }

    /// Queues a stored message for a decision.
    pub fn handle(&self, incoming: Incoming) {
        let _ = self.sender.send(Work::Message(incoming));
    }

    /// A person edits a contact; applied in order with the messages, and logged.
    pub fn edit(&self, conversation: &str, edit: ContactEdit) {
        let _ = self.sender.send(Work::Edit {
            conversation: conversation.to_string(),
            edit,
        });
    }

    /// A person takes the conversation over until `until` (ms since the epoch), or gives it
    /// back to the bot with `None`. Applied in order with the messages, and logged.
    pub fn take_over(&self, conversation: &str, until: Option<i64>) {
        let _ = self.sender.send(Work::Takeover {
            conversation: conversation.to_string(),
            until,
        });
    }
}

/// The messages stored but not decided and sent since `stale_before`, read back from the log,
/// oldest first; the id of each one that cannot be read. The older ones are let go without
/// reading them, and counted in `let_go`.
fn undecided(
    store: &Store,
    stale_before: i64,
    let_go: &mut usize,
) -> Vec<Result<(MessageIn, String), String>> {
    let undecided = store.index.read().undecided();
    let (stale, fresh): (Vec<_>, Vec<_>) = undecided
        .into_iter()
        .partition(|(_, (_, at))| *at < stale_before);
    if !stale.is_empty() {
        let mut index = store.index.write();
        for (id, _) in &stale {
            index.forget_undecided(id);
        }
        *let_go += stale.len();
    }
    fresh
        .into_iter()
        .map(|(id, (slot, _))| {
            store
                .log
                .read_line(slot.segment, u64::from(slot.offset))
                .ok()
                .and_then(|bytes| match LogRecord::from_line(&bytes) {
                    Some(LogRecord::MessageIn(stored)) => Some(stored),
                    _ => None,
                })
                .map(|stored| (stored, id.clone()))
                .ok_or(id)
        })
        .collect()
}

/// The engine's memory of a contact, as last logged.
pub fn contact_state(store: &Store, conversation: &str) -> ContactState {
    store
        .index
        .read()
        .contact_state(conversation)
        .and_then(|bytes| match LogRecord::from_line(&bytes) {
            Some(LogRecord::ContactState(record)) => Some(record.state),
            _ => None,
        })
        .unwrap_or_default()
}

async fn run(
    store: Arc<Store>,
    data: Arc<Data>,
    events: Events,
    outbox: Arc<Outbox>,
    clock: Clock,
    mut receiver: mpsc::UnboundedReceiver<Work>,
) {
    let mut compiled: Option<(Revision, Arc<CompiledRules>)> = None;
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            let Ok(next) = receiver.try_recv() else { break };
            batch.push(next);
        }
        // Regexes are compiled once per rules version, never per message.
        let current = data.rules.current();
        let rules = match &compiled {
            Some((revision, rules)) if *revision == current.revision => rules.clone(),
            _ => {
                let fresh = Arc::new(CompiledRules::new(current.value.clone()));
                compiled = Some((current.revision.clone(), fresh.clone()));
                fresh
            }
        };
        let (positions, queued, handed_over) = loop {
            // Work on a customer erased since it was queued is dropped: its decision would
            // bring them back.
            batch.retain(|work| still_there(&store.index.read(), work));
            let now = clock.now();
            let Decided {
                records,
                queued,
                handed_over,
            } = decide_batch(&store, &data, &outbox, &rules, &batch, now);
            let still = |index: &MessageIndex| batch.iter().all(|work| still_there(index, work));
            if let Some(positions) = append_until_stored(&store, records, batch.len(), still).await
            {
                break (positions, queued, handed_over);
            }
        };
        for work in &batch {
            match work {
                Work::Takeover {
                    conversation,
                    until,
                } => events.publish(ServerEvent::TakeoverChanged {
                    conversation: conversation.clone(),
                    paused_until: *until,
                }),
                Work::Edit { conversation, .. } => {
                    events.publish(ServerEvent::ConversationUpdated {
                        conversation: conversation.clone(),
                    })
                }
                Work::Message(_) => {}
            }
        }
        for (conversation, paused_until) in handed_over {
            events.publish(ServerEvent::NeedsPerson {
                conversation,
                paused_until,
            });
        }
        for reply in queued {
            let Some(position) = positions.get(reply.record) else {
                continue;
            };
            outbox.dispatch(
                &reply.conversation,
                reply.outbox.clone(),
                (*position).into(),
            );
            events.publish(ServerEvent::MessageQueued {
                conversation: reply.conversation,
                outbox: reply.outbox,
                text: reply.text,
            });
        }
    }
}

/// Whether a piece of work still concerns a customer in the log: a message not yet decided,
/// an edit or takeover of a conversation that exists.
fn still_there(index: &MessageIndex, work: &Work) -> bool {
    match work {
        Work::Message(incoming) => index.awaits_decision(&incoming.message_id),
        Work::Takeover { conversation, .. } | Work::Edit { conversation, .. } => {
            index.conversation(conversation).is_some()
        }
    }
}

/// Logs a batch's decisions if `still` holds (`None`: an erase ran since they were made),
/// trying again with backoff while the disk refuses (full, turned read-only): a decision is
/// never dropped, and the messages after it wait for it, so every customer is still answered
/// once, in order, when the disk is back.
async fn append_until_stored(
    store: &Store,
    records: Vec<Vec<u8>>,
    messages: usize,
    still: impl Fn(&MessageIndex) -> bool,
) -> Option<Vec<Position>> {
    let mut delay = Duration::from_millis(200);
    loop {
        match store.append_if(records.clone(), &still).await {
            Ok(positions) => return positions,
            Err(error) => {
                tracing::error!(error = %Escaped(&error), messages, retry_in = ?delay, "cannot log the bot's decisions; trying again (their replies wait)");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// Decides a batch (no I/O but reading the index): the records to log and the replies to
/// dispatch once they are durable.
fn decide_batch(
    store: &Store,
    data: &Data,
    outbox: &Outbox,
    rules: &CompiledRules,
    batch: &[Work],
    now: jiff::Timestamp,
) -> Decided {
    let settings = data.settings.get();
    let time_zone = cocolu_core::settings::time_zone(&settings);
    let templates = |name: &str| data.templates.get(name);
    let world = World {
        rules,
        settings: &settings,
        templates: &templates,
        time_zone: &time_zone,
    };

    let mut states: HashMap<String, ContactState> = HashMap::new();
    let mut records = Vec::new();
    let mut queued = Vec::new();
    let mut handed_over = Vec::new();
    for work in batch {
        let incoming = match work {
            Work::Message(incoming) => incoming,
            Work::Takeover {
                conversation,
                until,
            } => {
                let mut state = states
                    .remove(conversation)
                    .unwrap_or_else(|| contact_state(store, conversation));
                state.paused_until = *until;
                records.push(state_record(
                    conversation,
                    now,
                    &Reason::Takeover { until: *until },
                    &state,
                ));
                states.insert(conversation.clone(), state);
                continue;
            }
            Work::Edit { conversation, edit } => {
                let mut state = states
                    .remove(conversation)
                    .unwrap_or_else(|| contact_state(store, conversation));
                edit.apply(&mut state);
                records.push(state_record(conversation, now, &Reason::Edited, &state));
                states.insert(conversation.clone(), state);
                continue;
            }
        };
        let state = states
            .remove(&incoming.conversation)
            .unwrap_or_else(|| contact_state(store, &incoming.conversation));
        let message = Message {
            kind: &incoming.kind,
            text: incoming.text.as_deref(),
            choice_id: incoming.choice_id.as_deref(),
            stale: incoming.stale,
            name: incoming.contact.name.as_deref(),
        };
        let decision = decide(&world, &state, &message, now);
        let now_ms = now.as_millisecond();
        let waiting = |s: &ContactState| s.paused_until.is_some_and(|until| until > now_ms);
        if let (false, Some(until)) = (waiting(&state), decision.state.paused_until) {
            if until > now_ms {
                handed_over.push((incoming.conversation.clone(), until));
            }
        }
        let rule = match &decision.reason {
            Reason::Rule { id, .. } => Some(id.clone()),
            _ => None,
        };
        for reply in decision.replies {
            let text = reply.summary();
            match outbox.prepare(
                &incoming.conversation,
                incoming.contact.clone(),
                reply,
                Origin::Bot { rule: rule.clone() },
            ) {
                Ok((outbox, record)) => {
                    queued.push(Queued {
                        conversation: incoming.conversation.clone(),
                        outbox,
                        text,
                        record: records.len(),
                    });
                    records.push(record);
                }
                Err(error) => {
                    tracing::warn!(conversation = ?incoming.conversation, error = %Escaped(&error), "an automatic reply was not queued")
                }
            }
        }
        let record = LogRecord::ContactState(ContactStateRecord {
            conversation: incoming.conversation.clone(),
            at: now.as_millisecond(),
            message_id: Some(incoming.message_id.clone()),
            reason: decision.reason,
            state: decision.state,
        });
        records.push(record.to_line());
        if let LogRecord::ContactState(record) = record {
            states.insert(record.conversation, record.state);
        }
    }
    Decided {
        records,
        queued,
        handed_over,
    }
}

/// A `contact_state` record for a change a person made.
fn state_record(
    conversation: &str,
    now: jiff::Timestamp,
    reason: &Reason,
    state: &ContactState,
) -> Vec<u8> {
    LogRecord::ContactState(ContactStateRecord {
        conversation: conversation.to_string(),
        at: now.as_millisecond(),
        message_id: None,
        reason: reason.clone(),
        state: state.clone(),
    })
    .to_line()
}

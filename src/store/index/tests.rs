//! The index's parts together, over a real log in a temporary folder.

use super::recent::RECENT_BUDGET_BYTES;
use super::seen::{DEDUPE_WINDOW_MS, PRUNE_EVERY_MS};
use super::stats::HOUR_MS;
use super::*;
use crate::store::log::LogOptions;

/// A customer's message, as intake logs it.
fn record(conversation: &str, id: usize, at: i64) -> Vec<u8> {
    format!(
        r#"{{"kind":"message_in","conversation":"{conversation}","id":"wamid.{id}","at":{at},"text":"hola {id}"}}"#
    )
    .into_bytes()
}

/// A line of a shape this build does not read whole, placed by its envelope only.
fn untyped(conversation: &str, at: i64) -> Vec<u8> {
    format!(r#"{{"conversation":"{conversation}","at":{at},"text":"nota"}}"#).into_bytes()
}

/// A `message_out` by the bot (`by` = `bot`) or a person (`agent`).
fn message_out(outbox: &str, at: i64, by: &str) -> Vec<u8> {
    let origin = if by == "agent" {
        r#"{"by":"agent","user":"ana"}"#
    } else {
        r#"{"by":"bot","rule":null}"#
    };
    format!(
        r#"{{"kind":"message_out","conversation":"c","outbox":"{outbox}","at":{at},"to":{{"wa_id":"58412"}},"origin":{origin},"text":"hola","message":{{"type":"text","body":"hola"}}}}"#
    )
    .into_bytes()
}

/// The outcome of a `message_out`: `message_out_sent`, or `message_out_failed` with `failure`.
fn outcome(kind: &str, outbox: &str, at: i64, failure: &str) -> Vec<u8> {
    let detail = if kind == "message_out_sent" {
        r#""message_id":"wamid.out""#.to_string()
    } else {
        format!(r#""error":{{"failure":"{failure}","message":"no"}}"#)
    };
    format!(r#"{{"kind":"{kind}","conversation":"c","outbox":"{outbox}","at":{at},{detail}}}"#)
        .into_bytes()
}

fn fill(log: &Log, count: usize) {
    let records = (0..count)
        .map(|i| record(&format!("c{}", i % 7), i, 1_000 + i as i64))
        .collect();
    log.append_blocking(records).expect("stored");
}

#[test]
fn records_are_indexed_by_conversation_and_read_back_oldest_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, _) = Log::open(dir.path(), LogOptions::default()).expect("log");
    fill(&log, 100);

    let (index, load) = load(&log, dir.path()).expect("index");

    assert!(!load.from_checkpoint);
    assert_eq!(index.conversation_count(), 7);
    assert_eq!(index.record_count(), 100);
    assert!(index.has_id("wamid.42") && !index.has_id("wamid.100"));
    let latest = index.latest(&log, "c3", 3).expect("read");
    let expected: Vec<Vec<u8>> = [80, 87, 94]
        .iter()
        .map(|i| record("c3", *i, 1_000 + *i as i64))
        .collect();
    assert_eq!(
        latest.iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
        expected
    );
    let older = index
        .before(
            &log,
            "c3",
            Some(index.conversation("c3").expect("c3").slots[12]),
            2,
        )
        .expect("read");
    assert_eq!(
        older.iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
        vec![record("c3", 73, 1_073), record("c3", 80, 1_080)]
    );
}

#[test]
fn a_checkpoint_spares_replaying_the_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, _) = Log::open(dir.path(), LogOptions::default()).expect("log");
    fill(&log, 100);
    let (index, _) = load(&log, dir.path()).expect("index");
    save(&index, dir.path()).expect("checkpoint");
    log.append_blocking(vec![record("c1", 500, 5_000)])
        .expect("stored");

    let (index, load) = load(&log, dir.path()).expect("index");

    assert_eq!(
        load,
        IndexLoad {
            from_checkpoint: true,
            replayed: 1
        }
    );
    assert_eq!(index.record_count(), 101);
    assert!(index.has_id("wamid.500") && index.has_id("wamid.3"));
}

#[test]
fn contacts_reads_and_hourly_counts_survive_a_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, _) = Log::open(dir.path(), LogOptions::default()).expect("log");
    let hour = 3_600_000;
    log.append_blocking(vec![
        br#"{"kind":"message_in","conversation":"c","id":"w1","at":3600000,"contact":{"wa_id":"58412","name":"Ana"}}"#.to_vec(),
        message_out("o1", 3_600_001, "bot"),
        message_out("o2", 3_600_002, "agent"),
        outcome("message_out_sent", "o1", 3_600_003, ""),
        br#"{"kind":"conversation_read","conversation":"c","at":3600004}"#.to_vec(),
        br#"{"kind":"contact_state","conversation":"c","at":3600005,"reason":{"because":"rule","id":"precios","matched":"precio"},"state":{}}"#.to_vec(),
        br#"{"kind":"message_in","conversation":"c","id":"w2","at":3700000,"contact":{"wa_id":"58412","name":"Ana"}}"#.to_vec(),
        message_out("o3", 3_740_000, "agent"),
        outcome("message_out_failed", "o2", 7_200_000, "permanent"),
    ])
    .expect("stored");
    let (index, _) = load(&log, dir.path()).expect("index");
    save(&index, dir.path()).expect("checkpoint");

    let (index, load) = load(&log, dir.path()).expect("index");

    assert!(load.from_checkpoint);
    let conversation = index.conversation("c").expect("c");
    assert_eq!(conversation.last_read_at, 3_600_004);
    assert_eq!(
        conversation.contact.as_deref(),
        Some(r#"{"wa_id":"58412","name":"Ana"}"#)
    );
    assert_eq!(
        index.hours(0, 3 * hour),
        vec![
            (
                hour,
                HourCounts {
                    received: 2,
                    bot_replies: 1,
                    agent_replies: 2,
                    sent: 1,
                    failed: 0,
                    outside_window: 0,
                    new_contacts: 1,
                    active_contacts: 1,
                }
            ),
            (
                2 * hour,
                HourCounts {
                    failed: 1,
                    ..HourCounts::default()
                }
            ),
        ]
    );
    let days: Vec<_> = index.days(0, 3 * hour).collect();
    assert_eq!(days.len(), 1);
    let facts = days[0].1;
    assert_eq!(facts.bot_responses[0], 1, "the bot answered in 1 ms");
    assert_eq!(facts.people_responses[0], 1, "a person answered in 2 ms");
    // The second message waited 40 s for a person (the 60 s bucket); the bot had answered
    // nothing since, so nothing more is counted for it.
    assert_eq!(facts.people_responses[6], 1);
    assert_eq!(facts.bot_responses.iter().sum::<u32>(), 1);
    assert_eq!(facts.rules.get("precios"), Some(&1));
}

#[test]
fn a_record_whose_optional_fields_have_other_shapes_is_still_indexed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, _) = Log::open(dir.path(), LogOptions::default()).expect("log");
    log.append_blocking(vec![
        br#"{"kind":"media_failed","conversation":"c","at":1,"reason":"too large","contact":"x","origin":7}"#.to_vec(),
    ])
    .expect("stored");
    let (index, _) = load(&log, dir.path()).expect("index");
    assert_eq!(index.conversation("c").map(|c| c.slots.len()), Some(1));
}

#[test]
fn a_damaged_or_foreign_checkpoint_is_ignored_and_the_index_rebuilt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, _) = Log::open(dir.path(), LogOptions::default()).expect("log");
    fill(&log, 10);
    let (index, _) = load(&log, dir.path()).expect("index");
    let mut bytes = index.encode();
    bytes.truncate(bytes.len() - 3);
    std::fs::write(checkpoint_path(dir.path()), bytes).expect("damage");

    let (index, load) = load(&log, dir.path()).expect("index");

    assert!(!load.from_checkpoint);
    assert_eq!(index.record_count(), 10);
}

#[test]
fn a_checkpoint_ahead_of_a_truncated_log_is_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, _) = Log::open(dir.path(), LogOptions::default()).expect("log");
    fill(&log, 10);
    let (index, _) = load(&log, dir.path()).expect("index");
    save(&index, dir.path()).expect("checkpoint");
    let segment = dir.path().join(log.segments()[0].file_name());
    drop(log);
    let len = std::fs::metadata(&segment).expect("meta").len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&segment)
        .expect("open")
        .set_len(len / 2)
        .expect("cut");
    let (log, _) = Log::open(dir.path(), LogOptions::default()).expect("log");

    let (index, load) = load(&log, dir.path()).expect("index");

    assert!(!load.from_checkpoint);
    assert!(index.record_count() < 10);
}

#[test]
fn outgoing_messages_stay_pending_until_sent_or_failed_across_a_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, _) = Log::open(dir.path(), LogOptions::default()).expect("log");
    log.append_blocking(vec![
        untyped("c", 3),
        message_out("o1", 5, "bot"),
        message_out("o2", 5, "bot"),
        message_out("o3", 5, "bot"),
    ])
    .expect("stored");
    log.append_blocking(vec![
        outcome("message_out_sent", "o1", 5, ""),
        outcome("message_out_failed", "o3", 5, "permanent"),
    ])
    .expect("stored");
    let (index, _) = load(&log, dir.path()).expect("index");
    save(&index, dir.path()).expect("checkpoint");

    let (index, from) = load(&log, dir.path()).expect("index");

    assert!(from.from_checkpoint);
    let pending = index.pending_outbox();
    assert_eq!(
        pending
            .iter()
            .map(|(id, _)| id.as_str())
            .collect::<Vec<_>>(),
        vec!["o2"]
    );
    assert_eq!(
        index.read(&log, pending[0].1).expect("read"),
        message_out("o2", 5, "bot")
    );
    assert_eq!(
        index.conversation("c").expect("c").last_in_at,
        0,
        "no customer message in this conversation"
    );
}

#[test]
fn customers_messages_stay_undecided_until_a_decision_names_them_across_a_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, _) = Log::open(dir.path(), LogOptions::default()).expect("log");
    let message = |id: &str| {
        format!(r#"{{"kind":"message_in","conversation":"c","id":"{id}","at":5}}"#).into_bytes()
    };
    let decided = |id: &str| {
        format!(r#"{{"kind":"contact_state","conversation":"c","message_id":"{id}","at":6,"reason":{{"because":"welcome"}},"state":{{}}}}"#)
            .into_bytes()
    };
    let edited =
        br#"{"kind":"contact_state","conversation":"c","at":7,"reason":{"because":"edited"},"state":{}}"#
            .to_vec();
    log.append_blocking(vec![message("m1"), message("m2"), message("m3")])
        .expect("stored");
    log.append_blocking(vec![decided("m2"), edited])
        .expect("stored");
    let (index, _) = load(&log, dir.path()).expect("index");
    save(&index, dir.path()).expect("checkpoint");
    log.append_blocking(vec![message("m4"), decided("m1")])
        .expect("stored");

    let (mut index, from) = load(&log, dir.path()).expect("index");

    assert!(from.from_checkpoint);
    let ids = |index: &MessageIndex| -> Vec<String> {
        index.undecided().into_iter().map(|(id, _)| id).collect()
    };
    assert_eq!(ids(&index), ["m3", "m4"], "oldest first");
    let (_, (slot, _)) = index.undecided()[0].clone();
    assert_eq!(index.read(&log, slot).expect("read"), message("m3"));
    index.forget_undecided("m3");
    assert_eq!(ids(&index), ["m4"]);
}

#[test]
fn undecided_messages_past_the_window_are_let_go_as_the_clock_moves() {
    let mut index = MessageIndex::default();
    let p = |offset| Position {
        segment: 1,
        offset,
        len: 1,
    };
    // Never decided (a log from before decisions named their message): no start should have
    // to look at it once it is far too old to answer.
    index.apply(p(0), &record("c", 1, 0));
    index.apply(p(100), &record("c", 2, DEDUPE_WINDOW_MS - 10));
    let ids = |index: &MessageIndex| -> Vec<String> {
        index.undecided().into_iter().map(|(id, _)| id).collect()
    };
    assert_eq!(ids(&index), ["wamid.1", "wamid.2"]);
    assert_eq!(
        index.undecided()[1].1 .1,
        DEDUPE_WINDOW_MS - 10,
        "kept with its time"
    );
    index.apply(p(200), &record("c", 3, DEDUPE_WINDOW_MS + PRUNE_EVERY_MS));
    assert_eq!(ids(&index), ["wamid.2", "wamid.3"]);
}

#[test]
fn old_message_ids_are_forgotten_after_the_window() {
    let mut index = MessageIndex::default();
    let p = |offset| Position {
        segment: 1,
        offset,
        len: 1,
    };
    index.apply(p(0), &record("c", 1, 0));
    index.apply(p(100), &record("c", 2, DEDUPE_WINDOW_MS + 10));
    index.prune_ids();
    assert!(!index.has_id("wamid.1"));
    assert!(index.has_id("wamid.2"));
}

#[test]
fn message_ids_past_the_window_are_forgotten_while_running() {
    let mut index = MessageIndex::default();
    let hours = 20 * 24;
    for i in 0..hours {
        index.apply(
            Position {
                segment: 1,
                offset: i as u64 * 100,
                len: 1,
            },
            &record("c", i, i as i64 * HOUR_MS),
        );
    }
    assert!(!index.has_id("wamid.0"), "twenty days old");
    assert!(index.has_id(&format!("wamid.{}", hours - 1)));
    let bound = (DEDUPE_WINDOW_MS + PRUNE_EVERY_MS) / HOUR_MS + 1;
    assert!(
        index.seen.count() as i64 <= bound,
        "{} ids kept, at most {bound} expected",
        index.seen.count()
    );
}

#[test]
fn a_message_sent_long_ago_is_remembered_from_when_it_was_stored() {
    let mut index = MessageIndex::default();
    let p = |offset| Position {
        segment: 1,
        offset,
        len: 1,
    };
    let now = 3 * DEDUPE_WINDOW_MS;
    index.apply(p(0), &record("c", 1, now));
    index.apply(p(100), &record("c", 2, 0));
    index.apply(p(200), &record("c", 3, now + 2 * HOUR_MS));
    assert!(
        index.has_id("wamid.2"),
        "redelivered within the window of its arrival"
    );
}

#[test]
fn recent_records_stay_within_their_budget() {
    let mut index = MessageIndex::default();
    let big = "x".repeat(10_000);
    for i in 0..2_000u64 {
        let bytes = format!(
            r#"{{"conversation":"c{}","at":{i},"text":"{big}"}}"#,
            i % 500
        )
        .into_bytes();
        index.apply(
            Position {
                segment: 1,
                offset: i * 10_100,
                len: bytes.len() as u32,
            },
            &bytes,
        );
    }
    assert!(index.recent.bytes() <= RECENT_BUDGET_BYTES);
    assert_eq!(index.record_count(), 2_000);
}

/// Applies lines to an index without a log, each placed after the one before.
struct Feed {
    index: MessageIndex,
    offset: u64,
}

impl Feed {
    fn new() -> Feed {
        Feed {
            index: MessageIndex::default(),
            offset: 0,
        }
    }

    fn apply(&mut self, line: &[u8]) -> &mut Feed {
        let len = line.len() as u32;
        let at = Position {
            segment: 1,
            offset: self.offset,
            len,
        };
        self.index.apply(at, line);
        self.offset += u64::from(len);
        self
    }

    fn last_at(&self) -> i64 {
        self.index.conversation("c").expect("c").last_at
    }
}

#[test]
fn only_messages_move_a_conversation_in_the_inbox() {
    let mut feed = Feed::new();
    assert_eq!(feed.apply(&record("c", 1, 10)).last_at(), 10);
    // Reading it, the bot's memory, a delivery receipt and a failure do not reorder it.
    feed.apply(br#"{"kind":"conversation_read","conversation":"c","at":20}"#)
        .apply(br#"{"kind":"contact_state","conversation":"c","at":25,"reason":{"because":"edited"},"state":{}}"#)
        .apply(&outcome("message_out_sent", "o0", 30, ""))
        .apply(&outcome("message_out_failed", "o0", 35, "permanent"));
    assert_eq!(feed.last_at(), 10);
    // The shop's message does, and the customer's.
    assert_eq!(feed.apply(&message_out("o1", 40, "agent")).last_at(), 40);
    assert_eq!(feed.apply(&record("c", 2, 50)).last_at(), 50);
}

#[test]
fn the_activity_feed_s_order_follows_failures_and_the_bot_s_decisions_too() {
    let mut feed = Feed::new();
    let activity = |feed: &Feed| feed.index.conversation("c").expect("c").activity_at;
    feed.apply(&record("c", 1, 10));
    assert_eq!(activity(&feed), 10);
    feed.apply(br#"{"kind":"conversation_read","conversation":"c","at":20}"#)
        .apply(&outcome("message_out_sent", "o0", 22, ""));
    assert_eq!(activity(&feed), 10, "reads and receipts are not activity");
    feed.apply(br#"{"kind":"contact_state","conversation":"c","at":25,"reason":{"because":"takeover","until":99},"state":{}}"#);
    assert_eq!(activity(&feed), 25);
    feed.apply(&outcome("message_out_failed", "o0", 35, "permanent"));
    assert_eq!(activity(&feed), 35);
    // An edit of the contact, and a message that came while a person had it, are not news.
    feed.apply(br#"{"kind":"contact_state","conversation":"c","at":40,"reason":{"because":"edited"},"state":{}}"#)
        .apply(br#"{"kind":"contact_state","conversation":"c","at":45,"message_id":"w9","reason":{"because":"paused","until":99},"state":{"paused_until":99}}"#);
    assert_eq!(activity(&feed), 35);
    // The bot handing the conversation to a person is.
    feed.apply(br#"{"kind":"contact_state","conversation":"c","at":50,"message_id":"w10","reason":{"because":"rule","id":"persona","matched":"persona"},"state":{"paused_until":9000}}"#);
    assert_eq!(activity(&feed), 50);
    assert_eq!(feed.last_at(), 10);
}

#[test]
fn a_message_that_came_back_undelivered_counts_as_failed() {
    let mut feed = Feed::new();
    feed.apply(br#"{"kind":"status","conversation":"c","message_id":"w1","status":"delivered","at":10}"#)
        .apply(br#"{"kind":"status","conversation":"c","message_id":"w2","status":"failed","at":20,"failure":"permanent"}"#)
        .apply(br#"{"kind":"status","conversation":"c","message_id":"w3","status":"failed","at":30,"failure":"outside_window"}"#);
    let hours = feed.index.hours(0, HOUR_MS);
    assert_eq!(hours.len(), 1);
    assert_eq!((hours[0].1.failed, hours[0].1.outside_window), (2, 1));
}

#[test]
fn a_record_of_a_kind_from_a_newer_cocolu_is_placed_in_its_conversation() {
    let mut index = MessageIndex::default();
    let line = br#"{"kind":"order_placed","conversation":"c","at":7,"items":[{"sku":"A1"}]}"#;
    index.apply(
        Position {
            segment: 1,
            offset: 0,
            len: line.len() as u32,
        },
        line,
    );
    let conversation = index.conversation("c").expect("placed");
    assert_eq!((conversation.slots.len(), conversation.last_at), (1, 7));
    assert_eq!(conversation.last_in_at, 0, "not a customer's message");
    assert!(index.hours(0, HOUR_MS).is_empty(), "nothing counted");
}

proptest::proptest! {
    #[test]
    fn any_checkpoint_file_is_read_or_refused_without_panicking(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)
    ) {
        let mut file = b"CCLIDX8\n".to_vec();
        file.extend(bytes);
        let _ = MessageIndex::decode(&file);
    }
}

//! The order replies leave in: one lane per conversation, whose messages go strictly one
//! after the other in the order they were logged (the next only once the previous is sent or
//! has failed for good), and a queue of the lanes whose next message may go now, served in
//! turn, so the first pending message of each conversation goes before the second of any
//! other. Pure bookkeeping: the sender asks it what to send and tells it what happened.

use crate::store::index::Slot;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// A logged message waiting in its lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    /// The outbox id.
    pub id: Box<str>,
    /// Where its `message_out` record is in the log: the lane's order.
    pub slot: Slot,
}

#[derive(Debug, Default)]
struct Lane {
    waiting: VecDeque<Waiting>,
    /// Its first message is being sent, or waits to be tried again: the lane is not ready.
    busy: bool,
    /// Attempts made for the first message.
    attempts: u32,
}

/// Every conversation's lane, and the turn of the ready ones.
#[derive(Debug, Default)]
pub struct Lanes {
    lanes: HashMap<Arc<str>, Lane>,
    /// Conversations whose first message may go now, in turn (each at most once).
    ready: VecDeque<Arc<str>>,
}

impl Lanes {
    /// Adds a logged message to its conversation's lane, in log order.
    pub fn push(&mut self, conversation: &str, message: Waiting) {
        let key = match self.lanes.get_key_value(conversation) {
            Some((key, _)) => key.clone(),
            None => Arc::from(conversation),
        };
        let lane = self.lanes.entry(key.clone()).or_default();
        // Messages are almost always handed over in log order; two appends that finish in
        // the other order are put back in it (behind the message being sent, if any).
        let from = usize::from(lane.busy);
        let at = from
            + lane
                .waiting
                .range(from..)
                .take_while(|w| w.slot < message.slot)
                .count();
        lane.waiting.insert(at, message);
        if !lane.busy && lane.waiting.len() == 1 {
            self.ready.push_back(key);
        }
    }

    /// Whether some conversation's first message may go now.
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The next conversation in turn and its first message, which is then being sent (its
    /// lane waits for [`Lanes::done`] or [`Lanes::again`]), and the attempt it is.
    pub fn next(&mut self) -> Option<(Arc<str>, Waiting, u32)> {
        while let Some(conversation) = self.ready.pop_front() {
            let Some(lane) = self.lanes.get_mut(&conversation) else {
                continue;
            };
            let Some(first) = lane.waiting.front().cloned() else {
                continue;
            };
            lane.busy = true;
            lane.attempts += 1;
            return Some((conversation, first, lane.attempts));
        }
        None
    }

    /// The first message of `conversation` is sent, or failed for good: the next may go.
    pub fn done(&mut self, conversation: &Arc<str>) {
        let Some(lane) = self.lanes.get_mut(conversation) else {
            return;
        };
        lane.waiting.pop_front();
        lane.busy = false;
        lane.attempts = 0;
        if lane.waiting.is_empty() {
            self.lanes.remove(conversation);
        } else {
            self.ready.push_back(conversation.clone());
        }
    }

    /// The first message of `conversation` may be tried again now (after its pause): the
    /// lane takes its turn again, its later messages still behind it.
    pub fn again(&mut self, conversation: &Arc<str>) {
        if let Some(lane) = self.lanes.get_mut(conversation) {
            lane.busy = false;
            if !lane.waiting.is_empty() {
                self.ready.push_back(conversation.clone());
            }
        }
    }

    /// Messages waiting, in all lanes.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lanes.values().map(|lane| lane.waiting.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn waiting(id: &str, offset: u32) -> Waiting {
        Waiting {
            id: Box::from(id),
            slot: Slot { segment: 0, offset },
        }
    }

    fn take(lanes: &mut Lanes) -> Option<(String, String)> {
        lanes
            .next()
            .map(|(c, w, _)| (c.to_string(), w.id.to_string()))
    }

    #[test]
    fn a_conversation_s_next_message_waits_for_the_previous() {
        let mut lanes = Lanes::default();
        lanes.push("ana", waiting("welcome", 1));
        lanes.push("ana", waiting("menu", 2));
        assert_eq!(take(&mut lanes), Some(("ana".into(), "welcome".into())));
        assert_eq!(take(&mut lanes), None, "the menu waits for the welcome");
        lanes.done(&Arc::from("ana"));
        assert_eq!(take(&mut lanes), Some(("ana".into(), "menu".into())));
        lanes.done(&Arc::from("ana"));
        assert_eq!(lanes.len(), 0);
        assert!(lanes.lanes.is_empty(), "an empty lane is forgotten");
    }

    #[test]
    fn the_first_message_of_every_conversation_goes_before_anyone_s_second() {
        let mut lanes = Lanes::default();
        for customer in 0..3 {
            lanes.push(&format!("c{customer}"), waiting("first", customer * 2));
            lanes.push(&format!("c{customer}"), waiting("second", customer * 2 + 1));
        }
        let mut order = Vec::new();
        while let Some((conversation, message)) = take(&mut lanes) {
            order.push(format!("{conversation}:{message}"));
            lanes.done(&Arc::from(conversation.as_str()));
        }
        assert_eq!(
            order,
            [
                "c0:first",
                "c1:first",
                "c2:first",
                "c0:second",
                "c1:second",
                "c2:second"
            ]
        );
    }

    #[test]
    fn a_retried_message_holds_back_its_conversation_only() {
        let mut lanes = Lanes::default();
        lanes.push("ana", waiting("a1", 1));
        lanes.push("ana", waiting("a2", 2));
        lanes.push("bea", waiting("b1", 3));
        let (ana, _, attempt) = lanes.next().expect("ana");
        assert_eq!(attempt, 1);
        // a1 failed and waits before its retry: bea goes, a2 does not.
        assert_eq!(take(&mut lanes), Some(("bea".into(), "b1".into())));
        assert_eq!(take(&mut lanes), None);
        lanes.again(&ana);
        let (_, message, attempt) = lanes.next().expect("a1 again");
        assert_eq!((&*message.id, attempt), ("a1", 2));
        lanes.done(&ana);
        assert_eq!(take(&mut lanes), Some(("ana".into(), "a2".into())));
    }

    #[test]
    fn messages_handed_over_out_of_log_order_are_put_back_in_it() {
        let mut lanes = Lanes::default();
        lanes.push("ana", waiting("second", 20));
        lanes.push("ana", waiting("first", 10));
        assert_eq!(take(&mut lanes), Some(("ana".into(), "first".into())));
        // Behind the one being sent, whatever its place.
        lanes.push("ana", waiting("early", 5));
        lanes.done(&Arc::from("ana"));
        assert_eq!(take(&mut lanes), Some(("ana".into(), "early".into())));
    }

    proptest! {
        /// Whatever the interleaving of pushes, sends, retries and outcomes: each conversation's
        /// messages are sent in log order, never two of one conversation at once, and every
        /// message is sent.
        #[test]
        fn order_holds_whatever_happens(steps in proptest::collection::vec((0u8..4, 0usize..5), 1..300)) {
            let mut lanes = Lanes::default();
            let mut next_slot = 0u32;
            let mut in_flight: Vec<Arc<str>> = Vec::new();
            let mut retrying: Vec<Arc<str>> = Vec::new();
            let mut sent: HashMap<String, Vec<u32>> = HashMap::new();
            let mut pushed = 0usize;
            let mut run = |step: u8, who: usize, lanes: &mut Lanes, in_flight: &mut Vec<Arc<str>>, retrying: &mut Vec<Arc<str>>| {
                match step {
                    0 => {
                        next_slot += 1;
                        pushed += 1;
                        lanes.push(&format!("c{who}"), waiting(&next_slot.to_string(), next_slot));
                    }
                    1 => {
                        if let Some((conversation, message, _)) = lanes.next() {
                            assert!(!in_flight.contains(&conversation), "two at once");
                            sent.entry(conversation.to_string()).or_default().push(message.slot.offset);
                            in_flight.push(conversation);
                        }
                    }
                    2 if !in_flight.is_empty() => {
                        let conversation = in_flight.remove(who % in_flight.len());
                        lanes.done(&conversation);
                    }
                    3 if !in_flight.is_empty() => {
                        let conversation = in_flight.remove(who % in_flight.len());
                        // The attempt is undone: it will be sent again.
                        if let Some(list) = sent.get_mut(&*conversation) { list.pop(); }
                        retrying.push(conversation);
                    }
                    _ => {
                        if let Some(conversation) = retrying.pop() {
                            lanes.again(&conversation);
                        }
                    }
                }
            };
            for (step, who) in steps {
                run(step, who, &mut lanes, &mut in_flight, &mut retrying);
            }
            // Drain.
            for conversation in retrying.drain(..) { lanes.again(&conversation); }
            for conversation in in_flight.drain(..) { lanes.done(&conversation); }
            let mut drained = 0;
            while let Some((conversation, message, _)) = lanes.next() {
                sent.entry(conversation.to_string()).or_default().push(message.slot.offset);
                lanes.done(&conversation);
                drained += 1;
                prop_assert!(drained <= 1000);
            }
            prop_assert_eq!(lanes.len(), 0);
            prop_assert_eq!(sent.values().map(Vec::len).sum::<usize>(), pushed, "every message sent once");
            for (_, slots) in sent {
                let mut sorted = slots.clone();
                sorted.sort_unstable();
                prop_assert_eq!(slots, sorted);
            }
        }
    }
}

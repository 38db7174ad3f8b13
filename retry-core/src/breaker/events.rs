//! State transitions and the subscribers that hear of them.
//!
//! Transitions are made under the breaker's control lock, which also queues their events, so
//! the queue's order is the order of the transitions. Whoever queues an event then delivers
//! the queue, unless another thread is already delivering it (that thread will deliver the
//! new event too): subscribers are called outside the lock, one event at a time, in order.
//!
//! Each event is queued with the subscribers of the moment it happened, so a subscriber
//! hears exactly the transitions made after it subscribed. An event that nobody would hear
//! (no subscriber, and no `tracing` to log it) is not queued at all, and the transition that
//! made it skips the delivery: most breakers have no subscriber, and this is half of what a
//! transition would cost them.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use super::BreakerState;
use crate::log;
use crate::sync::{Mutex, MutexGuard, lock};

/// A circuit breaker changed state; handed to its subscribers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Transition {
    /// The breaker's name.
    pub name: &'static str,
    /// The state it left.
    pub from: BreakerState,
    /// The state it entered.
    pub to: BreakerState,
}

type Subscriber = Arc<dyn Fn(&Transition) + Send + Sync>;

/// What the control lock guards besides the transitions themselves.
pub(crate) struct Control {
    /// Each event with the subscribers to hear it.
    queue: VecDeque<(Transition, Arc<[Subscriber]>)>,
    delivering: bool,
    /// Replaced, never changed in place, so that a queued event can keep the list of its
    /// moment, and delivery can hold it outside the lock.
    subscribers: Arc<[Subscriber]>,
}

impl Control {
    pub(crate) fn new() -> Self {
        Control {
            queue: VecDeque::new(),
            delivering: false,
            subscribers: Arc::new([]),
        }
    }

    /// Queues `transition` for the subscribers of now; returns whether there is something
    /// to deliver, which is never the case when nobody would hear it.
    #[must_use]
    pub(crate) fn queue(&mut self, transition: Transition) -> bool {
        if self.subscribers.is_empty() && !cfg!(feature = "tracing") {
            return false;
        }
        let subscribers = Arc::clone(&self.subscribers);
        self.queue.push_back((transition, subscribers));
        true
    }

    pub(crate) fn subscribe(&mut self, subscriber: Subscriber) {
        let mut all = self.subscribers.to_vec();
        all.push(subscriber);
        self.subscribers = all.into();
    }
}

/// Delivers the queued events, unless another thread is at it; takes the lock's guard and
/// releases it before calling anyone.
pub(crate) fn deliver<'c>(control: &'c Mutex<Control>, mut guard: MutexGuard<'c, Control>) {
    if guard.delivering {
        return;
    }
    guard.delivering = true;
    while let Some((transition, subscribers)) = guard.queue.pop_front() {
        drop(guard);

        log::transition(&transition);
        for subscriber in subscribers.iter() {
            // A panicking subscriber must not take the call that happened to make the
            // transition down with it, nor stop the others from hearing of it. The panic
            // hook has already reported it.
            if catch_unwind(AssertUnwindSafe(|| subscriber(&transition))).is_err() {
                log::subscriber_panicked(&transition);
            }
        }
        guard = lock(control);
    }
    guard.delivering = false;
}

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::sync::lock;
    use crate::{BreakerConfig, CircuitBreaker};

    #[test]
    fn a_breaker_nobody_listens_to_queues_no_event() {
        let breaker = CircuitBreaker::new("quiet", BreakerConfig::new()).unwrap();
        breaker.force_open();
        breaker.force_closed();
        breaker.reset();
        // A queue that was ever pushed to has a capacity; `tracing` logs every event, so
        // with it the events are queued for the log.
        let queued = lock(&breaker.control).queue.capacity() > 0;
        assert_eq!(queued, cfg!(feature = "tracing"));
    }
}

//! State transitions and the subscribers that hear of them.
//!
//! Transitions are made under the breaker's control lock, which also queues their events, so
//! the queue's order is the order of the transitions. Whoever queues an event then delivers
//! the queue, unless another thread is already delivering it (that thread will deliver the
//! new event too): subscribers are called outside the lock, one event at a time, in order.

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
    queue: VecDeque<Transition>,
    delivering: bool,
    /// Replaced, never changed in place, so that delivery can hold a copy outside the lock.
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

    pub(crate) fn queue(&mut self, transition: Transition) {
        self.queue.push_back(transition);
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
    while let Some(transition) = guard.queue.pop_front() {
        let subscribers = Arc::clone(&guard.subscribers);
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

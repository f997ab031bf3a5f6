//! A wake-up for one waiting task of the reactor (wstd has no channels): a
//! connection tells the timer task that the sessions changed; the outbox
//! tells its runner that a job was queued. One pending wake-up is enough:
//! the woken task looks at the shared state afresh. `Send + Sync` because
//! the shared outbox crate asks that of its callback (the component itself
//! has one thread).

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

/// A flag plus the waker of the task waiting for it; clones share both.
#[derive(Debug, Clone, Default)]
pub struct Notify(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    pending: AtomicBool,
    waiter: Mutex<Option<Waker>>,
}

impl Notify {
    /// Wakes the waiting task (or the next one to wait).
    pub fn notify(&self) {
        self.0.pending.store(true, Ordering::Release);
        if let Some(w) = self.waiter().take() {
            w.wake();
        }
    }

    /// Waits until [`Notify::notify`] was called since the last wait ended.
    pub async fn wait(&self) {
        poll_fn(|cx| {
            if self.0.pending.swap(false, Ordering::AcqRel) {
                Poll::Ready(())
            } else {
                *self.waiter() = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }

    fn waiter(&self) -> std::sync::MutexGuard<'_, Option<Waker>> {
        self.0.waiter.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::pin;
    use std::task::Context;

    #[test]
    fn a_notification_before_or_during_the_wait_ends_it_once() {
        let n = Notify::default();
        let mut cx = Context::from_waker(Waker::noop());
        n.notify();
        assert!(pin!(n.wait()).poll(&mut cx).is_ready());
        let mut w = pin!(n.wait());
        assert!(w.as_mut().poll(&mut cx).is_pending());
        n.clone().notify();
        n.notify();
        assert!(w.as_mut().poll(&mut cx).is_ready());
        assert!(pin!(n.wait()).poll(&mut cx).is_pending());
    }
}

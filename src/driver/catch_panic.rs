//! A future that turns a panic in the future it wraps into an error value.
//!
//! The client's connection task runs inside one: a bug that panics still ends the client
//! for JS (an error and FINISHED) rather than leaving it silent, without a second task per
//! client to watch the first (a task costs ~500 bytes, and thousands of clients each hold
//! one).

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Wraps `F`; yields `Ok(output)`, or `Err(message)` if polling it panicked. After a panic
/// the inner future is not polled again.
pub struct CatchPanic<F> {
    inner: F,
}

impl<F> CatchPanic<F> {
    pub fn new(inner: F) -> Self {
        CatchPanic { inner }
    }
}

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `inner` is structurally pinned: it is never moved out of `self`, and
        // `CatchPanic` has no Drop impl nor Unpin impl of its own that could move it.
        let inner = unsafe { self.map_unchecked_mut(|s| &mut s.inner) };
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(payload) => Poll::Ready(Err(message(&*payload))),
        }
    }
}

/// The text a panic was raised with.
fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_completing_future_should_yield_its_output() {
        let out = CatchPanic::new(async {
            tokio::task::yield_now().await;
            7
        })
        .await;
        assert_eq!(out, Ok(7));
    }

    #[tokio::test]
    async fn a_panicking_future_should_yield_its_message() {
        let out = CatchPanic::new(async {
            tokio::task::yield_now().await;
            if std::hint::black_box(true) {
                panic!("broken {}", 42);
            }
        })
        .await;
        assert_eq!(out, Err("broken 42".to_string()));
    }
}

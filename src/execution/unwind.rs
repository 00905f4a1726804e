//! Turning a panic inside an execution into a value. A panic is a driftwatch bug, but it must
//! not wedge the daemon (a worker that never reports back keeps "running 1" forever and
//! blocks its schedule): the execution ends with a `Failed` record that says so instead.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Polls `future` to completion; a panic while polling becomes `Err(message)`.
///
/// Unwind safety: the future is dropped right after a panic and the callers share no state
/// with it beyond what they rebuild from the store, so nothing half-updated is observed.
pub async fn catch_panic<F: Future>(future: F) -> Result<F::Output, String> {
    CatchPanic(Box::pin(future)).await
}

struct CatchPanic<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(payload) => Poll::Ready(Err(panic_message(payload.as_ref()))),
        }
    }
}

/// The text of a panic payload (`panic!` with a literal or a formatted message).
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_its_message_and_a_value_passes_through() {
        let caught = catch_panic(async {
            tokio::task::yield_now().await;
            let n: usize = std::hint::black_box(0);
            if n == 0 {
                panic!("boom {n}");
            }
        })
        .await;
        assert_eq!(caught.unwrap_err(), "boom 0");
        assert_eq!(catch_panic(async { 7 }).await, Ok(7));
    }
}

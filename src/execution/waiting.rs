//! What an execution is waiting on right now, so that a run cut off by `max_runtime` says why
//! instead of only that it took too long (regression: an unreachable or stalled Ray cluster
//! ended with "exceeded max runtime of 45s", the cause only in the log). Steps that wait on
//! something outside the process (a Ray job's state, a cluster that does not answer) say so
//! here; the note of the execution's own task is read when the limit is reached.

use std::sync::{Arc, Mutex};

tokio::task_local! {
    static NOTE: Arc<Mutex<Option<String>>>;
}

/// The note of one execution, shared with its task.
#[derive(Debug, Clone, Default)]
pub(super) struct Waiting(Arc<Mutex<Option<String>>>);

impl Waiting {
    /// Runs `work` with this note as its task's.
    pub async fn scope<F: Future>(&self, work: F) -> F::Output {
        NOTE.scope(self.0.clone(), work).await
    }

    /// What the task was last waiting on, if anything.
    pub fn last(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Says what the current execution waits on now (nothing outside an execution's task).
pub(super) fn on(note: impl FnOnce() -> String) {
    let _ = NOTE.try_with(|n| *n.lock().unwrap_or_else(|p| p.into_inner()) = Some(note()));
}

/// The wait is over.
pub(super) fn done() {
    let _ = NOTE.try_with(|n| *n.lock().unwrap_or_else(|p| p.into_inner()) = None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_note_of_the_task_is_what_it_last_waited_on() {
        let w = Waiting::default();
        w.scope(async {
            on(|| "Ray job a is PENDING".into());
            on(|| "Ray job b is PENDING".into());
        })
        .await;
        assert_eq!(w.last().as_deref(), Some("Ray job b is PENDING"));
        w.scope(async { done() }).await;
        assert_eq!(w.last(), None);
        // Outside a scope nothing happens.
        on(|| "x".into());
    }
}

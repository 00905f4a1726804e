//! One daemon per schedule output: a lease object beside each schedule's executions
//! (`{output}/{endpoint}/{schedule}/.driftwatch-lease.json`) naming the daemon that runs it
//! (owner, host, pid) and until when. Two daemons started on the same configuration (a
//! second replica, a forgotten test instance, a rolling deploy) would otherwise run every
//! execution twice.
//!
//! The rules of taking, taking over and renewing are those of every lock object
//! (`store::lock`): atomic, never deleting a document it cannot read, conditional renewals. A
//! lease whose holder stopped renewing it (killed with -9, lost its host) expires after
//! [`TTL`] and may be taken over. A holder renews every [`RENEW_EVERY`]; one that finds its
//! lease taken shuts down rather than race. A schedule whose lease cannot be taken yet (the
//! output refuses it, or holds a document that is not a lease) does not run, and the daemon
//! reports not ready with the reason.

use std::time::Duration;

use chrono::Utc;

use crate::aws::AwsClients;
use crate::config::{Schedule, ScheduleFile};
use crate::store::lock::{self, Holder, Lock, LockError};
use crate::store::{ObjectStore, Store, join_key};

pub const LEASE_FILE: &str = ".driftwatch-lease.json";
/// How long a lease holds without renewal.
pub const TTL: Duration = Duration::from_secs(90);
/// How often a holder renews (a third of the TTL: two renewals may fail before it expires).
pub const RENEW_EVERY: Duration = Duration::from_secs(30);

/// One schedule's lease, held.
#[derive(Debug, Clone)]
struct Held {
    schedule: String,
    store: Store,
    lock: Lock,
}

fn key_of(schedule: &Schedule) -> String {
    join_key(
        &join_key(schedule.endpoint(), schedule.name.as_str()),
        LEASE_FILE,
    )
}

/// A schedule whose lease could not be taken yet, and why. Its executions do not run (the
/// daemon is not ready) until the lease is taken: an output that refuses the lease would
/// refuse the records too, and a lease it cannot read may be another daemon's.
#[derive(Debug, Clone)]
struct Pending {
    schedule: Schedule,
    why: String,
}

/// The leases this daemon holds, one per schedule, and the schedules whose lease could not be
/// taken yet (tried again at every renewal).
#[derive(Debug)]
pub struct Leases {
    me: Holder,
    held: tokio::sync::Mutex<Vec<Held>>,
    pending: tokio::sync::Mutex<Vec<Pending>>,
}

async fn acquire(
    schedule: &Schedule,
    me: &Holder,
    clients: &AwsClients,
) -> Result<Held, LockError> {
    let store = Store::open(&schedule.output, clients).await;
    let key = key_of(schedule);
    let lock = lock::take(&store, &key, me, TTL, Utc::now()).await?;
    Ok(Held {
        schedule: schedule.name.as_str().to_string(),
        store,
        lock,
    })
}

impl Leases {
    /// Takes the lease of every schedule. A lease another daemon holds is refused (and the
    /// ones taken are released); one that cannot be taken yet is pending.
    pub async fn acquire_all(
        file: &ScheduleFile,
        me: Holder,
        clients: &AwsClients,
    ) -> Result<Self, LockError> {
        let leases = Self {
            me,
            held: tokio::sync::Mutex::new(Vec::new()),
            pending: tokio::sync::Mutex::new(Vec::new()),
        };
        leases.sync(file, clients).await?;
        Ok(leases)
    }

    /// Makes the held leases match `file` (after a reload): takes the new schedules' leases,
    /// releases the removed ones'. When another daemon holds one, nothing changes.
    pub async fn sync(&self, file: &ScheduleFile, clients: &AwsClients) -> Result<(), LockError> {
        let mut held = self.held.lock().await;
        let mut taken = Vec::new();
        let mut pending = Vec::new();
        for s in &file.schedules {
            if held
                .iter()
                .any(|h| h.schedule == s.name.as_str() && h.lock.key == key_of(s))
            {
                continue;
            }
            match acquire(s, &self.me, clients).await {
                Ok(h) => taken.push(h),
                Err(e @ LockError::Held { .. }) => {
                    for h in &taken {
                        lock::release(&h.store, &h.lock, &self.me).await;
                    }
                    return Err(e);
                }
                Err(e) => {
                    tracing::warn!(schedule = s.name.as_str(), error = %e,
                        "cannot take the schedule's lease yet: its executions wait; trying again every 30 s");
                    pending.push(Pending {
                        schedule: s.clone(),
                        why: e.to_string(),
                    });
                }
            }
        }
        *self.pending.lock().await = pending;
        let (keep, drop): (Vec<Held>, Vec<Held>) = held.drain(..).partition(|h| {
            file.schedules
                .iter()
                .any(|s| s.name.as_str() == h.schedule && key_of(s) == h.lock.key)
        });
        for h in &drop {
            lock::release(&h.store, &h.lock, &self.me).await;
        }
        *held = keep;
        held.extend(taken);
        Ok(())
    }

    /// The schedules whose lease is not held yet, with the reason: their executions wait.
    pub async fn waiting(&self) -> Vec<(String, String)> {
        self.pending
            .lock()
            .await
            .iter()
            .map(|p| (p.schedule.name.as_str().to_string(), p.why.clone()))
            .collect()
    }

    /// Renews every lease (conditionally: a lease another daemon took over is never written
    /// back) and tries the pending ones again; returns the leases another daemon holds now.
    /// A renewal that cannot reach the store is retried next time.
    pub async fn renew(&self, clients: &AwsClients) -> Vec<LockError> {
        let mut held = self.held.lock().await;
        let mut lost = Vec::new();
        let mut pending = self.pending.lock().await;
        let mut still = Vec::new();
        for p in pending.drain(..) {
            match acquire(&p.schedule, &self.me, clients).await {
                Ok(h) => {
                    tracing::info!(
                        schedule = p.schedule.name.as_str(),
                        "took the schedule's lease"
                    );
                    held.push(h)
                }
                Err(e @ LockError::Held { .. }) => lost.push(e),
                Err(e) => still.push(Pending {
                    schedule: p.schedule,
                    why: e.to_string(),
                }),
            }
        }
        *pending = still;
        for h in held.iter() {
            match lock::renew(&h.store, &h.lock, &self.me, Utc::now()).await {
                Ok(()) => {}
                Err(LockError::Store(e)) => {
                    tracing::warn!(lease = %h.store.describe(&h.lock.key), error = %e, "cannot renew the lease; trying again");
                }
                Err(e) => lost.push(e),
            }
        }
        lost
    }

    /// Releases every lease (a clean shutdown), so a successor need not wait for expiry.
    pub async fn release_all(&self) {
        let held = std::mem::take(&mut *self.held.lock().await);
        for h in &held {
            lock::release(&h.store, &h.lock, &self.me).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Location;
    use chrono::TimeDelta;

    fn file(dir: &std::path::Path) -> ScheduleFile {
        let yaml = format!(
            "schedules:\n  - name: s1\n    type: model_explainability\n    endpoint: ep\n    cadence: hourly\n    data_capture: {d}/c\n    output: {d}/out\n    analysis_config: {d}/a.json\n    shadow_endpoint: ep-shadow\n",
            d = dir.display()
        );
        std::fs::write(
            dir.join("a.json"),
            r#"{"dataset_type": "text/csv", "headers": ["a", "b"], "methods": {"shap": {"baseline": [[1, 2]], "num_samples": 10}}, "predictor": {"model_name": "m"}}"#,
        )
        .unwrap();
        ScheduleFile::parse(
            &yaml,
            &dir.join("s.yaml"),
            &Location::Local(dir.join("s.yaml")),
        )
        .unwrap()
    }

    fn other(name: &str) -> Holder {
        Holder {
            owner: format!("{name}/1/0"),
            host: name.into(),
            pid: 1,
        }
    }

    #[tokio::test]
    async fn one_holder_at_a_time_until_release_or_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let f = file(dir.path());
        let clients = AwsClients::new();
        let a = Leases::acquire_all(&f, other("a"), &clients).await.unwrap();
        let err = Leases::acquire_all(&f, other("b"), &clients)
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("held by another driftwatch process (host a, pid 1)"),
            "{text}"
        );
        assert!(text.contains("out/ep/s1/.driftwatch-lease.json"), "{text}");
        assert!(a.renew(&clients).await.is_empty());
        a.release_all().await;
        let b = Leases::acquire_all(&f, other("b"), &clients).await.unwrap();
        // b's lease expires (its holder stopped renewing): c takes it over, and b, renewing
        // late, learns it lost it.
        let key = dir.path().join("out/ep/s1").join(LEASE_FILE);
        let mut doc: crate::store::lock::LockDoc =
            serde_json::from_slice(&std::fs::read(&key).unwrap()).unwrap();
        doc.expires_at = Utc::now() - TimeDelta::seconds(1);
        std::fs::write(&key, serde_json::to_vec(&doc).unwrap()).unwrap();
        let c = Leases::acquire_all(&f, other("c"), &clients).await.unwrap();
        let lost = b.renew(&clients).await;
        assert_eq!(lost.len(), 1);
        assert!(lost[0].to_string().contains("host c"));
        assert!(c.renew(&clients).await.is_empty());
        // A holder on this host whose process is gone (kill -9, then a restart) is not waited
        // out; a live one is.
        let here = Holder::this_process();
        let gone = Holder {
            owner: format!("{}/{}/0", here.host, u32::MAX - 1),
            host: here.host.clone(),
            pid: u32::MAX - 1,
        };
        c.release_all().await;
        let _d = Leases::acquire_all(&f, gone, &clients).await.unwrap();
        Leases::acquire_all(&f, here.clone(), &clients)
            .await
            .unwrap();
        let alive = Holder {
            owner: "another/1".into(),
            host: here.host.clone(),
            pid: 1,
        };
        assert!(Leases::acquire_all(&f, alive, &clients).await.is_err());
    }

    /// Regression: with the lease path a directory, both daemons reported ready and ran every
    /// execution; the only sign was a warning. Now the schedule waits, with the reason.
    #[tokio::test]
    async fn an_unusable_lease_path_leaves_the_schedule_waiting_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let f = file(dir.path());
        let clients = AwsClients::new();
        std::fs::create_dir_all(dir.path().join("out/ep/s1").join(LEASE_FILE)).unwrap();
        let a = Leases::acquire_all(&f, other("a"), &clients).await.unwrap();
        let waiting = a.waiting().await;
        assert_eq!(waiting.len(), 1, "{waiting:?}");
        assert_eq!(waiting[0].0, "s1");
        assert!(
            waiting[0].1.contains(".driftwatch-lease.json"),
            "{waiting:?}"
        );
        // Still waiting at the next renewal; taken once the path is usable.
        assert!(a.renew(&clients).await.is_empty());
        assert_eq!(a.waiting().await.len(), 1);
        std::fs::remove_dir(dir.path().join("out/ep/s1").join(LEASE_FILE)).unwrap();
        assert!(a.renew(&clients).await.is_empty());
        assert!(a.waiting().await.is_empty());
    }
}

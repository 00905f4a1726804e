//! One daemon per schedule output: a lease object beside each schedule's executions
//! (`{output}/{endpoint}/{schedule}/.driftwatch-lease.json`) naming the daemon that runs it
//! (owner, host, pid) and until when. Two daemons started on the same configuration (a
//! second replica, a forgotten test instance, a rolling deploy) would otherwise run every
//! execution twice.
//!
//! Acquiring is atomic: the object is created only if absent (S3 `If-None-Match: *`, a hard
//! link locally), so of two daemons starting together exactly one wins. A lease whose holder
//! stopped renewing it (killed with -9, lost its host) expires after [`TTL`] and may be taken
//! over. A holder renews every [`RENEW_EVERY`]; one that finds its lease taken stops running
//! executions for that schedule's output (the daemon shuts down rather than race).

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::aws::AwsClients;
use crate::config::{Schedule, ScheduleFile};
use crate::sagemaker::time::format_utc;
use crate::store::{ObjectStore, Store, StoreError, join_key};

pub const LEASE_FILE: &str = ".driftwatch-lease.json";
/// How long a lease holds without renewal.
pub const TTL: Duration = Duration::from_secs(90);
/// How often a holder renews (a third of the TTL: two renewals may fail before it expires).
pub const RENEW_EVERY: Duration = Duration::from_secs(30);

/// The lease object's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseDoc {
    pub owner: String,
    pub host: String,
    pub pid: u32,
    #[serde(with = "crate::sagemaker::time::rfc3339")]
    pub acquired_at: DateTime<Utc>,
    #[serde(with = "crate::sagemaker::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error(
        "{location} is held by another driftwatch daemon (host {host}, pid {pid}) until {}; stop that daemon or give this one another output (the lease expires {} s after its holder stops renewing it)",
        format_utc(*.expires_at),
        TTL.as_secs()
    )]
    Held {
        location: String,
        host: String,
        pid: u32,
        expires_at: DateTime<Utc>,
    },
    #[error("taking the lease {0}")]
    Store(#[from] StoreError),
}

/// This process, as lease owners are named.
#[derive(Debug, Clone)]
pub struct Me {
    pub owner: String,
    pub host: String,
    pub pid: u32,
}

impl Me {
    pub fn this_process() -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "unknown-host".into());
        let pid = std::process::id();
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        Self {
            owner: format!("{host}/{pid}/{nanos:x}"),
            host,
            pid,
        }
    }

    fn doc(&self, acquired_at: DateTime<Utc>, now: DateTime<Utc>) -> LeaseDoc {
        LeaseDoc {
            owner: self.owner.clone(),
            host: self.host.clone(),
            pid: self.pid,
            acquired_at,
            expires_at: now + TimeDelta::from_std(TTL).unwrap_or(TimeDelta::seconds(90)),
        }
    }
}

/// One schedule's lease, held.
#[derive(Debug, Clone)]
struct Held {
    schedule: String,
    store: Store,
    key: String,
    acquired_at: DateTime<Utc>,
}

fn key_of(schedule: &Schedule) -> String {
    join_key(
        &join_key(schedule.endpoint.as_str(), schedule.name.as_str()),
        LEASE_FILE,
    )
}

fn held_by(store: &Store, key: &str, doc: LeaseDoc) -> LeaseError {
    LeaseError::Held {
        location: store.describe(key),
        host: doc.host,
        pid: doc.pid,
        expires_at: doc.expires_at,
    }
}

async fn read(store: &Store, key: &str) -> Result<Option<LeaseDoc>, StoreError> {
    match store.get(key).await {
        // An unreadable lease (truncated by hand, an older format) counts as absent.
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether the holder was a process on this host that no longer runs (killed with -9 and
/// restarted by systemd): its lease need not be waited out.
fn holder_is_gone(doc: &LeaseDoc, me: &Me) -> bool {
    doc.host == me.host
        && doc.pid != me.pid
        && !std::path::Path::new(&format!("/proc/{}", doc.pid)).exists()
}

/// Takes the lease of one schedule's output, or says who holds it.
async fn acquire(
    schedule: &Schedule,
    me: &Me,
    clients: &AwsClients,
    now: DateTime<Utc>,
) -> Result<Held, LeaseError> {
    let store = Store::open(&schedule.output, clients).await;
    let key = key_of(schedule);
    let bytes = |doc: &LeaseDoc| serde_json::to_vec_pretty(doc).unwrap_or_default();
    // Twice at most: a stale lease is removed once, then created anew (a rival doing the same
    // at the same moment makes one of the two creations fail, and that one reports it).
    for _ in 0..2 {
        if store.put_new(&key, bytes(&me.doc(now, now))).await? {
            return Ok(Held {
                schedule: schedule.name.as_str().to_string(),
                store,
                key,
                acquired_at: now,
            });
        }
        match read(&store, &key).await? {
            Some(doc) if doc.owner == me.owner => {
                return Ok(Held {
                    schedule: schedule.name.as_str().to_string(),
                    store,
                    key,
                    acquired_at: doc.acquired_at,
                });
            }
            Some(doc) if doc.expires_at > now && !holder_is_gone(&doc, me) => {
                return Err(held_by(&store, &key, doc));
            }
            stale => {
                if let Some(doc) = stale {
                    tracing::warn!(lease = %store.describe(&key), host = %doc.host, pid = doc.pid,
                        expires = %format_utc(doc.expires_at),
                        "taking over the lease of a daemon that stopped (expired, or its process is gone)");
                }
                store.delete(&key).await?;
            }
        }
    }
    match read(&store, &key).await? {
        Some(doc) => Err(held_by(&store, &key, doc)),
        None => Err(LeaseError::Store(StoreError::Transient {
            location: store.describe(&key),
            message: "the lease kept changing while it was taken".into(),
        })),
    }
}

/// The leases this daemon holds, one per schedule, and the schedules whose lease could not be
/// written yet (the output unreachable or refusing: those executions fail on the same cause,
/// and the daemon reports not ready; the lease is taken as soon as the store answers).
#[derive(Debug)]
pub struct Leases {
    me: Me,
    held: tokio::sync::Mutex<Vec<Held>>,
    pending: tokio::sync::Mutex<Vec<Schedule>>,
}

impl Leases {
    /// Takes the lease of every schedule, or none: on a refusal the ones taken are released.
    pub async fn acquire_all(
        file: &ScheduleFile,
        me: Me,
        clients: &AwsClients,
    ) -> Result<Self, LeaseError> {
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
    pub async fn sync(&self, file: &ScheduleFile, clients: &AwsClients) -> Result<(), LeaseError> {
        let now = Utc::now();
        let mut held = self.held.lock().await;
        let mut taken = Vec::new();
        let mut pending = Vec::new();
        for s in &file.schedules {
            if held
                .iter()
                .any(|h| h.schedule == s.name.as_str() && h.key == key_of(s))
            {
                continue;
            }
            match acquire(s, &self.me, clients, now).await {
                Ok(h) => taken.push(h),
                Err(LeaseError::Store(e)) => {
                    tracing::warn!(schedule = s.name.as_str(), error = %e,
                        "cannot take the schedule's lease yet; trying again every 30 s");
                    pending.push(s.clone());
                }
                Err(e) => {
                    for h in &taken {
                        release(h, &self.me).await;
                    }
                    return Err(e);
                }
            }
        }
        *self.pending.lock().await = pending;
        let (keep, drop): (Vec<Held>, Vec<Held>) = held.drain(..).partition(|h| {
            file.schedules
                .iter()
                .any(|s| s.name.as_str() == h.schedule && key_of(s) == h.key)
        });
        for h in &drop {
            release(h, &self.me).await;
        }
        *held = keep;
        held.extend(taken);
        Ok(())
    }

    /// Renews every lease; returns the ones another daemon has taken (after this one failed
    /// to renew in time). A renewal that cannot reach the store is retried next time.
    pub async fn renew(&self, clients: &AwsClients) -> Vec<LeaseError> {
        let now = Utc::now();
        let mut held = self.held.lock().await;
        let mut lost = Vec::new();
        let mut pending = self.pending.lock().await;
        let mut still = Vec::new();
        for s in pending.drain(..) {
            match acquire(&s, &self.me, clients, now).await {
                Ok(h) => held.push(h),
                Err(LeaseError::Store(_)) => still.push(s),
                Err(e) => lost.push(e),
            }
        }
        *pending = still;
        for h in held.iter() {
            match read(&h.store, &h.key).await {
                Ok(Some(doc)) if doc.owner != self.me.owner => {
                    lost.push(held_by(&h.store, &h.key, doc))
                }
                Ok(_) => {
                    let doc = self.me.doc(h.acquired_at, now);
                    let bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
                    if let Err(e) = h.store.put(&h.key, bytes).await {
                        tracing::warn!(lease = %h.store.describe(&h.key), error = %e, "cannot renew the lease; trying again");
                    }
                }
                Err(e) => {
                    tracing::warn!(lease = %h.store.describe(&h.key), error = %e, "cannot read the lease; trying again");
                }
            }
        }
        lost
    }

    /// Releases every lease (a clean shutdown), so a successor need not wait for expiry.
    pub async fn release_all(&self) {
        let held = std::mem::take(&mut *self.held.lock().await);
        for h in &held {
            release(h, &self.me).await;
        }
    }
}

/// Deletes a lease if it is still this daemon's.
async fn release(h: &Held, me: &Me) {
    match read(&h.store, &h.key).await {
        Ok(Some(doc)) if doc.owner == me.owner => {
            if let Err(e) = h.store.delete(&h.key).await {
                tracing::warn!(lease = %h.store.describe(&h.key), error = %e, "cannot release the lease; it expires by itself");
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Location;

    fn file(dir: &std::path::Path) -> ScheduleFile {
        let yaml = format!(
            "schedules:\n  - name: s1\n    type: model_explainability\n    endpoint: ep\n    cadence: hourly\n    data_capture: {d}/c\n    output: {d}/out\n    analysis_config: {d}/a.json\n",
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

    fn other(name: &str) -> Me {
        Me {
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
            text.contains("held by another driftwatch daemon (host a, pid 1)"),
            "{text}"
        );
        assert!(text.contains("out/ep/s1/.driftwatch-lease.json"), "{text}");
        assert!(a.renew(&clients).await.is_empty());
        a.release_all().await;
        let b = Leases::acquire_all(&f, other("b"), &clients).await.unwrap();
        // b's lease expires (its holder stopped renewing): c takes it over, and b, renewing
        // late, learns it lost it.
        let key = dir.path().join("out/ep/s1").join(LEASE_FILE);
        let mut doc: LeaseDoc = serde_json::from_slice(&std::fs::read(&key).unwrap()).unwrap();
        doc.expires_at = Utc::now() - TimeDelta::seconds(1);
        std::fs::write(&key, serde_json::to_vec(&doc).unwrap()).unwrap();
        let c = Leases::acquire_all(&f, other("c"), &clients).await.unwrap();
        let lost = b.renew(&clients).await;
        assert_eq!(lost.len(), 1);
        assert!(lost[0].to_string().contains("host c"));
        assert!(c.renew(&clients).await.is_empty());
        // A holder on this host whose process is gone (kill -9, then a restart) is not waited
        // out; a live one is.
        let here = Me::this_process();
        let gone = Me {
            owner: format!("{}/{}/0", here.host, u32::MAX - 1),
            host: here.host.clone(),
            pid: u32::MAX - 1,
        };
        c.release_all().await;
        let _d = Leases::acquire_all(&f, gone, &clients).await.unwrap();
        Leases::acquire_all(&f, here.clone(), &clients)
            .await
            .unwrap();
        let alive = Me {
            owner: "another/1".into(),
            host: here.host.clone(),
            pid: 1,
        };
        assert!(Leases::acquire_all(&f, alive, &clients).await.is_err());
    }
}

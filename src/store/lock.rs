//! A lock as an object: a small JSON document naming its holder (owner, host, pid) and until
//! when it holds. The daemon's schedule leases and each execution's claim are such locks, so
//! they share one set of rules, every one of them a regression of the hostile re-test:
//!
//! - **Taking is atomic**: a conditional create (S3 `If-None-Match: *`, a hard link locally),
//!   and a take-over is a conditional replace of the exact version read (S3 `If-Match`), so
//!   of two processes taking the same lock exactly one wins.
//! - **A take-over needs proof that the holder is gone**: its lock expired, or it named a
//!   process on this host that no longer runs. A document that cannot be read is never
//!   deleted: it is logged, and taken over only once it has gone a whole period unchanged
//!   (no live holder leaves its lock unrenewed that long).
//! - **An expiry further ahead than the lock's own period is corrupt** (a holder only ever
//!   writes now + period): it is treated like an unreadable document, not obeyed for ever.
//! - **Renewals are conditional**: read, check the owner, replace that exact version. A holder
//!   whose lock was taken over learns it at its next renewal, and a renewal can never undo a
//!   take-over.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{ObjectStore, Store, StoreError, Version};
use crate::sagemaker::time::format_utc;

/// A lock's document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockDoc {
    pub owner: String,
    pub host: String,
    pub pid: u32,
    #[serde(with = "crate::sagemaker::time::rfc3339")]
    pub acquired_at: DateTime<Utc>,
    #[serde(with = "crate::sagemaker::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
}

/// This process, as lock holders are named: host and pid for people (and to tell a holder on
/// this host that is gone), and a unique owner string for the comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub owner: String,
    pub host: String,
    pub pid: u32,
}

impl Holder {
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

    fn doc(&self, acquired_at: DateTime<Utc>, now: DateTime<Utc>, period: Duration) -> LockDoc {
        LockDoc {
            owner: self.owner.clone(),
            host: self.host.clone(),
            pid: self.pid,
            acquired_at,
            expires_at: now + delta(period),
        }
    }

    /// Whether `doc`'s holder was a process on this host that no longer runs (killed with -9
    /// and restarted by systemd): its lock need not be waited out.
    fn outlived(&self, doc: &LockDoc) -> bool {
        doc.host == self.host
            && doc.pid != self.pid
            && !std::path::Path::new(&format!("/proc/{}", doc.pid)).exists()
    }
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::days(1))
}

/// Clock differences between hosts tolerated before an expiry counts as too far ahead.
const CLOCK_SLACK: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "{location} is held by another driftwatch process (host {host}, pid {pid}) until {}; it expires {} s after its holder stops renewing it",
        format_utc(*.expires_at),
        .period.as_secs()
    )]
    Held {
        location: String,
        host: String,
        pid: u32,
        expires_at: DateTime<Utc>,
        period: Duration,
    },
    /// A document that cannot be trusted: not read as a lock, or expiring further ahead than
    /// a holder ever writes. Left in place until it has gone a whole period unchanged.
    #[error(
        "{location} is not a usable lock ({why}); it is left in place and taken over at {} if nothing renews it by then (delete it if no driftwatch process holds it)",
        format_utc(*.free_at)
    )]
    Corrupt {
        location: String,
        why: String,
        free_at: DateTime<Utc>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl LockError {
    /// Whether the lock may come free by itself (a holder's expiry, a store that answers
    /// again) rather than needing someone to act.
    pub fn is_wait(&self) -> bool {
        match self {
            Self::Held { .. } | Self::Corrupt { .. } => true,
            Self::Store(e) => e.class().is_retryable(),
        }
    }
}

/// A lock this process holds.
#[derive(Debug, Clone)]
pub struct Lock {
    pub key: String,
    pub acquired_at: DateTime<Utc>,
    period: Duration,
}

fn bytes(doc: &LockDoc) -> Vec<u8> {
    serde_json::to_vec_pretty(doc).unwrap_or_default()
}

/// What a read document means for a would-be holder.
enum Reading {
    Mine(LockDoc),
    Live(LockDoc),
    /// Expired, or its holder provably gone.
    Stale(LockDoc),
    Corrupt(String),
}

fn judge(bytes: &[u8], me: &Holder, period: Duration, now: DateTime<Utc>) -> Reading {
    let doc: LockDoc = match serde_json::from_slice(bytes) {
        Ok(d) => d,
        Err(e) => return Reading::Corrupt(format!("not a lock document: {e}")),
    };
    if doc.owner == me.owner {
        return Reading::Mine(doc);
    }
    if doc.expires_at > now + delta(period + CLOCK_SLACK) {
        return Reading::Corrupt(format!(
            "it expires at {}, further ahead than the lock's own period of {} s",
            format_utc(doc.expires_at),
            period.as_secs()
        ));
    }
    if doc.expires_at > now && !me.outlived(&doc) {
        Reading::Live(doc)
    } else {
        Reading::Stale(doc)
    }
}

/// When a corrupt document written at `modified` may be taken over.
fn free_at(modified: Option<SystemTime>, period: Duration, now: DateTime<Utc>) -> DateTime<Utc> {
    modified.map_or(now, DateTime::<Utc>::from) + delta(period)
}

/// Takes the lock at `key` for `period`, or says who holds it.
pub async fn take(
    store: &Store,
    key: &str,
    me: &Holder,
    period: Duration,
    now: DateTime<Utc>,
) -> Result<Lock, LockError> {
    let held = |acquired_at| Lock {
        key: key.to_string(),
        acquired_at,
        period,
    };
    // Twice at most: a stale lock is replaced once; a rival doing the same at the same moment
    // makes one of the two conditional writes fail, and that one reads the winner.
    for _ in 0..2 {
        if store
            .put_if(key, bytes(&me.doc(now, now, period)), None)
            .await?
            .is_some()
        {
            return Ok(held(now));
        }
        let current = match store.get_versioned(key).await {
            Ok(c) => c,
            // Released between the two calls: create it again.
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(e.into()),
        };
        let location = store.describe(key);
        let version = &current.version;
        match judge(&current.bytes, me, period, now) {
            Reading::Mine(doc) => return Ok(held(doc.acquired_at)),
            Reading::Live(doc) => {
                return Err(LockError::Held {
                    location,
                    host: doc.host,
                    pid: doc.pid,
                    expires_at: doc.expires_at,
                    period,
                });
            }
            Reading::Stale(doc) => {
                tracing::warn!(lock = %location, host = %doc.host, pid = doc.pid,
                    expires = %format_utc(doc.expires_at),
                    "taking over the lock of a process that stopped (expired, or its process is gone)");
                if replace(store, key, me, period, now, version).await? {
                    return Ok(held(now));
                }
            }
            Reading::Corrupt(why) => {
                let free = free_at(current.modified, period, now);
                if free > now {
                    tracing::warn!(lock = %location, reason = %why, free_at = %format_utc(free),
                        "a lock document that cannot be trusted; leaving it in place");
                    return Err(LockError::Corrupt {
                        location,
                        why,
                        free_at: free,
                    });
                }
                tracing::warn!(lock = %location, reason = %why,
                    "taking over a lock document that cannot be trusted and went a whole period unchanged");
                if replace(store, key, me, period, now, version).await? {
                    return Ok(held(now));
                }
            }
        }
    }
    Err(LockError::Store(StoreError::Transient {
        location: store.describe(key),
        message: "the lock kept changing while it was taken".into(),
    }))
}

async fn replace(
    store: &Store,
    key: &str,
    me: &Holder,
    period: Duration,
    now: DateTime<Utc>,
    version: &Version,
) -> Result<bool, StoreError> {
    Ok(store
        .put_if(key, bytes(&me.doc(now, now, period)), Some(version))
        .await?
        .is_some())
}

/// Renews a held lock: `Err(Held)` (or `Corrupt`) when another process has it now. A store
/// that does not answer is `Err(Store)`: the caller tries again before the lock expires.
pub async fn renew(
    store: &Store,
    lock: &Lock,
    me: &Holder,
    now: DateTime<Utc>,
) -> Result<(), LockError> {
    let current = store.get_versioned(&lock.key).await?;
    let location = store.describe(&lock.key);
    let lost = |doc: LockDoc| LockError::Held {
        location: location.clone(),
        host: doc.host,
        pid: doc.pid,
        expires_at: doc.expires_at,
        period: lock.period,
    };
    match judge(&current.bytes, me, lock.period, now) {
        Reading::Mine(_) => {
            let doc = me.doc(lock.acquired_at, now, lock.period);
            match store
                .put_if(&lock.key, bytes(&doc), Some(&current.version))
                .await?
            {
                Some(_) => Ok(()),
                // Replaced between the read and the write: whoever did it holds it now.
                None => match store.get_versioned(&lock.key).await {
                    Ok(c) => match serde_json::from_slice::<LockDoc>(&c.bytes) {
                        Ok(doc) => Err(lost(doc)),
                        Err(e) => Err(LockError::Corrupt {
                            location,
                            why: format!("not a lock document: {e}"),
                            free_at: free_at(c.modified, lock.period, now),
                        }),
                    },
                    Err(e) => Err(e.into()),
                },
            }
        }
        Reading::Live(doc) | Reading::Stale(doc) => Err(lost(doc)),
        // Overwritten with something that is not a lock: the holder is alive (it is this
        // process), so it writes its lock back over exactly that version.
        Reading::Corrupt(why) => {
            tracing::warn!(lock = %location, reason = %why,
                "this process's lock was overwritten with something that is not a lock; writing it back");
            let doc = me.doc(lock.acquired_at, now, lock.period);
            match store
                .put_if(&lock.key, bytes(&doc), Some(&current.version))
                .await?
            {
                Some(_) => Ok(()),
                None => Err(LockError::Corrupt {
                    location,
                    why,
                    free_at: free_at(current.modified, lock.period, now),
                }),
            }
        }
    }
}

/// Releases a lock if it is still this process's (best effort: it expires by itself).
pub async fn release(store: &Store, lock: &Lock, me: &Holder) {
    let Ok(current) = store.get_versioned(&lock.key).await else {
        return;
    };
    let mine = serde_json::from_slice::<LockDoc>(&current.bytes).is_ok_and(|d| d.owner == me.owner);
    if !mine {
        return;
    }
    // Only the version read: a holder that took the lock over since (after it expired) keeps
    // it, where a plain delete would have removed its lock and let a third one in.
    match store.delete_if(&lock.key, &current.version).await {
        Ok(true) => {}
        Ok(false) => tracing::info!(lock = %store.describe(&lock.key),
            "the lock changed hands before it was released; left to its new holder"),
        // A store that refuses conditional deletes (an S3-compatible server without them):
        // the plain delete of the lock just read as ours, rather than making the next
        // holder wait out the whole period.
        Err(refused) => {
            tracing::info!(lock = %store.describe(&lock.key), error = %refused,
                "the store refused a conditional delete; deleting the lock as read");
            if let Err(e) = store.delete(&lock.key).await {
                tracing::warn!(lock = %store.describe(&lock.key), error = %e,
                    "cannot release the lock; it expires by itself");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::LocalDir;

    fn other(name: &str) -> Holder {
        Holder {
            owner: format!("{name}/1/0"),
            host: name.into(),
            pid: 1,
        }
    }

    const PERIOD: Duration = Duration::from_secs(90);

    fn store(dir: &std::path::Path) -> Store {
        Store::Local(LocalDir::new(dir.to_path_buf()))
    }

    #[tokio::test]
    async fn one_holder_and_a_take_over_only_after_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let now = Utc::now();
        let (a, b) = (other("a"), other("b"));
        let la = take(&s, "x/lock", &a, PERIOD, now).await.unwrap();
        let e = take(&s, "x/lock", &b, PERIOD, now).await.unwrap_err();
        assert!(
            matches!(e, LockError::Held { ref host, .. } if host == "a"),
            "{e}"
        );
        assert!(
            e.to_string()
                .contains("held by another driftwatch process (host a, pid 1)")
        );
        renew(&s, &la, &a, now).await.unwrap();
        // Past the expiry, b takes it over; a's renewal then says who has it.
        let later = now + TimeDelta::seconds(91);
        let lb = take(&s, "x/lock", &b, PERIOD, later).await.unwrap();
        let lost = renew(&s, &la, &a, later).await.unwrap_err();
        assert!(lost.to_string().contains("host b"), "{lost}");
        // a's release does not remove b's lock.
        release(&s, &la, &a).await;
        renew(&s, &lb, &b, later).await.unwrap();
        release(&s, &lb, &b).await;
        take(&s, "x/lock", &a, PERIOD, later).await.unwrap();
    }

    /// Regression: a garbage lease under a live daemon was deleted silently and taken, and
    /// both daemons ran for 30 s.
    #[tokio::test]
    async fn an_unreadable_lock_is_left_in_place_until_a_whole_period_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        s.put("x/lock", b"{garbage".to_vec()).await.unwrap();
        let now = Utc::now();
        let e = take(&s, "x/lock", &other("b"), PERIOD, now)
            .await
            .unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, LockError::Corrupt { .. }), "{text}");
        assert!(
            text.contains("not a lock document") && text.contains("left in place"),
            "{text}"
        );
        assert_eq!(s.get("x/lock").await.unwrap(), b"{garbage");
        // Its live holder's renewal writes it back; the other process then sees it held.
        let a = other("a");
        s.delete("x/lock").await.unwrap();
        let la = take(&s, "x/lock", &a, PERIOD, now).await.unwrap();
        s.put("x/lock", b"{garbage".to_vec()).await.unwrap();
        renew(&s, &la, &a, now).await.unwrap();
        let e = take(&s, "x/lock", &other("b"), PERIOD, now)
            .await
            .unwrap_err();
        assert!(matches!(e, LockError::Held { .. }), "{e}");
        s.put("x/lock", b"{garbage".to_vec()).await.unwrap();
        // A period later, still unchanged: taken over.
        let later = now + TimeDelta::seconds(95);
        take(&s, "x/lock", &other("b"), PERIOD, later)
            .await
            .unwrap();
    }

    /// Regression: a lease from another host with `expires_at: 9999-12-31` blocked the
    /// schedule for ever while the message said it expires 90 s after renewal stops.
    #[tokio::test]
    async fn an_expiry_beyond_the_period_is_corrupt_not_obeyed() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let now = Utc::now();
        let mut doc = other("far").doc(now, now, PERIOD);
        doc.expires_at = crate::sagemaker::time::parse_utc("9999-12-31T00:00:00Z").unwrap();
        s.put("x/lock", bytes(&doc)).await.unwrap();
        let e = take(&s, "x/lock", &other("b"), PERIOD, now)
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("further ahead than the lock's own period of 90 s"),
            "{e}"
        );
        let later = now + TimeDelta::seconds(95);
        take(&s, "x/lock", &other("b"), PERIOD, later)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_holder_on_this_host_that_is_gone_is_not_waited_out() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let here = Holder::this_process();
        let gone = Holder {
            owner: format!("{}/{}/0", here.host, u32::MAX - 1),
            host: here.host.clone(),
            pid: u32::MAX - 1,
        };
        let now = Utc::now();
        take(&s, "x/lock", &gone, PERIOD, now).await.unwrap();
        take(&s, "x/lock", &here, PERIOD, now).await.unwrap();
        let alive = Holder {
            owner: "another/1".into(),
            host: here.host.clone(),
            pid: 1,
        };
        assert!(take(&s, "x/lock", &alive, PERIOD, now).await.is_err());
    }

    /// Two processes racing for a stale lock: exactly one gets it.
    #[tokio::test]
    async fn of_two_racing_take_overs_one_wins() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let now = Utc::now();
        take(&s, "x/lock", &other("old"), PERIOD, now)
            .await
            .unwrap();
        let later = now + TimeDelta::seconds(100);
        let (b, c) = (other("b"), other("c"));
        let (rb, rc) = tokio::join!(
            take(&s, "x/lock", &b, PERIOD, later),
            take(&s, "x/lock", &c, PERIOD, later)
        );
        assert!(rb.is_ok() != rc.is_ok(), "{rb:?} {rc:?}");
    }
}

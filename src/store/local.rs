//! The embedded default: a local directory laid out exactly as the S3 prefix would be.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::{ObjectMeta, ObjectStore, StoreError, Version, Versioned, join_key};
use crate::limits::MAX_OBJECT_BYTES;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn joined(&self, key: &str) -> PathBuf {
        let key = key.trim_matches('/');
        if key.is_empty() {
            self.root.clone()
        } else {
            self.root.join(key)
        }
    }

    /// The file of `key`, which must stay below the root: a `.` or `..` segment is refused
    /// before anything is read or written, whichever name (a run, a file name from a listing)
    /// it came from. On S3 such a key is just a key; here it would be another directory.
    fn path(&self, key: &str) -> Result<PathBuf, StoreError> {
        if key.split('/').any(|seg| seg == ".." || seg == ".") {
            return Err(StoreError::Permanent {
                location: self.joined(key).display().to_string(),
                message: "the key has a '.' or '..' segment, which would leave the store's folder"
                    .into(),
            });
        }
        Ok(self.joined(key))
    }

    fn error(&self, key: &str, e: std::io::Error) -> StoreError {
        let location = self.describe(key);
        let message = e.to_string();
        match e.kind() {
            ErrorKind::NotFound => StoreError::NotFound { location },
            ErrorKind::InvalidInput => StoreError::NotData { location, message },
            _ if storage_may_recover(&e) => StoreError::Transient { location, message },
            _ => StoreError::Permanent { location, message },
        }
    }
}

/// Whether the cause of a local I/O error can go away without a change of configuration or
/// data: storage that is read-only (a remount after an error, a snapshot being taken), full or
/// over quota (a clean-up frees space), busy, a stale network file handle, an interrupted or
/// timed-out call. Such failures are retried; a daemon that classed them permanent lost every
/// execution of a 25-second outage.
///
/// `PermissionDenied` stays permanent: like S3's AccessDenied it waits for someone to grant
/// access, and an execution that cannot even write its record is retried anyway (the daemon
/// never settles a time without a record).
fn storage_may_recover(e: &std::io::Error) -> bool {
    use ErrorKind as K;
    if matches!(
        e.kind(),
        K::Interrupted
            | K::TimedOut
            | K::WouldBlock
            | K::ReadOnlyFilesystem
            | K::StorageFull
            | K::QuotaExceeded
            | K::ResourceBusy
            | K::StaleNetworkFileHandle
    ) {
        return true;
    }
    // Kinds std does not name on this toolchain: EIO (a device or network file system that
    // failed an operation) and ENOLCK / ENOMEM / ENFILE / EMFILE (exhausted resources).
    matches!(
        e.raw_os_error(),
        Some(libc::EIO | libc::ENOLCK | libc::ENOMEM | libc::ENFILE | libc::EMFILE)
    )
}

/// Files written by [`write_atomic`] in flight (`.tmpXXXX`) and other hidden files are not
/// objects.
fn hidden(name: &str) -> bool {
    name.starts_with('.')
}

/// Lists `dir` recursively. Files and folders deleted while the walk runs are skipped, as an
/// S3 listing would not show them: one vanished entry must not empty the whole listing.
fn walk(dir: &Path, rel: &str, out: &mut Vec<ObjectMeta>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if hidden(&name) {
            continue;
        }
        let key = join_key(rel, &name);
        let meta = match entry.metadata() {
            Ok(m) => m,
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if meta.is_dir() {
            match walk(&entry.path(), &key, out) {
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                other => other?,
            }
        } else {
            out.push(ObjectMeta {
                key,
                size: meta.len(),
                last_modified: meta.modified().ok(),
            });
        }
    }
    Ok(())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(format!("I/O task failed: {e}"))))
}

impl ObjectStore for LocalDir {
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        let dir = self.path(prefix)?;
        let rel = prefix.trim_matches('/').to_string();
        let found = blocking(move || {
            let mut out = Vec::new();
            match walk(&dir, &rel, &mut out) {
                Ok(()) => Ok(out),
                // A prefix with nothing under it lists as empty, as on S3.
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        })
        .await
        .map_err(|e| self.error(prefix, e))?;
        let mut found = found;
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }

    async fn list_dirs(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let dir = self.path(prefix)?;
        let mut names = blocking(move || {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
                Err(e) => return Err(e),
            };
            let mut names = Vec::new();
            for entry in entries {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if entry.metadata()?.is_dir() && !hidden(&name) {
                    names.push(name);
                }
            }
            Ok(names)
        })
        .await
        .map_err(|e| self.error(prefix, e))?;
        names.sort();
        Ok(names)
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.path(key)?;
        blocking(move || crate::limits::read_regular(&path, MAX_OBJECT_BYTES))
            .await
            .map_err(|e| self.error(key, e))
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        let path = self.path(key)?;
        blocking(move || write_atomic(&path, &bytes))
            .await
            .map_err(|e| self.error(key, e))
    }

    async fn get_versioned(&self, key: &str) -> Result<Versioned, StoreError> {
        let path = self.path(key)?;
        blocking(move || {
            let bytes = crate::limits::read_regular(&path, MAX_OBJECT_BYTES)?;
            let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
            Ok(Versioned {
                version: digest(&bytes),
                bytes,
                modified,
            })
        })
        .await
        .map_err(|e| self.error(key, e))
    }

    async fn put_if(
        &self,
        key: &str,
        bytes: Vec<u8>,
        expected: Option<&Version>,
    ) -> Result<Option<Version>, StoreError> {
        let path = self.path(key)?;
        let expected = expected.cloned();
        blocking(move || match expected {
            None => Ok(create_new(&path, &bytes)?.then(|| digest(&bytes))),
            Some(v) => replace_if(&path, &bytes, &v),
        })
        .await
        .map_err(|e| self.error(key, e))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = self.path(key)?;
        match blocking(move || std::fs::remove_file(path)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.error(key, e)),
        }
    }

    async fn delete_if(&self, key: &str, expected: &Version) -> Result<bool, StoreError> {
        let path = self.path(key)?;
        let expected = expected.clone();
        blocking(move || remove_if(&path, &expected))
            .await
            .map_err(|e| self.error(key, e))
    }

    fn describe(&self, key: &str) -> String {
        self.joined(key).display().to_string()
    }
}

/// A local object's version: a digest of its bytes (FNV-1a, 64 bits) and its length. Lease
/// documents carry their owner and times, so two writers never write the same bytes.
fn digest(bytes: &[u8]) -> Version {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    Version::new(format!("{h:016x}-{}", bytes.len()))
}

/// Replaces `path` with `bytes` if its content is still at `expected`, under an exclusive
/// `flock` of a lock file beside it (`.{name}.lock`, hidden from listings), so that of two
/// writers comparing against the same version exactly one writes. `Ok(None)` when the file
/// changed or is gone.
/// The exclusive lock beside `path` under which a conditional replace or delete compares.
fn object_lock(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!(".{name}.lock")))?;
    // SAFETY: flock on a file descriptor this function owns; released when `lock` closes.
    if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(lock)
}

/// The object's bytes when it is at `expected`; None when it is gone or changed.
fn current_if(path: &Path, expected: &Version) -> std::io::Result<Option<Vec<u8>>> {
    let current = match crate::limits::read_regular(path, MAX_OBJECT_BYTES) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok((digest(&current) == *expected).then_some(current))
}

fn replace_if(path: &Path, bytes: &[u8], expected: &Version) -> std::io::Result<Option<Version>> {
    let lock = object_lock(path)?;
    if current_if(path, expected)?.is_none() {
        return Ok(None);
    }
    write_atomic(path, bytes)?;
    drop(lock);
    Ok(Some(digest(bytes)))
}

fn remove_if(path: &Path, expected: &Version) -> std::io::Result<bool> {
    let lock = object_lock(path)?;
    if current_if(path, expected)?.is_none() {
        return Ok(false);
    }
    let removed = match std::fs::remove_file(path) {
        Ok(()) => true,
        Err(e) if e.kind() == ErrorKind::NotFound => false,
        Err(e) => return Err(e),
    };
    drop(lock);
    Ok(removed)
}

/// Creates `path` with `bytes` unless it exists, atomically and whole: the content goes to a
/// temporary file first, which is then hard-linked into place (`link` fails when the name is
/// taken, so of two writers exactly one wins). `Ok(false)` when the file already existed.
fn create_new(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    use std::io::Write;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new().prefix(".tmp").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    match std::fs::hard_link(tmp.path(), path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// Writes a file atomically: a temporary file in the same directory, then a rename, so a
/// reader never sees half a file and a crash leaves either the old file or the new one. The
/// file gets the mode any new file gets (0666 less the process umask: 0644 by default, 0640
/// under systemd's `UMask=0027`), not a temporary file's 0600.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn conditional_writes_let_exactly_one_writer_through() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDir::new(dir.path().to_path_buf());
        let v1 = store.put_if("l/lease", b"a".to_vec(), None).await.unwrap();
        let v1 = v1.expect("created");
        assert_eq!(
            store.put_if("l/lease", b"b".to_vec(), None).await.unwrap(),
            None
        );
        let read = store.get_versioned("l/lease").await.unwrap();
        assert_eq!((read.bytes.as_slice(), &read.version), (&b"a"[..], &v1));
        assert!(read.modified.is_some());
        // Two writers compare against v1: the first wins, the second learns it lost.
        let v2 = store
            .put_if("l/lease", b"b".to_vec(), Some(&v1))
            .await
            .unwrap();
        assert!(v2.is_some());
        assert_eq!(
            store
                .put_if("l/lease", b"c".to_vec(), Some(&v1))
                .await
                .unwrap(),
            None
        );
        assert_eq!(store.get("l/lease").await.unwrap(), b"b");
        // Gone: nothing to replace. The lock file is hidden from listings.
        store.delete("l/lease").await.unwrap();
        assert_eq!(
            store
                .put_if("l/lease", b"d".to_vec(), v2.as_ref())
                .await
                .unwrap(),
            None
        );
        assert!(store.list("l").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_conditional_delete_removes_only_the_version_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDir::new(dir.path().to_path_buf());
        crate::store::conditional_delete_contract(&store, "l/lock").await;
    }

    #[tokio::test]
    async fn keys_that_climb_out_of_the_folder_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDir::new(dir.path().join("out"));
        for key in [
            "../x",
            "a/../../x",
            "a/./b",
            "ep/s/_shards/../../../plan.json",
        ] {
            let e = store.put(key, b"x".to_vec()).await.unwrap_err();
            assert!(e.to_string().contains("'..' segment"), "{key}: {e}");
            assert!(store.get(key).await.is_err(), "{key}");
            assert!(store.list(key).await.is_err(), "{key}");
            assert!(store.delete(key).await.is_err(), "{key}");
        }
        assert!(!dir.path().join("x").exists());
        // Dots inside a name are fine.
        store.put("a/..b/c..json", b"1".to_vec()).await.unwrap();
        assert_eq!(store.get("a/..b/c..json").await.unwrap(), b"1");
    }

    #[test]
    fn storage_outages_are_transient_and_refusals_permanent() {
        let store = LocalDir::new(PathBuf::from("/out"));
        let class = |errno: i32| {
            store
                .error("a/execution.json", std::io::Error::from_raw_os_error(errno))
                .class()
        };
        use crate::sagemaker::FailureClass::{Permanent, Transient};
        for errno in [
            libc::EROFS,
            libc::ENOSPC,
            libc::EDQUOT,
            libc::EBUSY,
            libc::ESTALE,
            libc::EIO,
            libc::EINTR,
            libc::EAGAIN,
            libc::EMFILE,
        ] {
            assert_eq!(class(errno), Transient, "errno {errno}");
        }
        for errno in [libc::EACCES, libc::EPERM, libc::ENOTDIR, libc::EISDIR] {
            assert_eq!(class(errno), Permanent, "errno {errno}");
        }
        let e = store.error(
            "a/execution.json",
            std::io::Error::from_raw_os_error(libc::EROFS),
        );
        assert!(e.to_string().contains("/out/a/execution.json"), "{e}");
    }

    #[test]
    fn files_get_the_umask_mode_not_a_temporary_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/report.html");
        write_atomic(&path, b"x").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        // Whatever the umask, others' read bit follows it, as for any new file.
        let probe = dir.path().join("probe");
        std::fs::write(&probe, b"").unwrap();
        let expected = std::fs::metadata(&probe).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, expected, "{mode:o} vs {expected:o}");
    }

    #[tokio::test]
    async fn put_list_get_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDir::new(dir.path().to_path_buf());
        store.put("a/2024/01/x.jsonl", b"1".to_vec()).await.unwrap();
        store
            .put("a/2023/12/y.jsonl", b"22".to_vec())
            .await
            .unwrap();
        store.put("b/z", b"3".to_vec()).await.unwrap();
        let keys: Vec<String> = store
            .list("a")
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.key)
            .collect();
        assert_eq!(keys, ["a/2023/12/y.jsonl", "a/2024/01/x.jsonl"]);
        assert_eq!(store.list_dirs("").await.unwrap(), ["a", "b"]);
        assert_eq!(store.list_dirs("a").await.unwrap(), ["2023", "2024"]);
        assert!(store.list("missing/prefix").await.unwrap().is_empty());
        assert_eq!(store.get("b/z").await.unwrap(), b"3");
        assert!(store.get("b/nope").await.unwrap_err().is_not_found());
        store.delete("b/z").await.unwrap();
        store.delete("b/z").await.unwrap();
        assert!(store.get("b/z").await.unwrap_err().is_not_found());
    }
}

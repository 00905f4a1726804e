//! Where captured data, ground truth and outputs live: one interface ([`ObjectStore`]) over
//! an S3 bucket and a local directory, so every execution runs unchanged on either.
//!
//! Keys are `/`-separated and relative to the store's root (an S3 prefix or a directory).
//! Listings come back sorted by key, which for SageMaker's `yyyy/mm/dd/hh/` layout is
//! chronological.

mod local;
pub mod lock;
mod s3;

use std::future::Future;
use std::time::SystemTime;

pub use local::LocalDir;
pub use s3::S3Bucket;

use crate::aws::AwsClients;
use crate::config::Location;
use crate::sagemaker::FailureClass;

/// One stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Relative to the store's root.
    pub key: String,
    pub size: u64,
    pub last_modified: Option<SystemTime>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The object does not exist (a normal answer for optional files).
    #[error("{location}: no such object")]
    NotFound { location: String },
    /// Retrying cannot help: missing bucket, access denied, invalid request.
    #[error("{location}: {message}")]
    Permanent { location: String, message: String },
    /// The object exists but is not data driftwatch reads: not a regular file (a FIFO, a
    /// device), or larger than `limits::MAX_OBJECT_BYTES`. A window's reader counts such an
    /// object as malformed and goes on with the others.
    #[error("{location}: {message}")]
    NotData { location: String, message: String },
    /// Still failing after the retries (network, throttling, 5xx).
    #[error("{location}: {message} (gave up after retries)")]
    Transient { location: String, message: String },
}

impl StoreError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// A missing object stays missing and a refusal stays a refusal until someone acts;
    /// only what the retries could not get through may heal by itself.
    pub fn class(&self) -> FailureClass {
        match self {
            Self::Transient { .. } => FailureClass::Transient,
            Self::NotFound { .. } | Self::Permanent { .. } | Self::NotData { .. } => {
                FailureClass::Permanent
            }
        }
    }
}

/// The operations an execution needs from storage.
pub trait ObjectStore {
    /// Every object under `prefix` (recursively), sorted by key.
    fn list(
        &self,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<ObjectMeta>, StoreError>> + Send;
    /// The immediate "sub-folders" of `prefix` (names only, without slashes), sorted.
    fn list_dirs(
        &self,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
    fn get(&self, key: &str) -> impl Future<Output = Result<Vec<u8>, StoreError>> + Send;
    /// Writes the whole object at once: readers see the old object or the new one, never
    /// part of one.
    fn put(&self, key: &str, bytes: Vec<u8>)
    -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Reads an object with what a conditional write compares against.
    fn get_versioned(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Versioned, StoreError>> + Send;
    /// A conditional write, atomic against other writers of the same object: with `expected`
    /// None, creates the object only if none exists (S3 `If-None-Match: *`, a hard link
    /// locally); with a version, replaces it only if it is still at that version (S3
    /// `If-Match`, a compare under an exclusive lock locally). The new version when written,
    /// None when the condition did not hold (another writer came first).
    fn put_if(
        &self,
        key: &str,
        bytes: Vec<u8>,
        expected: Option<&Version>,
    ) -> impl Future<Output = Result<Option<Version>, StoreError>> + Send;
    /// Removes an object; removing a missing object is not an error.
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Removes an object only if it is still at `expected` (S3 `If-Match` on the delete, a
    /// compare under the same exclusive lock as `put_if` locally): true when it was removed,
    /// false when another writer changed or removed it first.
    fn delete_if(
        &self,
        key: &str,
        expected: &Version,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// The full address of `key`, for messages and records (`s3://b/p/k` or a path).
    fn describe(&self, key: &str) -> String;
}

/// What a conditional write compares against: S3's ETag, or locally a digest of the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(String);

impl Version {
    pub(crate) fn new(tag: impl Into<String>) -> Self {
        Self(tag.into())
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// An object with its version and when it was last written (None where the store does not
/// say).
#[derive(Debug, Clone)]
pub struct Versioned {
    pub bytes: Vec<u8>,
    pub version: Version,
    pub modified: Option<SystemTime>,
}

/// A store rooted at a configured [`Location`].
#[derive(Debug, Clone)]
pub enum Store {
    Local(LocalDir),
    S3(S3Bucket),
}

impl Store {
    /// Opens the store for `location`. AWS clients are shared through `clients`.
    pub async fn open(location: &Location, clients: &AwsClients) -> Self {
        match location {
            Location::Local(dir) => Self::Local(LocalDir::new(dir.clone())),
            Location::S3 { bucket, prefix } => {
                Self::S3(S3Bucket::new(clients.s3().await, bucket, prefix))
            }
        }
    }
}

impl ObjectStore for Store {
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        match self {
            Self::Local(s) => s.list(prefix).await,
            Self::S3(s) => s.list(prefix).await,
        }
    }
    async fn list_dirs(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        match self {
            Self::Local(s) => s.list_dirs(prefix).await,
            Self::S3(s) => s.list_dirs(prefix).await,
        }
    }
    async fn get(&self, key: &str) -> Result<Vec<u8>, StoreError> {
        match self {
            Self::Local(s) => s.get(key).await,
            Self::S3(s) => s.get(key).await,
        }
    }
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        match self {
            Self::Local(s) => s.put(key, bytes).await,
            Self::S3(s) => s.put(key, bytes).await,
        }
    }
    async fn get_versioned(&self, key: &str) -> Result<Versioned, StoreError> {
        match self {
            Self::Local(s) => s.get_versioned(key).await,
            Self::S3(s) => s.get_versioned(key).await,
        }
    }
    async fn put_if(
        &self,
        key: &str,
        bytes: Vec<u8>,
        expected: Option<&Version>,
    ) -> Result<Option<Version>, StoreError> {
        match self {
            Self::Local(s) => s.put_if(key, bytes, expected).await,
            Self::S3(s) => s.put_if(key, bytes, expected).await,
        }
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self {
            Self::Local(s) => s.delete(key).await,
            Self::S3(s) => s.delete(key).await,
        }
    }
    async fn delete_if(&self, key: &str, expected: &Version) -> Result<bool, StoreError> {
        match self {
            Self::Local(s) => s.delete_if(key, expected).await,
            Self::S3(s) => s.delete_if(key, expected).await,
        }
    }
    fn describe(&self, key: &str) -> String {
        match self {
            Self::Local(s) => s.describe(key),
            Self::S3(s) => s.describe(key),
        }
    }
}

/// Reads the one object a full location names (`s3://bucket/key` or a local file): an
/// analysis config, a baseline, a model.
pub async fn fetch(location: &Location, clients: &AwsClients) -> Result<Vec<u8>, StoreError> {
    match location {
        Location::Local(path) => {
            let dir = path.parent().map(|p| p.to_path_buf()).unwrap_or_default();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            LocalDir::new(dir).get(&name).await
        }
        Location::S3 { bucket, prefix } => {
            S3Bucket::new(clients.s3().await, bucket, "")
                .get(prefix)
                .await
        }
    }
}

/// The keys under `prefix` (recursively, sorted) of the objects called `name`: every
/// execution record of a schedule, for instance.
pub async fn keys_named(
    store: &Store,
    prefix: &str,
    name: &str,
) -> Result<Vec<String>, StoreError> {
    let suffix = format!("/{name}");
    Ok(store
        .list(prefix)
        .await?
        .into_iter()
        .map(|o| o.key)
        .filter(|k| k.ends_with(&suffix))
        .collect())
}

/// `a` + `/` + `b`, without doubled or leading slashes.
pub fn join_key(a: &str, b: &str) -> String {
    let (a, b) = (a.trim_matches('/'), b.trim_matches('/'));
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}/{b}"),
    }
}

/// What every store's `delete_if` must do (its tests run it): remove only the version read.
#[cfg(test)]
pub(crate) async fn conditional_delete_contract<S: ObjectStore>(store: &S, key: &str) {
    let v1 = store
        .put_if(key, b"a".to_vec(), None)
        .await
        .unwrap()
        .unwrap();
    let v2 = store
        .put_if(key, b"b".to_vec(), Some(&v1))
        .await
        .unwrap()
        .unwrap();
    assert!(!store.delete_if(key, &v1).await.unwrap(), "a stale version");
    assert_eq!(store.get(key).await.unwrap(), b"b");
    assert!(store.delete_if(key, &v2).await.unwrap());
    assert!(!store.delete_if(key, &v2).await.unwrap(), "already gone");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_keys() {
        assert_eq!(join_key("", "a/b"), "a/b");
        assert_eq!(join_key("a/", "/b"), "a/b");
        assert_eq!(join_key("a", ""), "a");
    }
}

//! The listing of a batch transform schedule's window: the manifests under
//! `{data_capture}/{input|output}/yyyy/mm/dd/hh/` of every hour overlapping the window, and the
//! objects they name, grouped by the store (bucket) holding them.
//!
//! An object named by several manifests (a job re-run, a manifest copied to another hour) is
//! read once, for the first manifest in listing order: a window never counts a record twice.
//! A manifest that cannot be read, and an object it names that does not exist, are counted
//! as malformed with their address, never fatal for the rest of the window.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};

use super::error::ExecutionError;
use crate::aws::AwsClients;
use crate::capture::batch::{BatchPlan, Side, parse_manifest};
use crate::capture::read::{CaptureListing, Malformed, Objects, hour_folders};
use crate::config::{BatchFormat, Location};
use crate::schedule::window::Window;
use crate::store::{ObjectMeta, ObjectStore, Store, join_key};

/// One store's objects of the window, with how they are read.
pub struct BatchGroup {
    pub store: Store,
    pub listing: CaptureListing,
}

/// A window's batch transform capture.
pub struct BatchListing {
    pub groups: Vec<BatchGroup>,
    /// `{data_capture}/{input|output}`, for messages.
    pub prefix: String,
    /// Manifests that could not be read and objects they name that do not exist.
    pub malformed: Malformed,
}

impl BatchListing {
    pub fn is_empty(&self) -> bool {
        self.groups.iter().all(|g| g.listing.files.is_empty())
    }
}

/// One store's objects while listing: its root, the store, the objects, each object's hour.
type Group = (
    Location,
    Store,
    Vec<ObjectMeta>,
    HashMap<String, DateTime<Utc>>,
);

/// Lists the window's manifests of `side` and the objects they name.
pub async fn list_batch(
    data_capture: &Location,
    format: BatchFormat,
    side: Side,
    window: Window,
    features: Option<usize>,
    clients: &AwsClients,
) -> Result<BatchListing, ExecutionError> {
    let clock = std::time::Instant::now();
    let capture = Store::open(data_capture, clients).await;
    let mut malformed = Malformed::default();
    // (store root, key in it, job start hour) of each named object, first naming wins.
    let mut named: Vec<(Location, String, DateTime<Utc>)> = Vec::new();
    let mut seen = HashSet::new();
    for folder in hour_folders(window.start, window.end) {
        let Some(hour) = folder_hour(&folder) else {
            continue;
        };
        let listed = capture
            .list(&join_key(side.folder(), &folder))
            .await
            .map_err(ExecutionError::Capture)?;
        for m in listed.into_iter().filter(|o| o.key.ends_with(".json")) {
            let uris = match capture.get(&m.key).await {
                Ok(bytes) => parse_manifest(&bytes),
                Err(e) if e.is_not_found() => {
                    Err("was listed but had been deleted when it was read".into())
                }
                Err(e) => return Err(ExecutionError::Capture(e)),
            };
            let uris = match uris {
                Ok(u) => u,
                Err(reason) => {
                    malformed.add_object(&capture.describe(&m.key), &reason);
                    continue;
                }
            };
            for uri in uris {
                match object_address(&uri) {
                    Ok((root, key)) => {
                        if seen.insert(uri.clone()) {
                            named.push((root, key, hour));
                        }
                    }
                    Err(reason) => malformed.add_object(
                        &capture.describe(&m.key),
                        &format!("names {uri:?}, {reason}"),
                    ),
                }
            }
        }
    }
    // Each object's size and time from a listing of its folder, one listing per folder.
    let mut groups: Vec<Group> = Vec::new();
    let mut folders: HashMap<(usize, String), HashMap<String, ObjectMeta>> = HashMap::new();
    for (root, key, hour) in named {
        let g = match groups.iter().position(|g| g.0 == root) {
            Some(i) => i,
            None => {
                let store = Store::open(&root, clients).await;
                groups.push((root.clone(), store, Vec::new(), HashMap::new()));
                groups.len() - 1
            }
        };
        let folder = key.rsplit_once('/').map_or("", |(f, _)| f).to_string();
        let at = (g, folder.clone());
        if !folders.contains_key(&at) {
            let listed = groups[g]
                .1
                .list(&folder)
                .await
                .map_err(ExecutionError::Capture)?;
            folders.insert(
                at.clone(),
                listed.into_iter().map(|o| (o.key.clone(), o)).collect(),
            );
        }
        match folders.get(&at).and_then(|f| f.get(&key)) {
            Some(meta) => {
                groups[g].3.insert(key, hour);
                groups[g].2.push(meta.clone());
            }
            None => malformed.add_object(
                &groups[g].1.describe(&key),
                "is named by a batch transform manifest of the window but does not exist",
            ),
        }
    }
    let prefix = capture.describe(side.folder());
    let seconds = clock.elapsed().as_secs_f64();
    let groups = groups
        .into_iter()
        .map(|(_, store, files, hours)| BatchGroup {
            listing: CaptureListing {
                files,
                objects: Objects::Batch(Arc::new(BatchPlan {
                    format,
                    side,
                    hours,
                    features,
                })),
                prefix: prefix.clone(),
                seconds,
            },
            store,
        })
        .collect();
    Ok(BatchListing {
        groups,
        prefix,
        malformed,
    })
}

/// `yyyy/mm/dd/hh` → that hour.
fn folder_hour(folder: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(&format!("{folder}/00/00"), "%Y/%m/%d/%H/%M/%S")
        .ok()
        .map(|t| t.and_utc())
}

/// A manifest's object as (the root of its store, its key there): `s3://bucket/key`, or an
/// absolute local path (a capture destination on local disk).
fn object_address(uri: &str) -> Result<(Location, String), String> {
    match Location::parse(uri, std::path::Path::new("/")) {
        Ok(Location::S3 { bucket, prefix }) if !prefix.is_empty() => Ok((
            Location::S3 {
                bucket,
                prefix: String::new(),
            },
            prefix,
        )),
        Ok(Location::Local(path))
            if std::path::Path::new(uri.trim_start_matches("file://")).is_absolute() =>
        {
            let key = path.to_string_lossy().trim_start_matches('/').to_string();
            Ok((Location::Local("/".into()), key))
        }
        Ok(_) => {
            Err("which is not an object's address (s3://bucket/key or an absolute path)".into())
        }
        Err(e) => Err(format!("which is not an address: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_addresses_are_split_into_a_store_and_a_key() {
        let (root, key) = object_address("s3://bucket/out/x.json.out").unwrap();
        assert_eq!(
            root,
            Location::S3 {
                bucket: "bucket".into(),
                prefix: String::new()
            }
        );
        assert_eq!(key, "out/x.json.out");
        let (root, key) = object_address("/tmp/t/x.csv").unwrap();
        assert_eq!(
            (root, key.as_str()),
            (Location::Local("/".into()), "tmp/t/x.csv")
        );
        assert!(
            object_address("s3://bucket")
                .unwrap_err()
                .contains("not an object")
        );
        assert!(
            object_address("relative/x.csv")
                .unwrap_err()
                .contains("not an object")
        );
        assert!(
            object_address("gs://bucket/x")
                .unwrap_err()
                .contains("not an address")
        );
    }

    #[test]
    fn hour_folders_are_read_back_as_hours() {
        assert_eq!(
            folder_hour("2024/01/19/19").unwrap().to_rfc3339(),
            "2024-01-19T19:00:00+00:00"
        );
        assert!(folder_hour("2024/13/19/19").is_none());
    }
}

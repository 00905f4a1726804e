//! How driftwatch writes every JSON file: pretty-printed (two-space indent, as SageMaker's
//! own files are) with a final newline; and the files that are read back.

use serde::Serialize;
use serde::de::DeserializeOwned;

pub fn pretty_bytes<T: Serialize + ?Sized>(v: &T) -> Vec<u8> {
    // Serializing these types cannot fail: keys are strings and values plain data.
    let mut bytes = serde_json::to_vec_pretty(v).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// A file driftwatch writes and reads back (analysis.json, constraint_violations.json,
/// execution.json).
pub trait JsonFile: Serialize + DeserializeOwned {
    /// The file's bytes.
    fn to_json_bytes(&self) -> Vec<u8> {
        pretty_bytes(self)
    }

    fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

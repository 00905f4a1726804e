//! Where data lives: an S3 prefix or a local directory.

use std::fmt;
use std::path::{Path, PathBuf};

/// A storage location from the configuration: `s3://bucket/prefix`, `file://path` or a plain
/// path. Relative local paths are resolved against the directory of the file that names them,
/// so the daemon behaves the same whatever its working directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    S3 { bucket: String, prefix: String },
    Local(PathBuf),
}

impl Location {
    pub fn parse(s: &str, base_dir: &Path) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("must not be empty".into());
        }
        if let Some(rest) = s.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            validate_bucket(bucket)?;
            let prefix = prefix.trim_matches('/').to_string();
            return Ok(Self::S3 {
                bucket: bucket.to_string(),
                prefix,
            });
        }
        // `s3:/bucket`, `s3//bucket`, `s3:bucket`: a mistyped S3 URI, not a local path named
        // "s3:" that the executions would silently create.
        let lower = s.to_ascii_lowercase();
        if (lower.starts_with("s3:") || lower.starts_with("s3//")) && !lower.starts_with("s3://") {
            return Err(format!(
                "{s:?} looks like a mistyped S3 URI; write s3://bucket/prefix"
            ));
        }
        if lower.starts_with("s3://") {
            return Err(format!("{s:?}: the scheme is lowercase s3://"));
        }
        if let Some((scheme, _)) = s.split_once("://")
            && scheme != "file"
        {
            return Err(format!(
                "unsupported scheme {scheme:?} in {s:?}; use s3://bucket/prefix, file://path or a path"
            ));
        }
        let path = s.strip_prefix("file://").unwrap_or(s);
        if path.is_empty() {
            return Err(format!("{s:?} names no path"));
        }
        let path = Path::new(path);
        Ok(Self::Local(if path.is_absolute() {
            path.to_path_buf()
        } else {
            base_dir.join(path)
        }))
    }

    /// Parses `s` as named in a document that lives at `doc`: a relative path resolves
    /// against the document's folder — a directory, or an S3 prefix for a document in S3
    /// (a schedules file or analysis config kept in a bucket names its neighbours by
    /// relative paths, as on disk).
    pub fn resolve(s: &str, doc: &Location) -> Result<Self, String> {
        match doc.parent() {
            Self::Local(dir) => Self::parse(s, &dir),
            s3 @ Self::S3 { .. } => {
                let t = s.trim();
                let relative = !t.contains("://")
                    && !Path::new(t).is_absolute()
                    && !t.to_ascii_lowercase().starts_with("s3:")
                    && !t.to_ascii_lowercase().starts_with("s3//");
                if relative && !t.is_empty() {
                    let t = t.trim_start_matches("./");
                    if t.split('/').any(|seg| seg == "..") {
                        return Err(format!(
                            "{t:?}: \"..\" cannot leave an S3 document's folder; give an s3:// URI"
                        ));
                    }
                    Ok(s3.join(t))
                } else {
                    Self::parse(s, Path::new("."))
                }
            }
        }
    }

    /// The folder holding this location (a file's directory, or an object's prefix).
    pub fn parent(&self) -> Location {
        match self {
            Self::Local(p) => Self::Local(p.parent().map(Path::to_path_buf).unwrap_or_default()),
            Self::S3 { bucket, prefix } => Self::S3 {
                bucket: bucket.clone(),
                prefix: prefix.rsplit_once('/').map_or("", |(d, _)| d).to_string(),
            },
        }
    }

    /// This location with more path segments appended (`a/b` → `a/b/c/d`).
    pub fn join(&self, segments: &str) -> Self {
        let segments = segments.trim_matches('/');
        match self {
            Self::S3 { bucket, prefix } => Self::S3 {
                bucket: bucket.clone(),
                prefix: if prefix.is_empty() {
                    segments.to_string()
                } else if segments.is_empty() {
                    prefix.clone()
                } else {
                    format!("{prefix}/{segments}")
                },
            },
            Self::Local(p) => Self::Local(p.join(segments)),
        }
    }

    pub fn is_s3(&self) -> bool {
        matches!(self, Self::S3 { .. })
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            Self::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
            Self::Local(p) => write!(f, "{}", p.display()),
        }
    }
}

/// S3's bucket naming rules (3–63 characters of lowercase letters, digits, '.' and '-',
/// starting and ending with a letter or digit).
fn validate_bucket(bucket: &str) -> Result<(), String> {
    let ok_chars = bucket
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    let ok_ends = bucket
        .chars()
        .next()
        .zip(bucket.chars().last())
        .is_some_and(|(a, b)| a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric());
    if (3..=63).contains(&bucket.len()) && ok_chars && ok_ends {
        Ok(())
    } else {
        Err(format!(
            "{bucket:?} is not a valid S3 bucket name (3-63 lowercase letters, digits, '.' or '-')"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_form() {
        let base = Path::new("/etc/driftwatch");
        assert_eq!(
            Location::parse("s3://acme-capture/datacapture/", base).unwrap(),
            Location::S3 {
                bucket: "acme-capture".into(),
                prefix: "datacapture".into()
            }
        );
        assert_eq!(
            Location::parse("s3://acme", base).unwrap().to_string(),
            "s3://acme"
        );
        assert_eq!(
            Location::parse("file:///data/x", base).unwrap(),
            Location::Local("/data/x".into())
        );
        assert_eq!(
            Location::parse("data/x", base).unwrap(),
            Location::Local("/etc/driftwatch/data/x".into())
        );
    }

    #[test]
    fn rejects_bad_locations() {
        let base = Path::new(".");
        for bad in ["", "s3://", "s3://Bad_Bucket/x", "gs://b/x", "file://"] {
            assert!(Location::parse(bad, base).is_err(), "{bad}");
        }
        // Mistyped S3 URIs are not local paths.
        for typo in ["s3:/bucket/x", "s3//bucket/x", "s3:bucket", "S3://bucket/x"] {
            let e = Location::parse(typo, base).unwrap_err();
            assert!(e.contains("s3://"), "{typo}: {e}");
        }
    }

    #[test]
    fn relative_paths_resolve_next_to_their_document() {
        let local = Location::Local("/etc/driftwatch/schedules.yaml".into());
        assert_eq!(
            Location::resolve("analysis.json", &local).unwrap(),
            Location::Local("/etc/driftwatch/analysis.json".into())
        );
        let s3 =
            Location::parse("s3://cfg-bucket/driftwatch/schedules.yaml", Path::new(".")).unwrap();
        assert_eq!(
            Location::resolve("configs/bias.json", &s3)
                .unwrap()
                .to_string(),
            "s3://cfg-bucket/driftwatch/configs/bias.json"
        );
        assert_eq!(
            Location::resolve("s3://other/x", &s3).unwrap().to_string(),
            "s3://other/x"
        );
        assert_eq!(
            Location::resolve("/data/capture", &s3).unwrap(),
            Location::Local("/data/capture".into())
        );
        assert!(Location::resolve("../x", &s3).is_err());
        assert!(Location::resolve("s3:/typo", &s3).is_err());
    }

    #[test]
    fn joins_segments() {
        let s3 = Location::parse("s3://bkt", Path::new(".")).unwrap();
        assert_eq!(s3.join("a/b").to_string(), "s3://bkt/a/b");
        assert_eq!(s3.join("a").join("b").to_string(), "s3://bkt/a/b");
    }
}

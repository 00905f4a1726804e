//! Names that SageMaker constrains (schedules, endpoints, variants).
//!
//! They end up in S3 keys and CloudWatch dimensions, so an invalid one must never get past
//! validation: the only way to make a [`SageMakerName`] is [`SageMakerName::parse`].

use std::fmt;

/// A name matching SageMaker's `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`: 1–63 characters of
/// letters, digits and hyphens, starting and ending with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct SageMakerName(String);

impl SageMakerName {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() || s.len() > 63 {
            return Err(format!(
                "must be 1 to 63 characters long, got {} ({s:?})",
                s.len()
            ));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(format!(
                "may contain only letters, digits and '-', found {c:?} in {s:?}"
            ));
        }
        if s.starts_with('-') || s.ends_with('-') {
            return Err(format!(
                "must start and end with a letter or digit, got {s:?}"
            ));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SageMakerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_sagemaker_names() {
        for ok in ["a", "census-bias", "A1-b2--c3", &"x".repeat(63)] {
            assert!(SageMakerName::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_bad_names() {
        for bad in ["", "-a", "a-", "a_b", "a b", "a/b", &"x".repeat(64)] {
            assert!(SageMakerName::parse(bad).is_err(), "{bad}");
        }
    }
}

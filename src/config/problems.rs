//! Configuration problems located by their path in the document.
//!
//! Validation never stops at the first problem: users fix a schedules file in one pass only
//! if every problem is reported at once, each with the exact path of the offending key.

use std::fmt;
use std::path::PathBuf;

/// One problem, located by its path in the document (`schedules[1].cadence.daily.hour`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted path with `[i]` list indices; empty for the document itself.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// An accumulator of problems, filled while walking a document.
#[derive(Debug, Default)]
pub struct Problems {
    items: Vec<Problem>,
}

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem once: a bad key under `defaults` is seen by every schedule that
    /// inherits it, but reported a single time.
    pub fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        let problem = Problem {
            path: path.into(),
            message: message.into(),
        };
        if !self.items.contains(&problem) {
            self.items.push(problem);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn into_vec(self) -> Vec<Problem> {
        self.items
    }

    /// Adds problems found in a nested document (e.g. an analysis config referenced by a
    /// schedule), prefixing each path with where that document was referenced.
    pub fn extend_nested(&mut self, prefix: &str, nested: Vec<Problem>) {
        for p in nested {
            let path = if p.path.is_empty() {
                prefix.to_string()
            } else {
                format!("{prefix}: {}", p.path)
            };
            self.items.push(Problem {
                path,
                message: p.message,
            });
        }
    }
}

/// A document that failed validation: every problem found, and the file they were found in.
#[derive(Debug, thiserror::Error)]
#[error("{}", render(.file, .problems))]
pub struct InvalidDocument {
    pub file: PathBuf,
    pub problems: Vec<Problem>,
}

fn render(file: &std::path::Path, problems: &[Problem]) -> String {
    let mut out = format!(
        "{} is invalid ({} problem{}):",
        file.display(),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    // A file of the wrong kind can hold thousands of problems; the first ones say what is
    // wrong, the count says how much.
    const SHOWN: usize = 50;
    for p in problems.iter().take(SHOWN) {
        out.push('\n');
        out.push_str(&p.to_string());
    }
    if problems.len() > SHOWN {
        out.push_str(&format!("\n… and {} more", problems.len() - SHOWN));
    }
    out
}

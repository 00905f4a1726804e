//! What goes wrong profiling or checking data, with where.

/// Every variant is permanent: the same bytes fail the same way on a retry.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DataQualityError {
    /// A dataset or capture record that cannot be read: `at` is `file:line` or the file.
    #[error("{at}: {reason}")]
    Input { at: String, reason: String },
}

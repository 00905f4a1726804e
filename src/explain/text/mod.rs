//! Text explanations: Clarify's units (spaCy's tokens, sentences, or paragraphs) as Kernel
//! SHAP players, a masked text being the original with absent units replaced by the baseline
//! string.

pub mod global;
pub mod pyre;
pub mod run;
mod tables;
pub mod tokenizer;
pub mod units;

pub use tables::{LanguageError, tokenizer};
pub use units::{Granularity, Unit, compose, is_punct, sentences, units};

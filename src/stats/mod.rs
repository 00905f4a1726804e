//! Statistics shared by the engines: a seeded generator, exact binomial and multinomial
//! draws (the count bootstrap of the bias metrics), quantiles.

pub mod binomial;
pub mod quantile;
pub mod rng;

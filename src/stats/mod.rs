//! Statistics shared by the engines: a seeded generator, exact binomial and multinomial
//! draws (the count bootstrap of the bias metrics), quantiles, a reservoir sample.

pub mod binomial;
pub mod normal;
pub mod quantile;
pub mod reservoir;
pub mod rng;

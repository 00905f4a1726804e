//! Count, sum, mean, population standard deviation, minimum and maximum of a numeric column,
//! as Spark aggregates them for Deequ: a sum in row order, the one-pass central-moment update
//! of Spark's `CentralMomentAgg` (what Deequ's `stateful_stddev_pop` extends), and its merge
//! of partial states. Bit-exact with the container for the rows of one partition.

/// A shard's state carries it as JSON: each float as its IEEE bits, so ±∞ (the empty
/// minimum and maximum, an overflowed sum) and NaN come back as they went.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Moments {
    pub n: u64,
    #[serde(with = "bits")]
    pub sum: f64,
    #[serde(with = "bits")]
    avg: f64,
    #[serde(with = "bits")]
    m2: f64,
    #[serde(with = "bits")]
    pub min: f64,
    #[serde(with = "bits")]
    pub max: f64,
}

mod bits {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(x.to_bits())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        u64::deserialize(d).map(f64::from_bits)
    }
}

impl Default for Moments {
    fn default() -> Self {
        Self {
            n: 0,
            sum: 0.0,
            avg: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl Moments {
    pub fn update(&mut self, x: f64) {
        self.n += 1;
        self.sum += x;
        let n = self.n as f64;
        let delta = x - self.avg;
        let delta_n = delta / n;
        self.avg += delta_n;
        self.m2 += delta * (delta - delta_n);
        self.min = self.min.min(x);
        self.max = self.max.max(x);
    }

    /// Spark's merge of two partial states (the later partition's second).
    pub fn merge(&mut self, o: &Moments) {
        if o.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *o;
            return;
        }
        let (n1, n2) = (self.n as f64, o.n as f64);
        let n = n1 + n2;
        let delta = o.avg - self.avg;
        let delta_n = delta / n;
        self.avg += delta_n * n2;
        self.m2 += o.m2 + delta * delta_n * n1 * n2;
        self.n += o.n;
        self.sum += o.sum;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }

    /// Deequ's `Mean`: sum / count.
    pub fn mean(&self) -> f64 {
        self.sum / self.n as f64
    }

    /// `sqrt(m2 / n)`: the population standard deviation.
    pub fn std_dev(&self) -> f64 {
        (self.m2 / self.n as f64).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a shard's state of a column without numbers (minimum +∞) did not come
    /// back from JSON (serde_json writes ±∞ and NaN as null).
    #[test]
    fn every_state_survives_json_bit_for_bit() {
        let mut overflowed = Moments::default();
        overflowed.update(1e308);
        overflowed.update(1e308);
        for m in [Moments::default(), overflowed] {
            let back: Moments = serde_json::from_slice(&serde_json::to_vec(&m).unwrap()).unwrap();
            for (a, b) in [
                (m.sum, back.sum),
                (m.avg, back.avg),
                (m.m2, back.m2),
                (m.min, back.min),
                (m.max, back.max),
            ] {
                assert_eq!(a.to_bits(), b.to_bits());
            }
        }
    }

    #[test]
    fn population_standard_deviation_of_a_small_column() {
        let mut m = Moments::default();
        [1.0, 2.0, 3.0, 4.0].iter().for_each(|&x| m.update(x));
        assert_eq!(m.mean(), 2.5);
        assert!((m.std_dev() - 1.25f64.sqrt()).abs() < 1e-15);
        assert_eq!((m.min, m.max, m.sum, m.n), (1.0, 4.0, 10.0, 4));
    }

    #[test]
    fn merged_partials_agree_with_one_pass_to_rounding() {
        let xs: Vec<f64> = (0..1000).map(|i| ((i * 37) % 101) as f64 / 7.0).collect();
        let mut one = Moments::default();
        xs.iter().for_each(|&x| one.update(x));
        let (mut a, mut b) = (Moments::default(), Moments::default());
        xs[..333].iter().for_each(|&x| a.update(x));
        xs[333..].iter().for_each(|&x| b.update(x));
        a.merge(&b);
        assert_eq!(a.n, one.n);
        assert!((a.std_dev() - one.std_dev()).abs() < 1e-12);
        assert!((a.mean() - one.mean()).abs() < 1e-12);
    }
}

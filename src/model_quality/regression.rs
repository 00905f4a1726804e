//! Regression metrics from mergeable sums: `mae` and `mse` are the plain sums of absolute and
//! squared errors over the rows in order, divided by the count (the container's numbers for
//! the SDK's dataset, bit for bit); `rmse` their square root; `r2` the textbook
//! `1 − SS_res / SS_tot`, with `SS_tot` from the ground truth's running central moment.

/// The state of some rows; merged in order, partitions' states give one pass's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RegressionState {
    pub n: u64,
    abs_error: f64,
    sq_error: f64,
    /// Σ e⁴: the squared errors' spread, for the intervals.
    #[serde(default)]
    quad_error: f64,
    /// The ground truth's mean and sum of squared deviations (Welford; Chan's merge).
    mean: f64,
    m2: f64,
}

/// The four metrics; `None` where they are undefined (no rows; `r2` for a constant truth).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegressionMetrics {
    pub mae: f64,
    pub mse: f64,
    pub rmse: f64,
    pub r2: Option<f64>,
}

impl RegressionState {
    /// One row: the ground truth and the prediction.
    pub fn add(&mut self, truth: f64, prediction: f64) {
        let e = truth - prediction;
        self.n += 1;
        self.abs_error += e.abs();
        self.sq_error += e * e;
        self.quad_error += e * e * e * e;
        let delta = truth - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (truth - self.mean);
    }

    /// Adds a later partition's state.
    pub fn merge(&mut self, o: &Self) {
        if o.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *o;
            return;
        }
        let (na, nb) = (self.n as f64, o.n as f64);
        let n = na + nb;
        let delta = o.mean - self.mean;
        self.m2 += o.m2 + delta * delta * na * nb / n;
        self.mean += delta * nb / n;
        self.n += o.n;
        self.abs_error += o.abs_error;
        self.sq_error += o.sq_error;
        self.quad_error += o.quad_error;
    }

    /// Normal intervals at critical value `z` for mae, mse, rmse and r2: mae and mse from
    /// the spread of the absolute and squared errors (the central limit theorem), rmse the
    /// square root of mse's bounds, r2 from mse's bounds with the truth's variance taken as
    /// known. `None` without two rows (or, for r2, with a constant truth).
    pub fn intervals(&self, z: f64) -> [Option<(f64, f64)>; 4] {
        let Some(m) = self.metrics().filter(|_| self.n >= 2) else {
            return [None; 4];
        };
        let n = self.n as f64;
        let sd_abs = ((m.mse - m.mae * m.mae).max(0.0) / n).sqrt();
        let sd_sq = ((self.quad_error / n - m.mse * m.mse).max(0.0) / n).sqrt();
        let mse = ((m.mse - z * sd_sq).max(0.0), m.mse + z * sd_sq);
        let r2 = (self.m2 > 0.0).then(|| (1.0 - mse.1 * n / self.m2, 1.0 - mse.0 * n / self.m2));
        [
            Some(((m.mae - z * sd_abs).max(0.0), m.mae + z * sd_abs)),
            Some(mse),
            Some((mse.0.sqrt(), mse.1.sqrt())),
            r2,
        ]
    }

    pub fn metrics(&self) -> Option<RegressionMetrics> {
        if self.n == 0 {
            return None;
        }
        let n = self.n as f64;
        let mse = self.sq_error / n;
        Some(RegressionMetrics {
            mae: self.abs_error / n,
            mse,
            rmse: mse.sqrt(),
            r2: (self.m2 > 0.0).then(|| 1.0 - self.sq_error / self.m2),
        })
    }
}

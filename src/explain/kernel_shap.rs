//! Kernel SHAP as shap's `KernelExplainer` computes it (with `l1_reg=False`, the behaviour
//! Clarify's published outputs match): varying features only; a budget of `2M + 2048`
//! coalitions (or `num_samples`) capped at `2^M − 2`; whole subset sizes enumerated smallest
//! first, each mask followed by its complement; seeded random fill for the rest; Shapley
//! kernel weights; a weighted least squares constrained so the values sum to
//! `g(f(x)) − g(E f)`.
//!
//! With full enumeration the result equals the exact Shapley values (tested to 1e-9).

use super::linalg::solve;
use super::predictor::PredictError;
use super::rng::Rng;

/// Why an explanation failed: the model failed (its error says whether retrying can help),
/// or the inputs cannot be explained as given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ShapError {
    #[error(transparent)]
    Model(#[from] PredictError),
    #[error("{0}")]
    Invalid(String),
}

impl From<String> for ShapError {
    fn from(s: String) -> Self {
        Self::Invalid(s)
    }
}

impl From<&str> for ShapError {
    fn from(s: &str) -> Self {
        Self::Invalid(s.to_string())
    }
}

/// The link the values are expressed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Identity,
    /// log-odds, with p clipped to [1e-15, 1 − 1e-15] (shap ≥ 0.46).
    Logit,
}

impl Link {
    pub fn apply(self, p: f64) -> f64 {
        match self {
            Self::Identity => p,
            Self::Logit => {
                let p = p.clamp(1e-15, 1.0 - 1e-15);
                (p / (1.0 - p)).ln()
            }
        }
    }
}

/// The background (baseline) rows and their weights (summing to 1).
#[derive(Debug, Clone)]
pub struct Background {
    pub rows: Vec<Vec<f64>>,
    pub weights: Vec<f64>,
}

impl Background {
    /// Equally weighted rows.
    pub fn uniform(rows: Vec<Vec<f64>>) -> Self {
        let n = rows.len().max(1);
        Self {
            weights: vec![1.0 / n as f64; rows.len()],
            rows,
        }
    }
}

/// The settings of one explanation run.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub link: Link,
    /// Coalitions to evaluate; None = `2M + 2048`.
    pub num_samples: Option<usize>,
    pub seed: u64,
}

/// A batch model: rows (row-major, P wide) in, D values per row out (row-major; D = 1 for a
/// single score).
pub type Predict<'a> = dyn Fn(&[f64]) -> Result<Vec<f64>, PredictError> + Sync + 'a;

/// A single-output model's predictions of synthetic rows without building them (see
/// `tree_coalitions`): explained row, background row, varying features, coalitions (bit k =
/// `varying[k]` taken from the explained row) → one prediction per mask, equal to what
/// `Predict` returns for the built rows; `None` when it cannot.
pub type PredictCoalitions<'a> =
    dyn Fn(&[f64], &[f64], &[usize], &Masks) -> Option<Vec<f64>> + Sync + 'a;

/// The explainer for one model and background: `expected_value` is computed once.
pub struct Explainer<'a> {
    predict: &'a Predict<'a>,
    background: Background,
    width: usize,
    /// Values per row the model returns.
    outputs: usize,
    /// Σ w_k f(b_k) per output, before the link.
    fnull: Vec<f64>,
    settings: Settings,
    coalitions: Option<&'a PredictCoalitions<'a>>,
    /// `features_to_explain`: the only players, ascending; every other feature is absent
    /// (takes the background's value) in every coalition. `None`: every feature plays.
    explained: Option<Vec<usize>>,
}

/// One row's attributions.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// `phi[output][feature]`.
    pub phi: Vec<Vec<f64>>,
    /// g(f(x)) per output.
    pub prediction: Vec<f64>,
    /// Coalitions evaluated (0 when fewer than 2 features vary).
    pub coalitions: usize,
}

/// The coalition design of one row (kept separate so tests can compare it with shap's).
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    pub masks: Masks,
    pub weights: Vec<f64>,
}

/// Coalitions as bit sets, one after another: bit k of a mask set means varying feature k is
/// taken from the explained row. A mask is `words` u64s, so any number of features fits and the
/// usual M ≤ 64 is one word; a design's thousands of masks are one allocation, not one each,
/// and the least squares below works on whole words.
#[derive(Debug, Clone, PartialEq)]
pub struct Masks {
    m: usize,
    words: usize,
    bits: Vec<u64>,
}

impl Masks {
    fn new(m: usize) -> Self {
        Self {
            m,
            words: m.div_ceil(64).max(1),
            bits: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.bits.len() / self.words
    }

    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    /// Mask `i`'s words.
    pub fn get(&self, i: usize) -> &[u64] {
        &self.bits[i * self.words..(i + 1) * self.words]
    }

    /// Whether mask `i` takes varying feature `k` from the explained row.
    pub fn contains(&self, i: usize, k: usize) -> bool {
        self.bits[i * self.words + k / 64] >> (k % 64) & 1 == 1
    }

    /// The u64 words per mask.
    pub fn words(&self) -> usize {
        self.words
    }

    /// Every mask's words, mask after mask.
    pub fn as_slice(&self) -> &[u64] {
        &self.bits
    }

    /// The one mask of every one of `m` features (the grand coalition).
    fn all(m: usize) -> Self {
        let mut masks = Self::new(m);
        let words: Vec<u64> = (0..masks.words)
            .map(|w| low_bits(m.saturating_sub(64 * w)))
            .collect();
        masks.push(&words);
        masks
    }

    /// Masks of `m` features from their words, mask after mask (`m.div_ceil(64)` each).
    #[cfg(test)]
    pub(crate) fn from_words(m: usize, bits: Vec<u64>) -> Self {
        let masks = Self {
            bits,
            ..Self::new(m)
        };
        assert_eq!(masks.bits.len() % masks.words, 0);
        masks
    }

    /// Every mask as flags (shap's `maskMatrix` rows), for comparing designs.
    pub fn to_bools(&self) -> Vec<Vec<bool>> {
        (0..self.len())
            .map(|i| (0..self.m).map(|k| self.contains(i, k)).collect())
            .collect()
    }

    fn push(&mut self, mask: &[u64]) {
        self.bits.extend_from_slice(mask);
    }

    /// Appends the complement (within the M features) of mask `i`.
    fn push_complement(&mut self, i: usize) {
        for w in 0..self.words {
            let word = self.bits[i * self.words + w];
            self.bits.push(!word & low_bits(self.m - 64 * w));
        }
    }
}

fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// All k-subsets of 0..m in lexicographic order (itertools.combinations).
fn combinations(m: usize, k: usize, mut f: impl FnMut(&[usize])) {
    let mut idx: Vec<usize> = (0..k).collect();
    if k > m {
        return;
    }
    loop {
        f(&idx);
        let mut i = k;
        loop {
            if i == 0 {
                return;
            }
            i -= 1;
            if idx[i] != i + m - k {
                break;
            }
            if i == 0 {
                return;
            }
        }
        idx[i] += 1;
        for j in i + 1..k {
            idx[j] = idx[j - 1] + 1;
        }
    }
}

/// The lowest `n` bits of a word (all of them from 64 on).
fn low_bits(n: usize) -> u64 {
    if n >= 64 { u64::MAX } else { (1u64 << n) - 1 }
}

/// Sets exactly the bits `on` in `mask`.
fn set_bits(mask: &mut [u64], on: &[usize]) {
    mask.fill(0);
    for &i in on {
        mask[i / 64] |= 1 << (i % 64);
    }
}

/// The most coalitions a design reserves room for up front: the default budget (2M + 2048)
/// fits for M up to ~31,000 features, and a huge `num_samples` grows as it is used instead of
/// asking for all of it at once.
const RESERVE: usize = 1 << 16;

/// shap's coalition design for `m` varying features and a budget of `nsamples`.
pub fn design(m: usize, nsamples: Option<usize>, rng: &mut Rng) -> Design {
    let max_samples = if m <= 30 { (1usize << m) - 2 } else { 1 << 30 };
    let nsamples = nsamples.unwrap_or(2 * m + 2048).min(max_samples);
    let num_subset_sizes = m.saturating_sub(1).div_ceil(2);
    let num_paired = m.saturating_sub(1) / 2;
    let mut weight_vector: Vec<f64> = (1..=num_subset_sizes)
        .map(|s| (m as f64 - 1.0) / (s as f64 * (m - s) as f64))
        .collect();
    for w in weight_vector.iter_mut().take(num_paired) {
        *w *= 2.0;
    }
    let total: f64 = weight_vector.iter().sum();
    for w in &mut weight_vector {
        *w /= total;
    }
    let mut out = Design {
        masks: Masks::new(m),
        weights: Vec::with_capacity(nsamples.min(RESERVE)),
    };
    out.masks
        .bits
        .reserve(nsamples.min(RESERVE) * out.masks.words);
    let mut mask = vec![0u64; out.masks.words];
    let mut left = nsamples as f64;
    let mut rem = weight_vector.clone();
    let mut num_full = 0;
    for s in 1..=num_subset_sizes {
        let paired = s <= num_paired;
        let n = binomial(m, s) * if paired { 2.0 } else { 1.0 };
        if left * rem[s - 1] / n >= 1.0 - 1e-8 {
            num_full += 1;
            left -= n;
            if rem[s - 1] < 1.0 {
                let d = 1.0 - rem[s - 1];
                for r in &mut rem {
                    *r /= d;
                }
            }
            let mut w = weight_vector[s - 1] / binomial(m, s);
            if paired {
                w /= 2.0;
            }
            combinations(m, s, |inds| {
                set_bits(&mut mask, inds);
                out.masks.push(&mask);
                out.weights.push(w);
                if paired {
                    out.masks.push_complement(out.masks.len() - 1);
                    out.weights.push(w);
                }
            });
        } else {
            break;
        }
    }
    let nfixed = out.masks.len();
    let mut left = nsamples.saturating_sub(nfixed);
    if num_full < num_subset_sizes && left > 0 {
        let mut rw = weight_vector.clone();
        for r in rw.iter_mut().take(num_paired) {
            *r /= 2.0;
        }
        let rw: Vec<f64> = rw[num_full..].to_vec();
        let sum: f64 = rw.iter().sum();
        let rw: Vec<f64> = rw.iter().map(|r| r / sum).collect();
        // Only looked up, never iterated: the hasher cannot change the design.
        let mut used: foldhash::HashMap<Vec<u64>, usize> =
            foldhash::HashMap::with_capacity_and_hasher(left.min(RESERVE), Default::default());
        let mut subset = Vec::with_capacity(m);
        let draws = 4 * left;
        for _ in 0..draws {
            if left == 0 {
                break;
            }
            let s = rng.choice(&rw) + num_full + 1;
            rng.subset_into(m, s, &mut subset);
            set_bits(&mut mask, &subset);
            let (idx, new) = match used.get(mask.as_slice()) {
                Some(&i) => (i, false),
                None => {
                    let i = out.masks.len();
                    used.insert(mask.clone(), i);
                    out.masks.push(&mask);
                    out.weights.push(1.0);
                    left -= 1;
                    (i, true)
                }
            };
            if !new {
                out.weights[idx] += 1.0;
            }
            if left > 0 && s <= num_paired {
                if new {
                    left -= 1;
                    out.masks.push_complement(idx);
                    out.weights.push(1.0);
                } else if idx + 1 < out.weights.len() {
                    out.weights[idx + 1] += 1.0;
                }
            }
        }
        let target: f64 = weight_vector[num_full..].iter().sum();
        let got: f64 = out.weights[nfixed..].iter().sum();
        if got > 0.0 {
            for w in &mut out.weights[nfixed..] {
                *w *= target / got;
            }
        }
    }
    out
}

/// The normal equations `XᵀWX` (k×k, k = M − 1, row-major) and `XᵀWy` per output of Kernel
/// SHAP's least squares with the last varying feature eliminated. `target(i, o, z_last)` is
/// mask i's right-hand side for output o.
///
/// A mask z's design row is z_a − z_last for a < k: z's first k bits (each +1) when z_last is
/// 0, their complement (each −1) when it is 1. So `XᵀWX` gains w on every pair of that row's
/// nonzero entries and `XᵀWy` gains ±w·y on each: the same products, summed in the same order,
/// as multiplying out the ±1/0 row (the skipped terms are zeros), in a fraction of the work.
fn normal_equations(
    d: &Design,
    outputs: usize,
    target: impl Fn(usize, usize, f64) -> f64,
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let k = d.masks.m.saturating_sub(1);
    let mut xtwx = vec![0.0; k * k];
    let mut xtwy = vec![vec![0.0; k]; outputs];
    let mut nonzero: Vec<usize> = Vec::with_capacity(k);
    for (i, &w) in d.weights.iter().enumerate() {
        let in_last = k > 0 && d.masks.contains(i, k);
        let zl = f64::from(u8::from(in_last));
        nonzero.clear();
        for (word_index, &word) in d.masks.get(i).iter().enumerate() {
            let base = 64 * word_index;
            if base >= k {
                break;
            }
            let mut bits = if in_last { !word } else { word } & low_bits(k - base);
            while bits != 0 {
                nonzero.push(base + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        }
        for (o, rhs) in xtwy.iter_mut().enumerate() {
            let y = target(i, o, zl);
            let wy = if in_last { -(w * y) } else { w * y };
            for &a in &nonzero {
                rhs[a] += wy;
            }
        }
        for (n, &a) in nonzero.iter().enumerate() {
            for &b in &nonzero[n..] {
                xtwx[a * k + b] += w;
            }
        }
    }
    for a in 0..k {
        for b in 0..a {
            xtwx[a * k + b] = xtwx[b * k + a];
        }
    }
    (xtwx, xtwy)
}

impl<'a> Explainer<'a> {
    pub fn new(
        predict: &'a Predict<'a>,
        background: Background,
        settings: Settings,
    ) -> Result<Self, ShapError> {
        let width = background.rows.first().map_or(0, Vec::len);
        if background.rows.is_empty() {
            return Err("the SHAP baseline has no rows".into());
        }
        if let Some(bad) = background.rows.iter().position(|r| r.len() != width) {
            return Err(format!(
                "baseline row {} has {} values, expected {width}",
                bad + 1,
                background.rows[bad].len()
            )
            .into());
        }
        let flat: Vec<f64> = background.rows.concat();
        let y = predict(&flat)?;
        let n = background.rows.len();
        if y.is_empty() || y.len() % n != 0 {
            return Err(format!(
                "the model returned {} values for {n} baseline rows",
                y.len()
            )
            .into());
        }
        let outputs = y.len() / n;
        let fnull = (0..outputs)
            .map(|d| {
                (0..n)
                    .map(|k| background.weights[k] * y[k * outputs + d])
                    .sum()
            })
            .collect();
        Ok(Self {
            predict,
            background,
            width,
            outputs,
            fnull,
            settings,
            coalitions: None,
            explained: None,
        })
    }

    /// Only `columns` are players (Clarify's `features_to_explain`): the game is
    /// v(S) = g(Σ w_k f(x_S, b_k,rest)) over subsets S of them, so the attributions of one
    /// row sum to v(all of them) − g(E f(b)), and `expected_value` is the usual one. The
    /// features left out get no value (they are never present), rather than one that would
    /// depend on how they were grouped. Every feature listed: the ordinary game.
    pub fn with_explained(mut self, mut columns: Vec<usize>) -> Self {
        columns.sort_unstable();
        columns.dedup();
        columns.retain(|&j| j < self.width);
        self.explained = (columns.len() < self.width).then_some(columns);
        self
    }

    /// Evaluates coalitions through `coalitions` (the same numbers, much faster for trees).
    pub fn with_coalitions(mut self, coalitions: &'a PredictCoalitions<'a>) -> Self {
        self.coalitions = Some(coalitions);
        self
    }

    /// How many background rows each coalition is evaluated on.
    pub fn background_rows(&self) -> usize {
        self.background.rows.len()
    }

    /// How many values the model returns per row (one set of attributions each).
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// `g(Σ w_k f(b_k))` per output: the link of the background's mean prediction.
    pub fn expected_values(&self) -> Vec<f64> {
        self.fnull
            .iter()
            .map(|f| self.settings.link.apply(*f))
            .collect()
    }

    /// The first output's expected value.
    pub fn expected_value(&self) -> f64 {
        self.settings.link.apply(self.fnull[0])
    }

    /// The model's outputs on every synthetic row (mask-major, then background row, then
    /// output): through `coalitions` when the model offers it, else by building the rows.
    fn coalition_predictions(
        &self,
        x: &[f64],
        varying: &[usize],
        masks: &Masks,
    ) -> Result<Vec<f64>, ShapError> {
        let n_bg = self.background.rows.len();
        if let Some(fast) = self.coalitions.filter(|_| self.outputs == 1) {
            let per_background: Option<Vec<Vec<f64>>> = self
                .background
                .rows
                .iter()
                .map(|b| fast(x, b, varying, masks))
                .collect();
            if let Some(per_background) = per_background {
                let mut y = vec![0.0; masks.len() * n_bg];
                for (k, ys) in per_background.iter().enumerate() {
                    for (i, v) in ys.iter().enumerate() {
                        y[i * n_bg + k] = *v;
                    }
                }
                return Ok(y);
            }
        }
        let mut synth = Vec::with_capacity(masks.len() * n_bg * self.width);
        for i in 0..masks.len() {
            for b in &self.background.rows {
                let start = synth.len();
                synth.extend_from_slice(b);
                for (k, &j) in varying.iter().enumerate() {
                    if masks.contains(i, k) {
                        synth[start + j] = x[j];
                    }
                }
            }
        }
        let y = (self.predict)(&synth)?;
        if y.len() != masks.len() * n_bg * self.outputs {
            return Err(format!(
                "the model returned {} values for {} synthetic rows ({} per row expected)",
                y.len(),
                masks.len() * n_bg,
                self.outputs
            )
            .into());
        }
        Ok(y)
    }

    /// g(Σ w_k f(x_varying, b_k,rest)) per output: every player present, the others absent.
    fn all_players(&self, x: &[f64], varying: &[usize]) -> Result<Vec<f64>, ShapError> {
        let y = self.coalition_predictions(x, varying, &Masks::all(varying.len()))?;
        Ok(self
            .background_means(&y)
            .into_iter()
            .map(|mean| self.settings.link.apply(mean))
            .collect())
    }

    /// The background-weighted mean of each output under each mask (`y` as
    /// [`Self::coalition_predictions`] returns it), mask-major.
    fn background_means(&self, y: &[f64]) -> Vec<f64> {
        let (n_bg, outputs) = (self.background.rows.len(), self.outputs);
        y.chunks(n_bg * outputs)
            .flat_map(|c| {
                (0..outputs).map(move |o| {
                    (0..n_bg)
                        .map(|k| self.background.weights[k] * c[k * outputs + o])
                        .sum()
                })
            })
            .collect()
    }

    /// Attributions of one row. `rng` supplies the random coalitions (only used when the
    /// budget does not enumerate every coalition).
    pub fn explain(&self, x: &[f64], rng: &mut Rng) -> Result<Explanation, ShapError> {
        if x.len() != self.width {
            return Err(format!("row has {} features, expected {}", x.len(), self.width).into());
        }
        let link = self.settings.link;
        let outputs = self.outputs;
        let fx = (self.predict)(x)?;
        if fx.len() != outputs {
            return Err(format!(
                "the model returned {} values for one row, expected {outputs}",
                fx.len()
            )
            .into());
        }
        let gfx: Vec<f64> = fx.iter().map(|f| link.apply(*f)).collect();
        let gnull: Vec<f64> = self.fnull.iter().map(|f| link.apply(*f)).collect();
        let varying: Vec<usize> = (0..self.width)
            .filter(|j| {
                self.explained
                    .as_ref()
                    .is_none_or(|e| e.binary_search(j).is_ok())
            })
            .filter(|&j| {
                !self.background.rows.iter().all(|b| {
                    (x[j].is_nan() && b[j].is_nan())
                        || (x[j] - b[j]).abs() <= 1e-8 + 1e-5 * b[j].abs()
                })
            })
            .collect();
        let m = varying.len();
        // The grand coalition's value: f(x) itself, unless some features never play.
        let top = match &self.explained {
            None => gfx.clone(),
            Some(_) if m == 0 => gnull.clone(),
            Some(_) => self.all_players(x, &varying)?,
        };
        let mut phi = vec![vec![0.0; self.width]; outputs];
        if m == 0 {
            return Ok(Explanation {
                phi,
                prediction: gfx,
                coalitions: 0,
            });
        }
        if m == 1 {
            for (o, p) in phi.iter_mut().enumerate() {
                p[varying[0]] = top[o] - gnull[o];
            }
            return Ok(Explanation {
                phi,
                prediction: gfx,
                coalitions: 0,
            });
        }
        let d = design(m, self.settings.num_samples, rng);
        let y = self.coalition_predictions(x, &varying, &d.masks)?;
        // ey[i * outputs + o]: the background-weighted mean of output o under mask i.
        let ey = self.background_means(&y);
        // Constrained WLS, eliminating the last varying feature.
        let last = m - 1;
        let k = m - 1;
        let (xtwx, xtwy) = normal_equations(&d, outputs, |i, o, zl| {
            link.apply(ey[i * outputs + o]) - gnull[o] - zl * (top[o] - gnull[o])
        });
        for (o, rhs) in xtwy.into_iter().enumerate() {
            let beta = solve(xtwx.clone(), rhs, k).ok_or(
                "the sampled coalitions do not determine the attributions (singular system); raise num_samples",
            )?;
            let p = &mut phi[o];
            let mut sum = 0.0;
            for (j, &b) in beta.iter().enumerate() {
                p[varying[j]] = b;
                sum += b;
            }
            p[varying[last]] = (top[o] - gnull[o]) - sum;
            for v in p.iter_mut() {
                if v.abs() < 1e-10 {
                    *v = 0.0;
                }
            }
        }
        Ok(Explanation {
            phi,
            prediction: gfx,
            coalitions: d.masks.len(),
        })
    }
}

/// Exact Shapley values of the same game by enumerating all 2^P coalitions (the test oracle).
pub fn exact_shapley(
    predict: &Predict<'_>,
    background: &Background,
    x: &[f64],
    link: Link,
) -> Result<Vec<f64>, ShapError> {
    let p = x.len();
    let n = background.rows.len();
    let mut values = vec![0.0; 1 << p];
    for (s, v) in values.iter_mut().enumerate() {
        let mut rows = Vec::with_capacity(n * p);
        for b in &background.rows {
            for j in 0..p {
                rows.push(if s >> j & 1 == 1 { x[j] } else { b[j] });
            }
        }
        let y = predict(&rows)?;
        *v = link.apply(y.iter().zip(&background.weights).map(|(y, w)| y * w).sum());
    }
    let fact = |k: usize| (1..=k).fold(1.0, |a, i| a * i as f64);
    let mut phi = vec![0.0; p];
    for (j, out) in phi.iter_mut().enumerate() {
        for s in 0..(1usize << p) {
            if s >> j & 1 == 1 {
                continue;
            }
            let size = s.count_ones() as usize;
            let w = fact(size) * fact(p - size - 1) / fact(p);
            *out += w * (values[s | 1 << j] - values[s]);
        }
    }
    Ok(phi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumeration_order_matches_shap_for_m5() {
        let d = design(5, None, &mut Rng::seeded(0));
        assert_eq!(d.masks.len(), 30);
        let bits = |m: &Vec<bool>| {
            m.iter()
                .map(|&b| if b { '1' } else { '0' })
                .collect::<String>()
        };
        let masks = d.masks.to_bools();
        let first: Vec<String> = masks.iter().take(6).map(bits).collect();
        assert_eq!(
            first,
            ["10000", "01111", "01000", "10111", "00100", "11011"]
        );
        assert_eq!(bits(&masks[10]), "11000");
        assert_eq!(bits(&masks[11]), "00111");
        assert!((d.weights[0] - 0.06).abs() < 1e-15 && (d.weights[10] - 0.02).abs() < 1e-15);
    }

    /// The normal equations as the ±1/0 design rows multiply out, term by term.
    fn dense_normal_equations(
        d: &Design,
        outputs: usize,
        target: impl Fn(usize, usize, f64) -> f64,
    ) -> (Vec<f64>, Vec<Vec<f64>>) {
        let masks = d.masks.to_bools();
        let k = d.masks.m - 1;
        let mut xtwx = vec![0.0; k * k];
        let mut xtwy = vec![vec![0.0; k]; outputs];
        for (i, (mask, &w)) in masks.iter().zip(&d.weights).enumerate() {
            let zl = f64::from(u8::from(mask[k]));
            let row: Vec<f64> = (0..k).map(|j| f64::from(u8::from(mask[j])) - zl).collect();
            for (o, rhs) in xtwy.iter_mut().enumerate() {
                let y = target(i, o, zl);
                for a in 0..k {
                    rhs[a] += w * row[a] * y;
                }
            }
            for a in 0..k {
                for b in 0..k {
                    xtwx[a * k + b] += w * row[a] * row[b];
                }
            }
        }
        (xtwx, xtwy)
    }

    #[test]
    fn normal_equations_have_the_bits_of_the_dense_products() {
        // Enumerated (m = 5), enumerated and sampled (m = 13), and masks of two words (m = 70).
        for (m, budget) in [(5, None), (13, None), (13, Some(300)), (70, Some(400))] {
            let d = design(m, budget, &mut Rng::seeded(m as u64));
            assert!(d.masks.len() > 20, "m {m}");
            let target = |i: usize, o: usize, zl: f64| {
                ((i * 7 + o * 3) as f64 * 0.731).sin() * 1e3 - zl * 0.25
            };
            let (xtwx, xtwy) = normal_equations(&d, 2, target);
            let (want_xtwx, want_xtwy) = dense_normal_equations(&d, 2, target);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&xtwx), bits(&want_xtwx), "m {m}");
            for (got, want) in xtwy.iter().zip(&want_xtwy) {
                assert_eq!(bits(got), bits(want), "m {m}");
            }
        }
    }

    #[test]
    fn masks_beyond_one_word_complement_within_m() {
        let mut masks = Masks::new(70);
        let mut mask = vec![0u64; 2];
        set_bits(&mut mask, &[0, 63, 64, 69]);
        masks.push(&mask);
        masks.push_complement(0);
        assert_eq!(masks.len(), 2);
        assert_eq!(masks.words(), 2);
        let flags = masks.to_bools();
        for (k, (a, b)) in flags[0].iter().zip(&flags[1]).enumerate() {
            let on = [0, 63, 64, 69].contains(&k);
            assert_eq!((*a, *b), (on, !on), "bit {k}");
        }
        assert_eq!(flags[0].len(), 70);
        // Nothing past bit 69 is set in the complement.
        assert_eq!(masks.get(1)[1] >> 6, 0);
    }

    #[test]
    fn linear_model_identity_link_has_the_closed_form() {
        let c = [0.5, -2.0, 1.5];
        let f = move |rows: &[f64]| -> Result<Vec<f64>, PredictError> {
            Ok(rows
                .chunks(3)
                .map(|r| 1.0 + r.iter().zip(&c).map(|(x, c)| x * c).sum::<f64>())
                .collect())
        };
        let bg = Background::uniform(vec![vec![0.0, 1.0, 2.0], vec![2.0, 3.0, 0.0]]);
        let e = Explainer::new(
            &f,
            bg,
            Settings {
                link: Link::Identity,
                num_samples: None,
                seed: 0,
            },
        )
        .unwrap();
        let x = [4.0, -1.0, 1.0];
        let out = e.explain(&x, &mut Rng::seeded(0)).unwrap();
        let mean = [1.0, 2.0, 1.0];
        for j in 0..3 {
            assert!(
                (out.phi[0][j] - c[j] * (x[j] - mean[j])).abs() < 1e-12,
                "{:?}",
                out.phi
            );
        }
    }

    #[test]
    fn zero_and_one_varying_features() {
        let f = |rows: &[f64]| -> Result<Vec<f64>, PredictError> {
            Ok(rows
                .chunks(2)
                .map(|r| 1.0 / (1.0 + (-(r[0] + 2.0 * r[1])).exp()))
                .collect())
        };
        let bg = Background::uniform(vec![vec![1.0, 2.0]]);
        let e = Explainer::new(
            &f,
            bg,
            Settings {
                link: Link::Logit,
                num_samples: None,
                seed: 0,
            },
        )
        .unwrap();
        // M = 0: x equals the baseline (within allclose) → all zero.
        let out = e.explain(&[1.0 + 1e-9, 2.0], &mut Rng::seeded(0)).unwrap();
        assert_eq!(out.phi[0], vec![0.0, 0.0]);
        assert_eq!(out.coalitions, 0);
        // M = 1: the one varying feature takes g(f(x)) − g(E f) (in log-odds: 2 · 1.5).
        let out = e.explain(&[1.0, 3.5], &mut Rng::seeded(0)).unwrap();
        assert_eq!(out.phi[0][0], 0.0);
        assert!((out.phi[0][1] - 3.0).abs() < 1e-12, "{:?}", out.phi);
    }

    #[test]
    fn every_output_gets_its_own_attributions() {
        // Two outputs, p and 1 - p: with the identity link their attributions are opposite.
        let f = |rows: &[f64]| -> Result<Vec<f64>, PredictError> {
            Ok(rows
                .chunks(3)
                .flat_map(|r| {
                    let p = 1.0 / (1.0 + (-(r[0] - 2.0 * r[1] + 0.5 * r[2])).exp());
                    [p, 1.0 - p]
                })
                .collect())
        };
        let bg = Background::uniform(vec![vec![0.0, 0.0, 0.0], vec![1.0, 1.0, 1.0]]);
        let e = Explainer::new(
            &f,
            bg.clone(),
            Settings {
                link: Link::Identity,
                num_samples: None,
                seed: 0,
            },
        )
        .unwrap();
        assert_eq!(e.outputs(), 2);
        let out = e.explain(&[2.0, -1.0, 0.5], &mut Rng::seeded(0)).unwrap();
        for j in 0..3 {
            assert!((out.phi[0][j] + out.phi[1][j]).abs() < 1e-12);
        }
        let exact = exact_shapley(
            &|r: &[f64]| f(r).map(|v| v.into_iter().step_by(2).collect()),
            &bg,
            &[2.0, -1.0, 0.5],
            Link::Identity,
        )
        .unwrap();
        for (got, want) in out.phi[0].iter().zip(&exact) {
            assert!((got - want).abs() < 1e-12);
        }
    }

    #[test]
    fn sampled_values_add_up_and_approach_exact() {
        // M = 12: sizes 1-3 enumerated, the rest sampled.
        let f = |rows: &[f64]| -> Result<Vec<f64>, PredictError> {
            Ok(rows
                .chunks(12)
                .map(|r| {
                    let z: f64 = r
                        .iter()
                        .enumerate()
                        .map(|(i, x)| (i as f64 - 5.5) * 0.1 * x)
                        .sum::<f64>()
                        + 0.3 * r[0] * r[1]
                        - 0.2 * r[2] * r[5];
                    1.0 / (1.0 + (-z).exp())
                })
                .collect())
        };
        let bg = Background::uniform(vec![(0..12).map(|i| (i % 3) as f64 - 1.0).collect()]);
        let x: Vec<f64> = (0..12).map(|i| (i as f64 * 0.37).sin() * 2.0).collect();
        let e = Explainer::new(
            &f,
            bg.clone(),
            Settings {
                link: Link::Identity,
                num_samples: None,
                seed: 3,
            },
        )
        .unwrap();
        let out = e.explain(&x, &mut Rng::seeded(3)).unwrap();
        assert_eq!(out.coalitions, 2 * 12 + 2048);
        let exact = exact_shapley(&f, &bg, &x, Link::Identity).unwrap();
        let total: f64 = out.phi[0].iter().sum();
        assert!((total - (out.prediction[0] - e.expected_value())).abs() < 1e-9);
        for (a, b) in out.phi[0].iter().zip(&exact) {
            assert!((a - b).abs() < 1e-2, "{a} vs {b}");
        }
    }

    #[test]
    fn the_grand_coalition_holds_every_feature_and_no_more() {
        for m in [1, 2, 63, 64, 65, 130] {
            let all = Masks::all(m);
            assert_eq!(all.len(), 1);
            assert!((0..m).all(|k| all.contains(0, k)), "{m}");
            let set: u32 = all.get(0).iter().map(|w| w.count_ones()).sum();
            assert_eq!(set as usize, m);
        }
    }

    #[test]
    fn features_to_explain_are_the_only_players_the_others_stay_absent() {
        // Four features with interactions, two background rows, logit link; explain 0 and 2.
        let f = |rows: &[f64]| -> Result<Vec<f64>, PredictError> {
            Ok(rows
                .chunks(4)
                .map(|r| {
                    let z = 0.7 * r[0] - 0.4 * r[1] + 0.9 * r[2] * r[3] + 0.3 * r[0] * r[1];
                    1.0 / (1.0 + (-z).exp())
                })
                .collect())
        };
        let bg = Background::uniform(vec![vec![0.1, 0.5, -0.3, 1.0], vec![1.2, -0.4, 0.8, 0.0]]);
        let x = [2.0, -1.0, 0.5, 1.5];
        let settings = Settings {
            link: Link::Logit,
            num_samples: None,
            seed: 0,
        };
        let e = Explainer::new(&f, bg.clone(), settings)
            .unwrap()
            .with_explained(vec![2, 0]);
        let out = e.explain(&x, &mut Rng::seeded(0)).unwrap();
        // The oracle: v(S) over subsets of {0, 2}, features 1 and 3 always at the background.
        let v = |s: &[usize]| -> f64 {
            let mean: f64 = bg
                .rows
                .iter()
                .map(|b| {
                    let mut r = b.clone();
                    for &j in s {
                        r[j] = x[j];
                    }
                    f(&r).unwrap()[0] * 0.5
                })
                .sum();
            Link::Logit.apply(mean)
        };
        let phi0 = 0.5 * (v(&[0]) - v(&[])) + 0.5 * (v(&[0, 2]) - v(&[2]));
        let phi2 = 0.5 * (v(&[2]) - v(&[])) + 0.5 * (v(&[0, 2]) - v(&[0]));
        assert!(
            (out.phi[0][0] - phi0).abs() < 1e-9,
            "{} vs {phi0}",
            out.phi[0][0]
        );
        assert!(
            (out.phi[0][2] - phi2).abs() < 1e-9,
            "{} vs {phi2}",
            out.phi[0][2]
        );
        assert_eq!((out.phi[0][1], out.phi[0][3]), (0.0, 0.0));
        assert!((e.expected_value() - v(&[])).abs() < 1e-12);

        // Every feature listed: the ordinary game, bit for bit.
        let all = Explainer::new(&f, bg.clone(), settings)
            .unwrap()
            .with_explained(vec![0, 1, 2, 3])
            .explain(&x, &mut Rng::seeded(0))
            .unwrap();
        let plain = Explainer::new(&f, bg, settings)
            .unwrap()
            .explain(&x, &mut Rng::seeded(0))
            .unwrap();
        assert_eq!(all, plain);
    }
}

//! XGBoost's predictions of Kernel SHAP's synthetic rows without building or walking them.
//!
//! A synthetic row is a background row `b` with the features of a coalition taken from the
//! explained row `x`. At a split on feature `f` it goes where `x` goes when `f` is in the
//! coalition and where `b` goes otherwise; where `x` and `b` go the same way the coalition
//! does not matter. So for one (`x`, `b`) each tree reduces to the few leaves a synthetic row
//! can reach, each guarded by the features that must be in (`on`) and out (`off`) of the
//! coalition, and a coalition's prediction is a lookup per tree. The leaf values are summed
//! in f32 in tree order exactly as [`Xgboost::predict_row`] sums them, so every prediction is
//! bit-identical to predicting the built row, at a fraction of the cost (most of Kernel SHAP's
//! time is the model).

use super::model::{Tree, Xgboost};
use crate::wide::widest;

/// A leaf a synthetic row can reach: the coalition bits it needs set and clear, its value.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Guarded {
    on: u64,
    off: u64,
    value: f32,
}

/// The most varying features a coalition mask can hold (one bit each).
pub const MAX_VARYING: usize = 64;

/// Predictions of the rows `b` with `x`'s values at `varying[k]` for each bit k set in a mask,
/// one per mask, in mask order. `None` when more than [`MAX_VARYING`] features vary.
pub fn predict_coalitions(
    model: &Xgboost,
    x: &[f64],
    b: &[f64],
    varying: &[usize],
    masks: &[u64],
) -> Option<Vec<f64>> {
    if varying.len() > MAX_VARYING {
        return None;
    }
    let width = x.len().max(b.len());
    let mut bit_of = vec![0u64; width];
    for (k, &j) in varying.iter().enumerate() {
        if let Some(slot) = bit_of.get_mut(j) {
            *slot = 1 << k;
        }
    }
    let value = |row: &[f64], f: usize| row.get(f).copied().unwrap_or(f64::NAN);
    let mut margins = vec![model.base_margin_f32(); masks.len()];
    let mut leaves: Vec<Guarded> = Vec::new();
    let mut stack: Vec<(usize, u64, u64)> = Vec::new();
    let mut table = Table::default();
    for tree in model.trees() {
        leaves.clear();
        reachable_leaves(tree, &mut stack, &mut leaves, |f| {
            (
                value(x, f),
                value(b, f),
                bit_of.get(f).copied().unwrap_or(0),
            )
        });
        if let [only] = leaves.as_slice() {
            margins.iter_mut().for_each(|m| *m += only.value);
            continue;
        }
        if table.build(&leaves, masks.len()) {
            table.add(masks, &mut margins);
            continue;
        }
        for (margin, &mask) in margins.iter_mut().zip(masks) {
            // The guards partition the coalitions: exactly one leaf matches.
            if let Some(leaf) = leaves
                .iter()
                .find(|l| mask & l.on == l.on && mask & l.off == 0)
            {
                *margin += leaf.value;
            }
        }
    }
    Some(margins.into_iter().map(|m| model.output(m)).collect())
}

/// One tree's leaf value for every combination of the few coalition bits its reachable leaves
/// depend on: a coalition's leaf is then a table load instead of a search through the guards.
/// The table is built only when it has no more entries than there are coalitions to look up,
/// so building it never costs more than the searches it replaces.
#[derive(Default)]
struct Table {
    /// The mask bits the guards test, lowest first; bit k of an index is mask bit `bits[k]`.
    bits: Vec<u32>,
    values: Vec<f32>,
    /// Per coalition, its index into `values` (scratch kept across trees).
    index: Vec<u32>,
}

impl Table {
    /// Tabulates `leaves`; false (and the caller searches) when the table would be larger
    /// than `lookups` or some combination reaches no leaf (the guards did not partition).
    fn build(&mut self, leaves: &[Guarded], lookups: usize) -> bool {
        let tested = leaves.iter().fold(0u64, |acc, l| acc | l.on | l.off);
        let width = tested.count_ones();
        if width > 20 || 1usize << width > lookups {
            return false;
        }
        self.bits.clear();
        self.bits.extend((0..64).filter(|&k| tested >> k & 1 == 1));
        self.values.clear();
        for index in 0..1u64 << width {
            let mask = self
                .bits
                .iter()
                .enumerate()
                .fold(0u64, |acc, (k, &bit)| acc | (index >> k & 1) << bit);
            match leaves
                .iter()
                .find(|l| mask & l.on == l.on && mask & l.off == 0)
            {
                Some(leaf) => self.values.push(leaf.value),
                None => return false,
            }
        }
        true
    }

    /// Adds each mask's leaf value to its margin.
    fn add(&mut self, masks: &[u64], margins: &mut [f32]) {
        self.index.clear();
        self.index.resize(masks.len(), 0);
        table_index(&self.bits, masks, &mut self.index);
        for (margin, &index) in margins.iter_mut().zip(&self.index) {
            // The table has 2^bits.len() entries and every index is below that.
            if let Some(v) = self.values.get(index as usize) {
                *margin += v;
            }
        }
    }
}

widest! {
    /// Each mask's index into a [`Table`] whose tested bits are `bits`, into `index` (zeroed):
    /// one pass per tested bit over all the masks, in the widest vectors the CPU has (half
    /// of Kernel SHAP's time went here on the baseline's two lanes).
    fn table_index, table_index_avx512, table_index_avx2, table_index_versions => table_index_portable(
        bits: &[u32],
        masks: &[u64],
        index: &mut [u32],
    )
}

#[inline(always)]
fn table_index_portable(bits: &[u32], masks: &[u64], index: &mut [u32]) {
    for (k, &bit) in bits.iter().enumerate() {
        for (index, &mask) in index.iter_mut().zip(masks) {
            *index |= ((mask >> bit) as u32 & 1) << k;
        }
    }
}

/// Walks `tree` (iteratively: a model file may hold arbitrarily deep trees) along every branch
/// a synthetic row can take. `split(f)` gives `x`'s and `b`'s values of feature `f` and its
/// coalition bit (0 when `f` does not vary: the row then keeps `b`'s value).
fn reachable_leaves(
    tree: &Tree,
    stack: &mut Vec<(usize, u64, u64)>,
    leaves: &mut Vec<Guarded>,
    split: impl Fn(usize) -> (f64, f64, u64),
) {
    stack.clear();
    stack.push((0, 0, 0));
    while let Some((mut i, on, mut off)) = stack.pop() {
        loop {
            if tree.is_leaf(i) {
                leaves.push(Guarded {
                    on,
                    off,
                    value: tree.condition[i],
                });
                break;
            }
            let (xv, bv, bit) = split(tree.feature[i] as usize);
            let via_b = tree.child(i, bv);
            let via_x = if bit == 0 { via_b } else { tree.child(i, xv) };
            if via_x == via_b {
                i = via_b;
            } else if on & bit != 0 {
                // Already in the coalition on this path: only x's side.
                i = via_x;
            } else if off & bit != 0 {
                i = via_b;
            } else {
                stack.push((via_x, on | bit, off));
                i = via_b;
                off |= bit;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::kernel_shap::{Background, Explainer, Link, Settings};
    use crate::explain::predictor::PredictError;
    use crate::explain::rng::Rng;

    use crate::explain::test_fixtures::{fixture, model, rows, xgboost};

    /// The built synthetic row of one mask.
    fn built(x: &[f64], b: &[f64], varying: &[usize], mask: u64) -> Vec<f64> {
        let mut r = b.to_vec();
        for (k, &j) in varying.iter().enumerate() {
            if mask >> k & 1 == 1 {
                r[j] = x[j];
            }
        }
        r
    }

    #[test]
    fn every_coalition_is_bit_identical_to_predicting_the_built_row() {
        // Depth 6, and depth 8 (more leaves reachable, so wider tables and more searches).
        for m in [model(), xgboost(&fixture("xgb_deep_model.json"))] {
            every_coalition_of(&m);
        }
    }

    fn every_coalition_of(m: &Xgboost) {
        let xs = rows("xgb_rows.csv");
        let mut bs = rows("xgb_baseline.csv");
        // Missing values take the default branch on either side.
        let mut with_nan = bs[0].clone();
        with_nan[1] = f64::NAN;
        with_nan[4] = f64::NAN;
        bs.push(with_nan);
        let mut checked = 0;
        for x in xs.iter().take(20).chain(std::iter::once(&bs[2])) {
            let mut x = x.clone();
            if checked % 3 == 0 {
                x[2] = f64::NAN;
            }
            for b in &bs {
                // Every feature, and a subset (the others keep b's value).
                for varying in [vec![0, 1, 2, 3, 4, 5], vec![1, 3, 4]] {
                    let masks: Vec<u64> = (0..1u64 << varying.len()).collect();
                    let got = predict_coalitions(m, &x, b, &varying, &masks).unwrap();
                    for (&mask, g) in masks.iter().zip(&got) {
                        let want = m.predict_row(&built(&x, b, &varying, mask));
                        assert_eq!(g.to_bits(), want.to_bits(), "x {x:?} b {b:?} mask {mask:b}");
                        // One mask at a time: every tree with a choice is searched, not tabled.
                        let alone = predict_coalitions(m, &x, b, &varying, &[mask]).unwrap();
                        assert_eq!(alone[0].to_bits(), want.to_bits());
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 40);
    }

    #[test]
    fn every_vector_width_gives_the_portable_table_indices() {
        let mut rng = Rng::seeded(11);
        // A count that leaves a tail in every width; bits up to 63; up to 20 tested bits.
        let masks: Vec<u64> = (0..1_037).map(|_| rng.next_u64()).collect();
        for bits in [
            vec![],
            vec![0],
            vec![63, 0, 17],
            (0..20).map(|k| k * 3).collect(),
        ] {
            let mut want = vec![0; masks.len()];
            table_index_portable(&bits, &masks, &mut want);
            for (&mask, &index) in masks.iter().zip(&want) {
                let by_hand = bits
                    .iter()
                    .enumerate()
                    .fold(0u32, |acc, (k, &bit)| acc | ((mask >> bit) as u32 & 1) << k);
                assert_eq!(index, by_hand);
            }
            for (name, f) in table_index_versions() {
                let mut got = vec![0; masks.len()];
                // SAFETY: each wide version is listed only when the CPU has its feature.
                unsafe { f(&bits, &masks, &mut got) };
                assert_eq!(got, want, "{name} {bits:?}");
            }
        }
    }

    #[test]
    fn more_varying_features_than_mask_bits_falls_back() {
        let m = model();
        let varying: Vec<usize> = (0..65).collect();
        let x = vec![0.0; 65];
        assert!(predict_coalitions(&m, &x, &x, &varying, &[0]).is_none());
    }

    #[test]
    fn kernel_shap_gives_the_same_bits_with_and_without_the_shortcut() {
        let m = model();
        let predict = |r: &[f64]| -> Result<Vec<f64>, PredictError> {
            Ok(r.chunks(m.num_feature)
                .map(|row| m.predict_row(row))
                .collect())
        };
        let coalitions = |x: &[f64], b: &[f64], v: &[usize], masks: &[u64]| {
            predict_coalitions(&m, x, b, v, masks)
        };
        for (num_samples, link) in [(None, Link::Identity), (Some(20), Link::Logit)] {
            let settings = Settings {
                link,
                num_samples,
                seed: 3,
            };
            let background = Background::uniform(rows("xgb_baseline.csv"));
            let plain = Explainer::new(&predict, background.clone(), settings).unwrap();
            let fast = Explainer::new(&predict, background, settings)
                .unwrap()
                .with_coalitions(&coalitions);
            for (i, x) in rows("xgb_rows.csv").iter().enumerate() {
                let a = plain.explain(x, &mut Rng::seeded(i as u64)).unwrap();
                let b = fast.explain(x, &mut Rng::seeded(i as u64)).unwrap();
                assert_eq!(a, b, "row {i}");
            }
        }
    }
}

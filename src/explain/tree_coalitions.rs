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
//!
//! A tree parts `x` from `b` on few features, so its guards number them itself ([`Local`]):
//! one u64 holds a tree's guards however many features vary, and a coalition's bits for the
//! tree are gathered from its mask (of as many words as the varying features need).

use super::kernel_shap::Masks;
use super::model::{Tree, Xgboost};
use crate::wide::widest;

/// A leaf a synthetic row can reach: the tree's own bits ([`Local`]) it needs set and clear,
/// its value.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Guarded {
    on: u64,
    off: u64,
    value: f32,
}

/// The most features one tree's guards can tell apart (one bit each).
const MAX_PER_TREE: usize = 64;

/// Predictions of the rows `b` with `x`'s values at `varying[k]` for each bit k set in a mask,
/// one per mask, in mask order. `None` when one tree parts `x` from `b` on more than
/// [`MAX_PER_TREE`] features (the caller then builds the rows).
pub fn predict_coalitions(
    model: &Xgboost,
    x: &[f64],
    b: &[f64],
    varying: &[usize],
    masks: &Masks,
) -> Option<Vec<f64>> {
    let width = x.len().max(b.len());
    // Per model feature, its bit in the masks plus one (0: it does not vary).
    let mut varying_of = vec![0u32; width];
    for (k, &j) in varying.iter().enumerate() {
        if let Some(slot) = varying_of.get_mut(j) {
            *slot = k as u32 + 1;
        }
    }
    let value = |row: &[f64], f: usize| row.get(f).copied().unwrap_or(f64::NAN);
    let split = |f: usize| {
        (
            value(x, f),
            value(b, f),
            varying_of.get(f).copied().unwrap_or(0),
        )
    };
    let mut margins = vec![model.base_margin_f32(); masks.len()];
    let mut leaves: Vec<Guarded> = Vec::new();
    let mut stack: Vec<(usize, u64, u64)> = Vec::new();
    let mut local = Local::new(varying.len());
    let mut table = Table::default();
    let mut own: Vec<u64> = Vec::new();
    for tree in model.trees() {
        leaves.clear();
        local.reset();
        reachable_leaves(tree, &mut stack, &mut leaves, &mut local, split)?;
        if let [only] = leaves.as_slice() {
            margins.iter_mut().for_each(|m| *m += only.value);
            continue;
        }
        if table.build(&leaves, &local, masks.len()) {
            table.add(&local, masks, &mut margins);
            continue;
        }
        // Each coalition in the tree's own bits, then a search through the guards.
        own.clear();
        own.extend((0..masks.len()).map(|i| {
            local
                .mask_bits
                .iter()
                .enumerate()
                .fold(0u64, |acc, (k, &bit)| {
                    acc | u64::from(masks.contains(i, bit as usize)) << k
                })
        }));
        for (margin, &mask) in margins.iter_mut().zip(&own) {
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

/// One tree's numbering of the varying features it parts `x` from `b` on, in the order the
/// walk meets them: bit k of the tree's guards is mask bit `mask_bits[k]`.
struct Local {
    /// Per mask bit, its bit in the current tree (0: none yet).
    bit: Vec<u64>,
    mask_bits: Vec<u32>,
}

impl Local {
    fn new(varying: usize) -> Self {
        Self {
            bit: vec![0; varying],
            mask_bits: Vec::new(),
        }
    }

    /// Forgets the previous tree's numbering.
    fn reset(&mut self) {
        for &k in &self.mask_bits {
            self.bit[k as usize] = 0;
        }
        self.mask_bits.clear();
    }

    /// The tree's bit for mask bit `k`, numbered on first use; `None` past [`MAX_PER_TREE`].
    fn bit(&mut self, k: usize) -> Option<u64> {
        let slot = self.bit.get_mut(k)?;
        if *slot == 0 {
            if self.mask_bits.len() == MAX_PER_TREE {
                return None;
            }
            *slot = 1 << self.mask_bits.len();
            self.mask_bits.push(k as u32);
        }
        Some(*slot)
    }
}

/// One tree's leaf value for every combination of the few bits its reachable leaves depend
/// on: a coalition's leaf is then a table load instead of a search through the guards. The
/// table is built only when it has no more entries than there are coalitions to look up, so
/// building it never costs more than the searches it replaces.
#[derive(Default)]
struct Table {
    /// By index: bit k of an index is the tree's bit k (mask bit `Local::mask_bits[k]`).
    values: Vec<f32>,
    /// Per coalition, its index into `values` (scratch kept across trees).
    index: Vec<u32>,
}

impl Table {
    /// Tabulates `leaves`, whose bits `local` numbers; false (and the caller searches) when
    /// the table would be larger than `lookups` or some combination reaches no leaf (the
    /// guards did not partition).
    fn build(&mut self, leaves: &[Guarded], local: &Local, lookups: usize) -> bool {
        // Every bit the walk numbered guards some leaf, so they are bits 0..width.
        let width = local.mask_bits.len();
        if width > 20 || 1usize << width > lookups {
            return false;
        }
        self.values.clear();
        for own in 0..1u64 << width {
            match leaves
                .iter()
                .find(|l| own & l.on == l.on && own & l.off == 0)
            {
                Some(leaf) => self.values.push(leaf.value),
                None => return false,
            }
        }
        true
    }

    /// Adds each mask's leaf value to its margin; `local` numbered the tree's bits.
    fn add(&mut self, local: &Local, masks: &Masks, margins: &mut [f32]) {
        self.index.clear();
        self.index.resize(masks.len(), 0);
        table_add(
            &local.mask_bits,
            masks.words(),
            masks.as_slice(),
            &mut self.index,
            &self.values,
            margins,
        );
    }
}

widest! {
    /// Adds to each margin its mask's value in a [`Table`] whose bits are mask bits `bits` and
    /// whose values are `values` (2^bits.len() of them); `masks` holds `words` u64 per mask,
    /// `index` (zeroed, one per mask) is scratch. In the widest vectors the CPU has: on the
    /// baseline's two lanes the index passes were half of Kernel SHAP's time.
    fn table_add, table_add_avx512, table_add_avx2, table_add_versions => table_add_portable(
        bits: &[u32],
        words: usize,
        masks: &[u64],
        index: &mut [u32],
        values: &[f32],
        margins: &mut [f32],
    )
}

#[inline(always)]
fn table_add_portable(
    bits: &[u32],
    words: usize,
    masks: &[u64],
    index: &mut [u32],
    values: &[f32],
    margins: &mut [f32],
) {
    table_index_portable(bits, words, masks, index);
    // The table has 2^bits.len() entries, a power of two, and every index is below it: the
    // mask only lets the compiler see that.
    let Some(last) = values.len().checked_sub(1) else {
        return;
    };
    for (margin, &index) in margins.iter_mut().zip(index.iter()) {
        *margin += values[index as usize & last];
    }
}

/// Each mask's index into a [`Table`] whose bits are mask bits `bits`, into `index` (zeroed):
/// one pass per bit over all the masks.
#[inline(always)]
fn table_index_portable(bits: &[u32], words: usize, masks: &[u64], index: &mut [u32]) {
    for (k, &bit) in bits.iter().enumerate() {
        let (word, shift) = (bit as usize / 64, bit % 64);
        if words == 1 {
            // The usual case (at most 64 varying features): contiguous, so vectorised.
            for (index, &mask) in index.iter_mut().zip(masks) {
                *index |= ((mask >> shift) as u32 & 1) << k;
            }
        } else {
            let of_mask = masks.chunks_exact(words.max(1));
            for (index, mask) in index.iter_mut().zip(of_mask) {
                let w = mask.get(word).copied().unwrap_or(0);
                *index |= ((w >> shift) as u32 & 1) << k;
            }
        }
    }
}

/// Walks `tree` (iteratively: a model file may hold arbitrarily deep trees) along every branch
/// a synthetic row can take. `split(f)` gives `x`'s and `b`'s values of feature `f` and its
/// mask bit plus one (0 when `f` does not vary: the row then keeps `b`'s value); where the two
/// part, `local` numbers the feature for the tree. `None` when it runs out of bits.
fn reachable_leaves(
    tree: &Tree,
    stack: &mut Vec<(usize, u64, u64)>,
    leaves: &mut Vec<Guarded>,
    local: &mut Local,
    split: impl Fn(usize) -> (f64, f64, u32),
) -> Option<()> {
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
            let (xv, bv, mask_bit) = split(tree.feature[i] as usize);
            let via_b = tree.child(i, bv);
            let via_x = if mask_bit == 0 {
                via_b
            } else {
                tree.child(i, xv)
            };
            if via_x == via_b {
                i = via_b;
                continue;
            }
            let bit = local.bit(mask_bit as usize - 1)?;
            if on & bit != 0 {
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
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::kernel_shap::{Background, Explainer, Link, Settings};
    use crate::explain::predictor::PredictError;
    use crate::explain::rng::Rng;

    use crate::explain::test_fixtures::{fixture, model, rows, xgboost};

    /// The built synthetic row of mask `i`.
    fn built(x: &[f64], b: &[f64], varying: &[usize], masks: &Masks, i: usize) -> Vec<f64> {
        let mut r = b.to_vec();
        for (k, &j) in varying.iter().enumerate() {
            if masks.contains(i, k) {
                r[j] = x[j];
            }
        }
        r
    }

    /// Checks every mask's prediction, all at once (trees tabled) and one at a time (trees
    /// with a choice searched), against predicting its built row, bit for bit.
    fn check(m: &Xgboost, x: &[f64], b: &[f64], varying: &[usize], masks: &Masks) {
        let got = predict_coalitions(m, x, b, varying, masks).unwrap();
        let words = masks.words();
        for (i, g) in got.iter().enumerate() {
            let want = m.predict_row(&built(x, b, varying, masks, i));
            assert_eq!(g.to_bits(), want.to_bits(), "x {x:?} b {b:?} mask {i}");
            let one = Masks::from_words(varying.len(), masks.get(i).to_vec());
            let alone = predict_coalitions(m, x, b, varying, &one).unwrap();
            assert_eq!(alone[0].to_bits(), want.to_bits(), "mask {i} alone");
        }
        assert_eq!(masks.as_slice().len(), got.len() * words);
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
                    let all = (0..1u64 << varying.len()).collect();
                    check(m, &x, b, &varying, &Masks::from_words(varying.len(), all));
                    checked += 1;
                }
            }
        }
        assert!(checked > 40);
    }

    #[test]
    fn masks_of_several_words_are_read_at_every_bit() {
        // 130 varying features (three words): the model's six at mask bits on and across
        // word boundaries, 124 features the model never reads everywhere else.
        let m = xgboost(&fixture("xgb_deep_model.json"));
        let at = [0, 63, 64, 65, 100, 129];
        let width = 130;
        let mut varying: Vec<usize> = (6..width).collect();
        for (f, &k) in at.iter().enumerate() {
            varying.insert(k, f);
        }
        assert_eq!(varying.len(), width);
        let widen = |r: &[f64]| -> Vec<f64> {
            let mut w = r.to_vec();
            w.extend((6..width).map(|j| j as f64));
            w
        };
        let mut rng = Rng::seeded(5);
        let words: Vec<u64> = (0..3 * 300).map(|_| rng.next_u64()).collect();
        let masks = Masks::from_words(width, words);
        let bs = rows("xgb_baseline.csv");
        for x in rows("xgb_rows.csv").iter().take(8) {
            for b in &bs {
                check(&m, &widen(x), &widen(b), &varying, &masks);
            }
        }
    }

    #[test]
    fn a_tree_numbers_at_most_64_features() {
        let mut local = Local::new(100);
        for k in 0..64 {
            assert_eq!(local.bit(k), Some(1 << k));
        }
        assert_eq!(local.bit(10), Some(1 << 10));
        assert_eq!(local.bit(64), None);
        local.reset();
        assert_eq!(local.bit(99), Some(1));
        assert_eq!(local.bit(100), None);
    }

    #[test]
    fn every_vector_width_gives_the_portable_table_indices() {
        let mut rng = Rng::seeded(11);
        // A count that leaves a tail in every width; one word per mask and three.
        let count = 1_037;
        for words in [1, 3] {
            let masks: Vec<u64> = (0..count * words).map(|_| rng.next_u64()).collect();
            let top = 64 * words as u32;
            for bits in [
                vec![],
                vec![0],
                vec![top - 1, 0, 17],
                (0..20).map(|k| (k * 7) % top).collect(),
            ] {
                let mut want = vec![0; count];
                table_index_portable(&bits, words, &masks, &mut want);
                for (mask, &index) in masks.chunks(words).zip(&want) {
                    let by_hand = bits.iter().enumerate().fold(0u32, |acc, (k, &bit)| {
                        let w = mask[bit as usize / 64];
                        acc | ((w >> (bit % 64)) as u32 & 1) << k
                    });
                    assert_eq!(index, by_hand);
                }
                let values: Vec<f32> = (0..1u32 << bits.len()).map(|v| v as f32 * 0.25).collect();
                let mut want_margins: Vec<f32> = (0..count).map(|i| i as f32).collect();
                let mut scratch = vec![0; count];
                table_add_portable(
                    &bits,
                    words,
                    &masks,
                    &mut scratch,
                    &values,
                    &mut want_margins,
                );
                for (i, (margin, &index)) in want_margins.iter().zip(&want).enumerate() {
                    assert_eq!(
                        margin.to_bits(),
                        (i as f32 + values[index as usize]).to_bits()
                    );
                }
                for (name, f) in table_add_versions() {
                    let mut got = vec![0; count];
                    let mut margins: Vec<f32> = (0..count).map(|i| i as f32).collect();
                    // SAFETY: each wide version is listed only when the CPU has its feature.
                    unsafe { f(&bits, words, &masks, &mut got, &values, &mut margins) };
                    assert_eq!(got, want, "{name} {bits:?}");
                    let bits_of = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits_of(&margins), bits_of(&want_margins), "{name} {bits:?}");
                }
            }
        }
    }

    #[test]
    fn kernel_shap_gives_the_same_bits_with_and_without_the_shortcut() {
        let m = &model();
        let coalitions = |x: &[f64], b: &[f64], v: &[usize], masks: &Masks| {
            predict_coalitions(m, x, b, v, masks)
        };
        // The model's six features, and 70 (the model's six and 64 it never reads, all
        // varying: masks of two words).
        for width in [m.num_feature, 70] {
            let predict = move |r: &[f64]| -> Result<Vec<f64>, PredictError> {
                Ok(r.chunks(width).map(|row| m.predict_row(row)).collect())
            };
            let widen = |r: &Vec<f64>| -> Vec<f64> {
                let mut w = r.clone();
                w.extend((r.len()..width).map(|j| j as f64 * 0.5));
                w
            };
            // A sampled budget too (at least a few coalitions per feature, or the system is
            // singular).
            let sampled = Some((3 * width).max(20));
            for (num_samples, link) in [(None, Link::Identity), (sampled, Link::Logit)] {
                let settings = Settings {
                    link,
                    num_samples,
                    seed: 3,
                };
                let baseline: Vec<Vec<f64>> = rows("xgb_baseline.csv").iter().map(widen).collect();
                let background = Background::uniform(baseline);
                let plain = Explainer::new(&predict, background.clone(), settings).unwrap();
                let fast = Explainer::new(&predict, background, settings)
                    .unwrap()
                    .with_coalitions(&coalitions);
                for (i, x) in rows("xgb_rows.csv").iter().take(6).enumerate() {
                    let mut x = widen(x);
                    // The extra features vary too.
                    x.iter_mut().skip(m.num_feature).for_each(|v| *v += 1.0);
                    let a = plain.explain(&x, &mut Rng::seeded(i as u64)).unwrap();
                    let b = fast.explain(&x, &mut Rng::seeded(i as u64)).unwrap();
                    assert_eq!(a, b, "width {width} row {i}");
                }
            }
        }
    }
}

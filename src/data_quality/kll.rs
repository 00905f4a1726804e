//! Deequ's KLL sketch (`QuantileNonSample`, c = 0.64, k = 2048), the one whose buffers
//! SageMaker's statistics.json prints under `distribution.kll.sketch.data`.
//!
//! Not Apache DataSketches' KLL: Deequ's level 0 is the largest (capacity
//! `2·(⌈k·c^h/2⌉+1)` at height h: 2050, 1314, 842, …), its compactions are deterministic (the
//! offset flips on every odd-numbered compaction of a level; the random coin is commented out
//! in Deequ), and a merge concatenates the levels. So for a given insertion and merge order the
//! buffers, and every rank and bucket read from them, are exactly the container's.

/// Deequ's defaults, which every real statistics.json shows.
pub const SKETCH_SIZE: usize = 2048;
pub const SHRINKING_FACTOR: f64 = 0.64;

/// One level's buffer and its compaction state (`NonSampleCompactor`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Compactor {
    buffer: Vec<f64>,
    compactions: u64,
    offset: usize,
}

impl Compactor {
    /// Sorts the even-length prefix, hands every second item (from `offset`) to the next
    /// level, and keeps the odd leftover (the last item, unsorted).
    fn compact(&mut self) -> Vec<f64> {
        let len = self.buffer.len() - self.buffer.len() % 2;
        if self.compactions % 2 == 1 {
            self.offset = 1 - self.offset;
        }
        let mut sorted = self.buffer[..len].to_vec();
        sort_total(&mut sorted);
        let out: Vec<f64> = sorted.into_iter().skip(self.offset).step_by(2).collect();
        let tail = (self.buffer.len() % 2 == 1).then(|| self.buffer[self.buffer.len() - 1]);
        self.buffer.clear();
        self.buffer.extend(tail);
        self.compactions += 1;
        out
    }
}

/// `f64::total_cmp`'s order as an unsigned key: negatives' bits flipped, positives' sign set.
fn order_key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | 1 << 63 }
}

fn from_order_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Sorts by `f64::total_cmp`, as Deequ sorts a buffer before compacting it: a byte-wise
/// radix sort of the order keys (bytes all items share are skipped). The order is the
/// comparison sort's exactly — items equal under `total_cmp` have the same bits — and a
/// compaction, the sketch's hot loop, costs a third of a comparison sort.
fn sort_total(xs: &mut [f64]) {
    if xs.len() < 64 {
        xs.sort_unstable_by(f64::total_cmp);
        return;
    }
    let mut keys: Vec<u64> = xs.iter().map(|&x| order_key(x)).collect();
    let mut spare = vec![0u64; keys.len()];
    for shift in (0..64).step_by(8) {
        let mut counts = [0usize; 256];
        for &k in &keys {
            counts[((k >> shift) & 0xff) as usize] += 1;
        }
        if counts.contains(&keys.len()) {
            continue;
        }
        let mut start = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = start;
            start += n;
        }
        for &k in &keys {
            let d = ((k >> shift) & 0xff) as usize;
            spare[counts[d]] = k;
            counts[d] += 1;
        }
        std::mem::swap(&mut keys, &mut spare);
    }
    for (x, k) in xs.iter_mut().zip(keys) {
        *x = from_order_key(k);
    }
}

/// The sketch: its levels, lowest (weight 1) first.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Kll {
    levels: Vec<Compactor>,
    items: usize,
    /// The sum of the levels' capacities (kept, not recomputed on every update).
    capacity: usize,
}

impl Default for Kll {
    fn default() -> Self {
        Self {
            levels: vec![Compactor::default()],
            items: 0,
            capacity: capacity(0),
        }
    }
}

/// `2·(⌈k·c^h/2⌉+1)`, in Java's arithmetic (`Math.pow`, `Math.ceil`, then `toInt`).
fn capacity(height: usize) -> usize {
    let h = i32::try_from(height).unwrap_or(i32::MAX);
    2 * ((SKETCH_SIZE as f64 * SHRINKING_FACTOR.powi(h) / 2.0).ceil() as usize + 1)
}

impl Kll {
    fn total_capacity(&self) -> usize {
        self.capacity
    }

    fn push_level(&mut self) {
        self.levels.push(Compactor::default());
        self.capacity = (0..self.levels.len()).map(capacity).sum();
    }

    fn count_items(&self) -> usize {
        self.levels.iter().map(|l| l.buffer.len()).sum()
    }

    pub fn update(&mut self, x: f64) {
        self.levels[0].buffer.push(x);
        self.items += 1;
        if self.items > self.total_capacity() {
            self.condense();
        }
    }

    /// Compacts the lowest full level (adding a level above it when it is the top).
    fn condense(&mut self) {
        let Some(h) = (0..self.levels.len()).find(|&h| self.levels[h].buffer.len() >= capacity(h))
        else {
            return;
        };
        if h + 1 >= self.levels.len() {
            self.push_level();
        }
        let out = self.levels[h].compact();
        self.levels[h + 1].buffer.extend(out);
        self.items = self.count_items();
    }

    /// Deequ's `merge`: `other`'s levels appended to these, then condensed while the items
    /// reach the capacity.
    pub fn merge(&mut self, other: &Kll) {
        while self.levels.len() < other.levels.len() {
            self.push_level();
        }
        for (mine, theirs) in self.levels.iter_mut().zip(&other.levels) {
            mine.buffer.extend_from_slice(&theirs.buffer);
        }
        self.items = self.count_items();
        while self.items >= self.total_capacity() {
            let before = self.items;
            self.condense();
            // A condense that finds no full level would loop forever in Deequ; here it stops.
            if self.items == before {
                break;
            }
        }
    }

    /// The buffers, level 0 first (statistics.json's `sketch.data`).
    pub fn data(&self) -> Vec<Vec<f64>> {
        self.levels.iter().map(|l| l.buffer.clone()).collect()
    }

    /// Rebuilds a sketch from statistics.json's `data` (a baseline's), as Deequ's
    /// `reconstruct` does: compaction counters start again at 0.
    pub fn from_data(data: &[Vec<f64>]) -> Self {
        let levels: Vec<Compactor> = data
            .iter()
            .map(|b| Compactor {
                buffer: b.clone(),
                ..Compactor::default()
            })
            .collect();
        let mut k = Self {
            levels,
            items: 0,
            capacity: 0,
        };
        if k.levels.is_empty() {
            k.levels.push(Compactor::default());
        }
        k.capacity = (0..k.levels.len()).map(capacity).sum();
        k.items = k.count_items();
        k
    }

    /// Every item with its weight (2^level).
    fn weighted(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.levels
            .iter()
            .enumerate()
            .flat_map(|(h, l)| l.buffer.iter().map(move |&x| (x, 1u64 << h.min(63))))
    }

    /// The weight of the items ≤ `x` (`getRank`).
    pub fn rank(&self, x: f64) -> u64 {
        self.weighted()
            .filter(|&(t, _)| t.total_cmp(&x).is_le())
            .map(|(_, w)| w)
            .sum()
    }

    /// The weight of the items < `x` (`getRankExclusive`).
    pub fn rank_exclusive(&self, x: f64) -> u64 {
        self.weighted()
            .filter(|&(t, _)| t.total_cmp(&x).is_lt())
            .map(|(_, w)| w)
            .sum()
    }

    /// Deequ's `getRankMap`: the distinct items in order, each with the running sum of one
    /// weight per distinct item (a `ListMap` keyed by item keeps one entry per value: the
    /// weight of its last occurrence, level order). This is the CDF the drift distance reads,
    /// duplicates and all (deequ#392).
    pub fn rank_map(&self) -> Vec<(f64, u64)> {
        let mut items: Vec<(f64, u64)> = self.weighted().collect();
        items.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut out: Vec<(f64, u64)> = Vec::with_capacity(items.len());
        let mut i = 0;
        let mut running = 0u64;
        while i < items.len() {
            let mut j = i;
            while j + 1 < items.len() && items[j + 1].0.total_cmp(&items[i].0).is_eq() {
                j += 1;
            }
            running += items[j].1;
            out.push((items[i].0, running));
            i = j + 1;
        }
        out
    }

    /// The rank map with every item's weight: (value, items ≤ it), the sketch's CDF.
    pub fn weighted_rank_map(&self) -> Vec<(f64, u64)> {
        let mut items: Vec<(f64, u64)> = self.weighted().collect();
        items.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut out: Vec<(f64, u64)> = Vec::with_capacity(items.len());
        let mut running = 0u64;
        for (x, w) in items {
            running += w;
            match out.last_mut() {
                Some(last) if last.0.total_cmp(&x).is_eq() => last.1 = running,
                _ => out.push((x, running)),
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.items == 0
    }
}

/// The statistics.json histogram: 10 buckets between the sketch's minimum and maximum,
/// `[lower, upper)` but the last `[lower, upper]`, counted from the sketch's ranks.
pub fn buckets(sketch: &Kll, min: f64, max: f64) -> Vec<(f64, f64, u64)> {
    const N: usize = 10;
    (0..N)
        .map(|i| {
            // Deequ's arithmetic: (end − start)·i first, then / 10.0.
            let lower = min + (max - min) * i as f64 / N as f64;
            let upper = min + (max - min) * (i + 1) as f64 / N as f64;
            let below_upper = if i == N - 1 {
                sketch.rank(upper)
            } else {
                sketch.rank_exclusive(upper)
            };
            (
                lower,
                upper,
                below_upper.saturating_sub(sketch.rank_exclusive(lower)),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_radix_sort_is_total_cmps_order() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for n in [0, 1, 63, 64, 65, 2048, 5000] {
            let mut xs: Vec<f64> = (0..n)
                .map(|i| match i % 7 {
                    0 => -0.0,
                    1 => 0.0,
                    2 => (next() % 100) as f64,
                    3 => -((next() % 1000) as f64) / 7.0,
                    4 => f64::from_bits(next() >> 2),
                    5 => -1e300,
                    _ => f64::MIN_POSITIVE * (next() % 5) as f64,
                })
                .collect();
            let mut want = xs.clone();
            want.sort_by(f64::total_cmp);
            sort_total(&mut xs);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&xs), bits(&want), "n = {n}");
        }
    }

    #[test]
    fn level_capacities_are_deequs() {
        assert_eq!(
            (0..5).map(capacity).collect::<Vec<_>>(),
            [2050, 1314, 842, 540, 346]
        );
    }

    #[test]
    fn up_to_2050_items_stay_in_input_order_on_one_level() {
        let mut k = Kll::default();
        let xs: Vec<f64> = (0..2050).map(|i| ((i * 7919) % 2050) as f64).collect();
        xs.iter().for_each(|&x| k.update(x));
        assert_eq!(k.data(), vec![xs.clone()]);
        k.update(5.0);
        let data = k.data();
        // The 2051st item condenses level 0: 1025 items of weight 2 go up, 1 stays.
        assert_eq!(data.len(), 2);
        assert_eq!(data[1].len(), 1025);
        assert_eq!(data[0], vec![5.0]);
        assert_eq!(
            data[1].iter().map(|_| 2u64).sum::<u64>() + data[0].len() as u64,
            2051
        );
        // Offset 0 on the first compaction: the even positions of the sorted items.
        let mut sorted = xs;
        sorted.sort_by(f64::total_cmp);
        assert_eq!(
            data[1][..3],
            sorted[..5].iter().step_by(2).copied().collect::<Vec<_>>()[..]
        );
    }

    #[test]
    fn the_same_insertions_give_the_same_sketch_and_weight_is_conserved() {
        let build = || {
            let mut k = Kll::default();
            for i in 0..100_000u64 {
                k.update(((i * 2_654_435_761) % 1_000_003) as f64);
            }
            k
        };
        let (a, b) = (build(), build());
        assert_eq!(a, b);
        let total: u64 = a.weighted().map(|(_, w)| w).sum();
        // Compaction drops one item of each pair: the weight stays within a level's weight
        // of n per compaction, and ranks stay close to the truth.
        let rank = a.rank(500_000.0) as f64 / total as f64;
        assert!((rank - 0.5).abs() < 0.01, "{rank}");
    }

    #[test]
    fn rank_map_counts_a_repeated_value_once() {
        let k = Kll::from_data(&[vec![0.0, 1.0, 1.0, 1.0, 0.0]]);
        assert_eq!(k.rank_map(), vec![(0.0, 1), (1.0, 2)]);
        assert_eq!(k.rank(0.0), 2);
        assert_eq!(k.rank_exclusive(1.0), 2);
    }

    #[test]
    fn a_constant_column_puts_everything_in_the_last_bucket() {
        let k = Kll::from_data(&[vec![3.0; 7]]);
        let b = buckets(&k, 3.0, 3.0);
        assert!(b[..9].iter().all(|&(_, _, c)| c == 0));
        assert_eq!(b[9], (3.0, 3.0, 7));
    }
}

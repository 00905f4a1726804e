//! A uniform sample of at most `capacity` items of a stream of unknown length (Algorithm R),
//! seeded, so the same stream gives the same sample. Memory is the capacity, not the stream.

use super::rng::Rng;

pub struct Reservoir<T> {
    capacity: usize,
    seen: usize,
    /// (position in the stream, item).
    items: Vec<(usize, T)>,
    rng: Rng,
}

impl<T> Reservoir<T> {
    pub fn new(capacity: usize, seed: u64) -> Self {
        Self {
            capacity,
            seen: 0,
            items: Vec::new(),
            rng: Rng::seeded(seed),
        }
    }

    pub fn push(&mut self, item: T) {
        let at = self.seen;
        self.seen += 1;
        if self.items.len() < self.capacity {
            self.items.push((at, item));
        } else {
            let j = self.rng.below(self.seen);
            if let Some(slot) = self.items.get_mut(j) {
                *slot = (at, item);
            }
        }
    }

    /// Items offered so far.
    pub fn seen(&self) -> usize {
        self.seen
    }

    /// The sample, in stream order.
    pub fn into_items(mut self) -> Vec<T> {
        self.items.sort_unstable_by_key(|(at, _)| *at);
        self.items.into_iter().map(|(_, t)| t).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_everything_under_capacity_and_a_uniform_seeded_sample_over_it() {
        let mut r = Reservoir::new(10, 1);
        (0..7).for_each(|i| r.push(i));
        assert_eq!(r.into_items(), (0..7).collect::<Vec<_>>());
        let sample = |seed| {
            let mut r = Reservoir::new(100, seed);
            (0..10_000).for_each(|i| r.push(i));
            assert_eq!(r.seen(), 10_000);
            r.into_items()
        };
        let a = sample(3);
        assert_eq!(a, sample(3), "seeded");
        assert_ne!(a, sample(4));
        assert_eq!(a.len(), 100);
        assert!(a.windows(2).all(|w| w[0] < w[1]), "stream order");
        // Uniform: each tenth of the stream holds about a tenth of the sample.
        let mut hits = [0usize; 10];
        for seed in 0..200 {
            for i in sample(seed) {
                hits[i / 1000] += 1;
            }
        }
        assert!(hits.iter().all(|h| (1700..2300).contains(h)), "{hits:?}");
    }
}

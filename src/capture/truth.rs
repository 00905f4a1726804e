//! A window's ground truth as a compact index, so captured records can be joined as they
//! stream instead of after the whole window is held. An id is kept as a 128-bit hash (a
//! collision among a billion ids has a probability near 10⁻²¹) and its labels as indexes into
//! the few distinct label values: about 40 bytes an id however long ids and labels are.
//!
//! Which captured event takes an id's labels is decided in capture order: the first event with
//! the id claims them ([`TruthIndex::claim`]); any later event with the same id is unmatched,
//! as in SageMaker's one-to-one join.

use std::collections::{HashMap, HashSet, hash_map};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};

use super::cell::{Cell, CellKey};

/// A join key (`inferenceId`, else `eventId`) as the index holds it.
pub type IdHash = u128;

/// The 128-bit hash of a join key: XXH3-128, one pass over the bytes and the same in every
/// process (a shard worker's ids hash as the coordinator's do). Two SipHash passes were a
/// visible share of reading a window's capture and ground truth.
pub fn id_hash(id: &str) -> IdHash {
    xxhash_rust::xxh3::xxh3_128(id.as_bytes())
}

/// A hasher for keys that are already hashes ([`IdHash`]) or small counters: one multiply, not
/// SipHash again — the window's join does a lookup per captured record.
#[derive(Debug, Default, Clone, Copy)]
pub struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        // Fibonacci hashing: spreads counters over the high bits hashbrown's groups use.
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn write_u128(&mut self, n: u128) {
        // Already a hash: its low half is as good as any.
        self.0 = n as u64;
    }
}

/// Ids looked up (or inserted) together. The index of a large window is far bigger than the
/// caches, so each access is a cache and TLB miss; a pass of accesses that do not depend on
/// each other lets the processor wait for several at once. One at a time, the join's lookups
/// were 90 % of its time on a 1M-record window (`perf`).
pub const MISS_BATCH: usize = 16;

/// A set of ground-truth entries ([`Labels::seq`]).
pub type SeqSet = HashSet<u32, BuildHasherDefault<Prehashed>>;

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Which insertion this is: the claim flag's index.
    seq: u32,
    /// The labels: `labels[at..at + len]`.
    at: u32,
    len: u32,
}

/// One ground-truth id's labels, as [`TruthIndex::lookup`] gives them.
#[derive(Debug, Clone, Copy)]
pub struct Labels<'a> {
    /// Identifies the entry for [`TruthIndex::claim`].
    pub seq: u32,
    ids: &'a [u32],
    values: &'a [Cell],
}

impl Labels<'_> {
    /// How many labels (one per captured record of the event).
    pub fn count(&self) -> usize {
        self.ids.len()
    }

    pub fn get(&self, i: usize) -> Cell {
        self.ids
            .get(i)
            .and_then(|&v| self.values.get(v as usize))
            .cloned()
            .unwrap_or(Cell::Null)
    }
}

/// The index: built file by file, oldest first, then shared read-only by the capture readers.
#[derive(Debug, Default)]
pub struct TruthIndex {
    map: HashMap<IdHash, Entry, BuildHasherDefault<Prehashed>>,
    labels: Vec<u32>,
    values: Vec<Cell>,
    value_ids: foldhash::HashMap<CellKey, u32>,
    claimed: Vec<AtomicBool>,
    /// Ids labelled more than once (the latest file's labels are used).
    pub duplicates: usize,
    /// Ground-truth records read (every line, duplicates included).
    pub records: usize,
}

/// Why an id could not be added: the index counts entries and labels in 32 bits.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("more than 4,294,967,295 ground-truth labels in one window; shorten the window")]
pub struct TooManyLabels;

impl TruthIndex {
    /// Makes room for `records` more ids, so a window's index grows in one step instead of a
    /// rehash per doubling.
    pub fn reserve(&mut self, records: usize) {
        self.map.reserve(records);
        self.labels.reserve(records);
        self.claimed.reserve(records);
    }

    /// Adds one record; a later record for the same id replaces the earlier one. The labels
    /// come by value from wherever the caller keeps them (a file's are kept flat, not boxed
    /// per record: the index is built on one thread, a million records a window).
    pub fn insert(
        &mut self,
        id: IdHash,
        labels: impl ExactSizeIterator<Item = Cell>,
    ) -> Result<(), TooManyLabels> {
        let seq = u32::try_from(self.claimed.len()).map_err(|_| TooManyLabels)?;
        let at = u32::try_from(self.labels.len()).map_err(|_| TooManyLabels)?;
        let len = u32::try_from(labels.len()).map_err(|_| TooManyLabels)?;
        at.checked_add(len).ok_or(TooManyLabels)?;
        for l in labels {
            // The few distinct label values, found without allocating (a million ids a window
            // go through here, on one thread).
            let v = match self.value_ids.entry(CellKey(l)) {
                hash_map::Entry::Occupied(e) => *e.get(),
                hash_map::Entry::Vacant(e) => {
                    let next = u32::try_from(self.values.len()).map_err(|_| TooManyLabels)?;
                    self.values.push(e.key().0.clone());
                    e.insert(next);
                    next
                }
            };
            self.labels.push(v);
        }
        self.claimed.push(AtomicBool::new(false));
        self.records += 1;
        if self.map.insert(id, Entry { seq, at, len }).is_some() {
            self.duplicates += 1;
        }
        Ok(())
    }

    /// Reads where `ids` go before they are inserted (at most [`MISS_BATCH`] of them): the
    /// inserts that follow find their lines cached.
    pub fn warm(&self, ids: impl Iterator<Item = IdHash>) {
        for id in ids {
            std::hint::black_box(self.map.get(&id));
        }
    }

    /// The labels of `id`, if it has any.
    pub fn lookup(&self, id: IdHash) -> Option<Labels<'_>> {
        let e = self.map.get(&id)?;
        let ids = self
            .labels
            .get(e.at as usize..(e.at as usize + e.len as usize))?;
        Some(Labels {
            seq: e.seq,
            ids,
            values: &self.values,
        })
    }

    /// Marks entries as taken by a captured event, in capture order. Returns the entries that
    /// an earlier event had already taken (then nothing is marked).
    pub fn claim(&self, seqs: &[u32]) -> Vec<u32> {
        let taken: Vec<u32> = seqs
            .iter()
            .copied()
            .filter(|s| {
                self.claimed
                    .get(*s as usize)
                    .is_some_and(|c| c.load(Ordering::Relaxed))
            })
            .collect();
        if taken.is_empty() {
            for s in seqs {
                if let Some(c) = self.claimed.get(*s as usize) {
                    c.store(true, Ordering::Relaxed);
                }
            }
        }
        taken
    }

    /// Labels no captured event claimed.
    pub fn unclaimed_labels(&self) -> usize {
        self.map
            .values()
            .filter(|e| {
                !self
                    .claimed
                    .get(e.seq as usize)
                    .is_some_and(|c| c.load(Ordering::Relaxed))
            })
            .map(|e| e.len as usize)
            .sum()
    }

    /// The entries claimed so far (ascending): a shard's claims, for its coordinator.
    pub fn claimed_seqs(&self) -> Vec<u32> {
        self.claimed
            .iter()
            .zip(0u32..)
            .filter(|(c, _)| c.load(Ordering::Relaxed))
            .map(|(_, s)| s)
            .collect()
    }

    /// Distinct ids.
    pub fn distinct_ids(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_records_replace_earlier_ones_and_claims_are_first_come() {
        let mut t = TruthIndex::default();
        t.insert(id_hash("a"), [Cell::Int(0)].into_iter()).unwrap();
        t.insert(
            id_hash("b"),
            [Cell::Int(1), Cell::Text("x".into())].into_iter(),
        )
        .unwrap();
        t.insert(id_hash("a"), [Cell::Int(1)].into_iter()).unwrap();
        assert_eq!((t.distinct_ids(), t.duplicates, t.records), (2, 1, 3));
        let a = t.lookup(id_hash("a")).unwrap();
        assert_eq!((a.count(), a.get(0)), (1, Cell::Int(1)));
        let b = t.lookup(id_hash("b")).unwrap();
        assert_eq!(b.get(1), Cell::Text("x".into()));
        assert!(t.lookup(id_hash("c")).is_none());
        assert_eq!(t.unclaimed_labels(), 3);
        assert!(t.claim(&[a.seq]).is_empty());
        assert_eq!(t.claim(&[b.seq, a.seq]), vec![a.seq], "a was taken");
        assert_eq!(t.unclaimed_labels(), 2, "b is not marked when a was taken");
        assert_ne!(id_hash("a"), id_hash("b"));
    }
}

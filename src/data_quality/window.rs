//! A monitoring window's profile, built capture object by capture object: each object's rows
//! are profiled on its own (on the thread that parsed it) and the objects' profiles are merged
//! in listing order, which is what makes a window's statistics.json the same bytes however
//! the objects were read (in one process, in shards, on Ray).
//!
//! Captured records need not agree on their width (a model update adds a column). The window's
//! columns are those of its first record in listing order; records of another width are not
//! profiled but counted, with the first of them named, so the execution can say what it left
//! out (Spark would silently fill or cut them).

use serde::{Deserialize, Serialize};

use super::profile::Profile;

/// The rows of one width.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Group {
    width: usize,
    profile: Profile,
    /// Where its first row came from (an event id), for messages.
    first: String,
}

/// The profile of some capture objects' rows, grouped by width in order of first appearance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowProfile {
    groups: Vec<Group>,
}

/// Records left out of the profile because their width is not the window's.
#[derive(Debug, Clone, PartialEq)]
pub struct OtherWidth {
    pub width: usize,
    pub records: u64,
    /// Where the first such record is (`object:line` for a capture window).
    pub first: String,
}

/// A finished window profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profiled {
    pub profile: Profile,
    pub other_widths: Vec<OtherWidth>,
}

fn spark_names(width: usize) -> Vec<String> {
    (0..width).map(|j| format!("_c{j}")).collect()
}

impl WindowProfile {
    /// One record of `width` cells (`None`: missing); `at` names it, asked for only for the
    /// first record of a width.
    pub fn add_row<'a>(
        &mut self,
        width: usize,
        at: impl FnOnce() -> String,
        cells: impl IntoIterator<Item = Option<&'a str>>,
    ) {
        let i = match self.groups.iter().position(|g| g.width == width) {
            Some(i) => i,
            None => {
                self.groups.push(Group {
                    width,
                    profile: Profile::new(spark_names(width)),
                    first: at(),
                });
                self.groups.len() - 1
            }
        };
        self.groups[i].profile.add_row(cells);
    }

    /// Adds the profile of the objects listed after these.
    pub fn absorb(&mut self, later: WindowProfile) {
        for g in later.groups {
            match self.groups.iter_mut().find(|m| m.width == g.width) {
                Some(mine) => mine.profile.merge(&g.profile),
                None => self.groups.push(g),
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The window's profile (its first record's width), its columns named by position from
    /// `names` (the baseline's features; Spark's `_c{j}` past them), and the records left out.
    pub fn finish(self, names: &[String]) -> Option<Profiled> {
        let mut groups = self.groups.into_iter();
        let mut first = groups.next()?;
        for (j, n) in first.profile.names.iter_mut().enumerate() {
            if let Some(name) = names.get(j) {
                n.clone_from(name);
            }
        }
        Some(Profiled {
            profile: first.profile,
            other_widths: groups
                .map(|g| OtherWidth {
                    width: g.width,
                    records: g.profile.rows,
                    first: g.first,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(w: &mut WindowProfile, values: &[&[&str]]) {
        for (i, r) in values.iter().enumerate() {
            w.add_row(r.len(), || format!("e{i}"), r.iter().map(|c| Some(*c)));
        }
    }

    #[test]
    fn objects_merged_in_order_equal_one_pass_and_odd_widths_are_counted() {
        let data: Vec<Vec<String>> = (0..500)
            .map(|i| vec![format!("{}", i % 17), format!("{}.5", i % 7)])
            .collect();
        let as_refs: Vec<Vec<&str>> = data
            .iter()
            .map(|r| r.iter().map(String::as_str).collect())
            .collect();
        let as_slices: Vec<&[&str]> = as_refs.iter().map(Vec::as_slice).collect();
        let mut one = WindowProfile::default();
        rows(&mut one, &as_slices);
        let mut parts = WindowProfile::default();
        for chunk in as_slices.chunks(500) {
            let mut p = WindowProfile::default();
            rows(&mut p, chunk);
            parts.absorb(p);
        }
        assert_eq!(one, parts);

        let mut odd = WindowProfile::default();
        rows(&mut odd, &[&["1", "2", "3"]]);
        parts.absorb(odd);
        let names = ["a".to_string()];
        let done = parts.finish(&names).expect("rows");
        assert_eq!(done.profile.names, ["a", "_c1"]);
        assert_eq!(done.profile.rows, 500);
        assert_eq!(
            done.other_widths,
            [OtherWidth {
                width: 3,
                records: 1,
                first: "e0".into()
            }]
        );
        assert!(WindowProfile::default().finish(&names).is_none());
    }
}

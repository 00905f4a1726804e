//! Asymmetric Shapley values (Frye, Rowat and Feige, NeurIPS 2020): a random-order value whose
//! orders respect a known precedence — here time. The players are split into blocks that must
//! enter in block order (every player of block i before any of block i+1); inside a block any
//! order is allowed. A player's value is its marginal contribution to the forecast,
//! `v(before ∪ {i}) − v(before)`, averaged uniformly over the admissible orders, per horizon
//! step. `v(S)` is the forecast with the players outside S at their baseline.
//!
//! Every admissible order is enumerated when there are at most `budget` of them (the exact
//! value); otherwise `num_samples` orders are drawn (each block shuffled, seeded). Efficiency
//! holds exactly either way: for every order the contributions telescope, so
//! `offset + Σ scores = v(all)` per horizon step.
//!
//! Clarify's granularities in these terms:
//! - `timewise` (`chronological`): one player per time step, one block each — the single order
//!   1, …, T; φ_t = v({1..t}) − v({1..t−1}), T + 1 forecasts. `anti_chronological` reverses the
//!   blocks; `bidirectional` averages the two orders (weight ½ each: driftwatch's reading of
//!   "a combination", documented).
//! - `fine_grained`: one player per (series, time step) and per static covariate; the static
//!   covariates form the first block (they precede the whole series), then one block per step.

use std::collections::HashMap;

use crate::stats::rng::Rng;

/// Which orders are averaged over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Orders {
    /// At most this many admissible orders are enumerated exactly.
    pub budget: u64,
    /// Otherwise, this many are drawn.
    pub num_samples: usize,
    pub seed: u64,
}

/// Asymmetric Shapley values of one forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The forecast of the empty coalition (every player at its baseline), per horizon step.
    pub offset: Vec<f64>,
    /// Per player (by index), per horizon step.
    pub scores: Vec<Vec<f64>>,
    /// Whether every admissible order was enumerated (the exact value) or orders were drawn.
    pub exact: bool,
    /// Distinct coalitions the model was asked for.
    pub evaluations: usize,
}

/// Why values could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AsvError<E> {
    #[error("the blocks must hold each of the {players} players exactly once")]
    Blocks { players: usize },
    #[error("the model gave {got} forecasts for {asked} coalitions")]
    Answers { asked: usize, got: usize },
    #[error("the model's forecasts have different lengths ({first} and {other} steps)")]
    Horizon { first: usize, other: usize },
    #[error(transparent)]
    Model(E),
}

/// How many admissible orders there are (Π |block|!), saturating.
pub fn admissible_orders(blocks: &[Vec<usize>]) -> u64 {
    blocks.iter().fold(1u64, |acc, b| {
        (1..=b.len() as u64).fold(acc, |a, k| a.saturating_mul(k))
    })
}

/// Every permutation of `items`, in lexicographic order of positions.
fn permutations(items: &[usize]) -> Vec<Vec<usize>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(i);
        for mut p in permutations(&rest) {
            p.insert(0, first);
            out.push(p);
        }
    }
    out
}

/// The admissible orders averaged over: all of them, or `num_samples` drawn.
fn orders(blocks: &[Vec<usize>], o: &Orders) -> (Vec<Vec<usize>>, bool) {
    if admissible_orders(blocks) <= o.budget {
        let per_block: Vec<Vec<Vec<usize>>> = blocks.iter().map(|b| permutations(b)).collect();
        let mut out = vec![Vec::new()];
        for perms in per_block {
            let mut next = Vec::with_capacity(out.len() * perms.len());
            for prefix in &out {
                for p in &perms {
                    let mut o = prefix.clone();
                    o.extend_from_slice(p);
                    next.push(o);
                }
            }
            out = next;
        }
        return (out, true);
    }
    let mut rng = Rng::seeded(o.seed);
    let drawn = (0..o.num_samples.max(1))
        .map(|_| {
            let mut order = Vec::new();
            for b in blocks {
                let mut block = b.clone();
                for i in (1..block.len()).rev() {
                    let j = rng.below(i + 1);
                    block.swap(i, j);
                }
                order.extend(block);
            }
            order
        })
        .collect();
    (drawn, false)
}

/// The coalitions one explanation needs and how they combine: made first, so the coalitions
/// of many items can be sent in shared requests, then finished with their forecasts.
#[derive(Debug, Clone)]
pub struct Plan {
    n: usize,
    orders: Vec<Vec<usize>>,
    /// Per order, the coalition index after 0, 1, …, n of its players.
    paths: Vec<Vec<usize>>,
    coalitions: Vec<Vec<bool>>,
    exact: bool,
}

impl Plan {
    /// The plan of `n` players partially ordered by `blocks`.
    pub fn new(n: usize, blocks: &[Vec<usize>], how: &Orders) -> Result<Self, AsvError<String>> {
        let mut seen = vec![false; n];
        for &p in blocks.iter().flatten() {
            if p >= n || std::mem::replace(&mut seen[p], true) {
                return Err(AsvError::Blocks { players: n });
            }
        }
        if seen.iter().any(|s| !s) {
            return Err(AsvError::Blocks { players: n });
        }
        let (orders, exact) = orders(blocks, how);
        Ok(Self::from_orders(n, orders, exact))
    }

    /// The plan that averages over exactly these orders (each a permutation of 0..n), with
    /// equal weight.
    fn from_orders(n: usize, orders: Vec<Vec<usize>>, exact: bool) -> Self {
        // Every coalition the orders pass through, each asked once.
        let mut index: HashMap<Vec<bool>, usize> = HashMap::new();
        let mut coalitions: Vec<Vec<bool>> = Vec::new();
        let mut path_of = |s: &Vec<bool>| -> usize {
            *index.entry(s.clone()).or_insert_with(|| {
                coalitions.push(s.clone());
                coalitions.len() - 1
            })
        };
        let mut paths: Vec<Vec<usize>> = Vec::with_capacity(orders.len());
        for order in &orders {
            let mut s = vec![false; n];
            let mut path = vec![path_of(&s)];
            for &p in order {
                s[p] = true;
                path.push(path_of(&s));
            }
            paths.push(path);
        }
        Self {
            n,
            orders,
            paths,
            coalitions,
            exact,
        }
    }

    /// The coalitions to forecast (`true` = the player at its value); the empty one first.
    pub fn coalitions(&self) -> &[Vec<bool>] {
        &self.coalitions
    }

    /// The values, from one H-step forecast per coalition, in order.
    pub fn finish<E>(&self, values: &[Vec<f64>]) -> Result<Explanation, AsvError<E>> {
        if values.len() != self.coalitions.len() {
            return Err(AsvError::Answers {
                asked: self.coalitions.len(),
                got: values.len(),
            });
        }
        let h = values.first().map_or(0, Vec::len);
        if let Some(bad) = values.iter().find(|v| v.len() != h) {
            return Err(AsvError::Horizon {
                first: h,
                other: bad.len(),
            });
        }
        let mut scores = vec![vec![0.0; h]; self.n];
        for (order, path) in self.orders.iter().zip(&self.paths) {
            for (k, &p) in order.iter().enumerate() {
                let (before, after) = (&values[path[k]], &values[path[k + 1]]);
                for (s, (a, b)) in scores[p].iter_mut().zip(after.iter().zip(before)) {
                    *s += a - b;
                }
            }
        }
        let count = self.orders.len() as f64;
        for s in scores.iter_mut().flatten() {
            *s /= count;
        }
        Ok(Explanation {
            offset: values[0].clone(),
            scores,
            exact: self.exact,
            evaluations: self.coalitions.len(),
        })
    }
}

/// The asymmetric Shapley values of `n` players partially ordered by `blocks`; `forecast`
/// answers a batch of coalitions (`true` = the player at its value) with one H-step forecast
/// each, in order.
pub fn asymmetric_values<E>(
    n: usize,
    blocks: &[Vec<usize>],
    how: &Orders,
    mut forecast: impl FnMut(&[Vec<bool>]) -> Result<Vec<Vec<f64>>, E>,
) -> Result<Explanation, AsvError<E>> {
    let plan = Plan::new(n, blocks, how).map_err(|_| AsvError::Blocks { players: n })?;
    let values = forecast(plan.coalitions()).map_err(AsvError::Model)?;
    plan.finish(&values)
}

/// Clarify's `direction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Chronological,
    AntiChronological,
    Bidirectional,
}

/// The `timewise` plan of T time steps: one player per step (all series at that step
/// together); `bidirectional` averages the chronological and the anti-chronological order
/// (weight ½ each), sharing their empty and full coalitions: 2T forecasts, not 2T + 2.
pub fn timewise_plan(steps: usize, direction: Direction) -> Plan {
    let forward: Vec<usize> = (0..steps).collect();
    let backward: Vec<usize> = forward.iter().rev().copied().collect();
    let orders = match direction {
        Direction::Chronological => vec![forward],
        Direction::AntiChronological => vec![backward],
        Direction::Bidirectional => vec![forward, backward],
    };
    Plan::from_orders(steps, orders, true)
}

/// `timewise` values of T time steps.
pub fn timewise<E>(
    steps: usize,
    direction: Direction,
    mut forecast: impl FnMut(&[Vec<bool>]) -> Result<Vec<Vec<f64>>, E>,
) -> Result<Explanation, AsvError<E>> {
    let plan = timewise_plan(steps, direction);
    let values = forecast(plan.coalitions()).map_err(AsvError::Model)?;
    plan.finish(&values)
}

/// The blocks of `fine_grained`: the static covariates first, then, per time step, the
/// players of that step. `players_at[t]` lists step t's players; `statics` the covariates'.
pub fn fine_grained_blocks(statics: &[usize], players_at: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut blocks = Vec::with_capacity(players_at.len() + 1);
    if !statics.is_empty() {
        blocks.push(statics.to_vec());
    }
    blocks.extend(players_at.iter().filter(|b| !b.is_empty()).cloned());
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A non-additive two-step forecast of 4 players.
    fn model(x: &[f64]) -> Vec<f64> {
        vec![
            x[0] * x[1] + x[2] - x[3] * x[3],
            x.iter().copied().fold(f64::MIN, f64::max) + x[0] * x[3],
        ]
    }

    fn masked(
        values: &[f64],
        baseline: &[f64],
    ) -> impl FnMut(&[Vec<bool>]) -> Result<Vec<Vec<f64>>, String> {
        let (values, baseline) = (values.to_vec(), baseline.to_vec());
        move |cs: &[Vec<bool>]| {
            Ok(cs
                .iter()
                .map(|c| {
                    let x: Vec<f64> = c
                        .iter()
                        .enumerate()
                        .map(|(i, &on)| if on { values[i] } else { baseline[i] })
                        .collect();
                    model(&x)
                })
                .collect())
        }
    }

    #[test]
    fn efficiency_holds_for_drawn_and_enumerated_orders() {
        let (x, b) = ([2.0, -1.0, 3.0, 0.5], [0.0, 1.0, 0.0, 2.0]);
        let blocks = vec![vec![0, 1], vec![2, 3]];
        for budget in [0, 100] {
            let how = Orders {
                budget,
                num_samples: 7,
                seed: 3,
            };
            let e = asymmetric_values(4, &blocks, &how, masked(&x, &b)).unwrap();
            assert_eq!(e.exact, budget > 0);
            let full = model(&x);
            for h in 0..2 {
                let total: f64 = e.offset[h] + e.scores.iter().map(|s| s[h]).sum::<f64>();
                assert!((total - full[h]).abs() < 1e-12, "{total} vs {}", full[h]);
            }
        }
    }

    #[test]
    fn timewise_chronological_is_the_difference_of_prefix_forecasts() {
        let (x, b) = ([2.0, -1.0, 3.0, 0.5], [0.0; 4]);
        let e = timewise(4, Direction::Chronological, masked(&x, &b)).unwrap();
        assert_eq!(e.evaluations, 5, "T + 1 forecasts");
        let mut f = masked(&x, &b);
        let prefix = |t: usize| (0..4).map(|i| i < t).collect::<Vec<bool>>();
        let v: Vec<Vec<f64>> = f(&(0..=4).map(prefix).collect::<Vec<_>>()).unwrap();
        for (t, score) in e.scores.iter().enumerate() {
            let step: Vec<f64> = v[t + 1].iter().zip(&v[t]).map(|(a, b)| a - b).collect();
            assert_eq!(score, &step);
        }
        let both = timewise(4, Direction::Bidirectional, masked(&x, &b)).unwrap();
        assert_eq!(
            both.evaluations, 8,
            "2T forecasts: the two orders share ∅ and all"
        );
        let anti = timewise(4, Direction::AntiChronological, masked(&x, &b)).unwrap();
        assert_eq!(
            both.scores[1][0],
            (e.scores[1][0] + anti.scores[1][0]) / 2.0
        );
    }

    #[test]
    fn blocks_that_miss_or_repeat_a_player_are_refused() {
        let how = Orders {
            budget: 10,
            num_samples: 1,
            seed: 0,
        };
        let f = |_: &[Vec<bool>]| -> Result<Vec<Vec<f64>>, String> { Ok(Vec::new()) };
        assert!(matches!(
            asymmetric_values(3, &[vec![0, 1]], &how, f),
            Err(AsvError::Blocks { players: 3 })
        ));
        assert!(matches!(
            asymmetric_values(2, &[vec![0, 1], vec![1]], &how, f),
            Err(AsvError::Blocks { players: 2 })
        ));
        assert_eq!(admissible_orders(&[vec![0, 1, 2], vec![3, 4]]), 12);
    }
}

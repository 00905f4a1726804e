//! An item as players of the explanation game: who the players are, in which blocks they must
//! enter, and what the model sees for a coalition (players outside it at their baseline).
//!
//! - `timewise`: one player per timestamp (context and future alike): at step t, the target
//!   (when t is in the context) and every related series together. The static covariates are
//!   not players: they keep their values in every coalition (the reference: timewise "does not
//!   explain individually static covariates").
//! - `fine_grained`: one player per target value of the context, per related value at every
//!   timestamp, and per static covariate; blocks: the static covariates first, then one per
//!   timestamp.

use serde_json::Value;

use super::asymmetric::{Direction, Orders, Plan, fine_grained_blocks, timewise_plan};
use super::dataset::Item;
use crate::config::analysis::time_series::{
    AsvBaseline, AsvConfig, SeriesBaseline, TsDirection, TsGranularity,
};

/// One player.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Player {
    /// Every series at one timestamp (`timewise`).
    Step(usize),
    /// The target at a context timestamp.
    Target(usize),
    /// Related series k at a timestamp.
    Related(usize, usize),
    /// Static covariate j.
    Static(usize),
}

/// What replaces an absent player's value.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub target: Vec<f64>,
    pub related: Vec<Vec<f64>>,
    pub statics: Vec<Value>,
}

fn series_baseline(kind: SeriesBaseline, values: &[f64]) -> Vec<f64> {
    let fill = match kind {
        SeriesBaseline::Zero => 0.0,
        // The item's own values (the target's over its context).
        SeriesBaseline::Mean => values.iter().sum::<f64>() / values.len().max(1) as f64,
    };
    vec![fill; values.len()]
}

impl Baseline {
    /// The item's baseline: zeros unless the config says `mean`; static covariates from the
    /// config's entry for the item's id, else zeros.
    pub fn of(item: &Item, cfg: &AsvConfig) -> Self {
        let (target, related, statics) = match &cfg.baseline {
            Some(AsvBaseline::Values {
                target,
                related,
                static_covariates,
            }) => (*target, *related, Some(static_covariates)),
            _ => (SeriesBaseline::Zero, SeriesBaseline::Zero, None),
        };
        let key = item.key();
        let given = statics.and_then(|s| s.iter().find(|(id, _)| *id == key));
        Self {
            target: series_baseline(target, &item.target),
            related: item
                .related
                .iter()
                .map(|r| series_baseline(related, r))
                .collect(),
            statics: match given {
                Some((_, values)) => values.iter().map(|&v| Value::from(v)).collect(),
                None => vec![Value::from(0.0); item.statics.len()],
            },
        }
    }
}

/// What the model is shown for one coalition.
#[derive(Debug, Clone, PartialEq)]
pub struct Masked {
    pub target: Vec<f64>,
    pub related: Vec<Vec<f64>>,
    pub statics: Vec<Value>,
}

/// An item's players and their plan.
#[derive(Debug, Clone)]
pub struct Game {
    pub players: Vec<Player>,
    pub plan: Plan,
    /// `timewise`: the static covariates keep their values.
    timewise: bool,
}

fn direction(d: TsDirection) -> Direction {
    match d {
        TsDirection::Chronological => Direction::Chronological,
        TsDirection::AntiChronological => Direction::AntiChronological,
        TsDirection::Bidirectional => Direction::Bidirectional,
    }
}

/// How many orders `fine_grained` draws when the config does not say (the reference's rule of
/// thumb, (1 + max(#related, #static))²).
fn default_samples(item: &Item) -> usize {
    let m = 1 + item.related.len().max(item.statics.len());
    m * m
}

impl Game {
    /// `seed` draws this item's orders (`fine_grained` beyond exact enumeration). Fails only
    /// if the blocks missed a player (they hold each once by construction).
    pub fn new(item: &Item, cfg: &AsvConfig, seed: u64) -> Result<Self, String> {
        let steps = item.timestamps.len();
        match cfg.granularity {
            TsGranularity::Timewise => Ok(Self {
                players: (0..steps).map(Player::Step).collect(),
                plan: timewise_plan(steps, direction(cfg.direction)),
                timewise: true,
            }),
            TsGranularity::FineGrained => {
                let mut players = Vec::new();
                let statics: Vec<usize> = (0..item.statics.len())
                    .map(|j| {
                        players.push(Player::Static(j));
                        players.len() - 1
                    })
                    .collect();
                let mut at = vec![Vec::new(); steps];
                for (t, slot) in at.iter_mut().enumerate() {
                    if t < item.target.len() {
                        players.push(Player::Target(t));
                        slot.push(players.len() - 1);
                    }
                    for k in 0..item.related.len() {
                        players.push(Player::Related(k, t));
                        slot.push(players.len() - 1);
                    }
                }
                let samples = cfg.num_samples.unwrap_or_else(|| default_samples(item));
                // Enumerating every admissible order is exact and, within num_samples orders,
                // no dearer than drawing them.
                let how = Orders {
                    budget: samples as u64,
                    num_samples: samples,
                    seed,
                };
                let blocks = fine_grained_blocks(&statics, &at);
                let plan = Plan::new(players.len(), &blocks, &how).map_err(|e| e.to_string())?;
                Ok(Self {
                    players,
                    plan,
                    timewise: false,
                })
            }
        }
    }

    /// The values the model sees for `coalition` (one flag per player).
    pub fn masked(&self, item: &Item, base: &Baseline, coalition: &[bool]) -> Masked {
        let mut m = Masked {
            target: base.target.clone(),
            related: base.related.clone(),
            statics: base.statics.clone(),
        };
        if self.timewise {
            m.statics = item.statics.clone();
        }
        for (p, _) in self.players.iter().zip(coalition).filter(|(_, on)| **on) {
            match *p {
                Player::Step(t) => {
                    if let Some(v) = item.target.get(t) {
                        m.target[t] = *v;
                    }
                    for (k, series) in item.related.iter().enumerate() {
                        m.related[k][t] = series[t];
                    }
                }
                Player::Target(t) => m.target[t] = item.target[t],
                Player::Related(k, t) => m.related[k][t] = item.related[k][t],
                Player::Static(j) => m.statics[j] = item.statics[j].clone(),
            }
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item() -> Item {
        Item {
            id: json!("a"),
            timestamps: vec![json!(1), json!(2), json!(3)],
            target: vec![2.0, 4.0],
            related: vec![vec![1.0, 2.0, 6.0]],
            statics: vec![json!(7)],
        }
    }

    fn cfg(granularity: TsGranularity, baseline: Option<AsvBaseline>) -> AsvConfig {
        AsvConfig {
            direction: TsDirection::Chronological,
            granularity,
            num_samples: Some(100),
            baseline,
        }
    }

    #[test]
    fn baselines_are_zeros_means_and_the_items_own_statics() {
        let b = Baseline::of(&item(), &cfg(TsGranularity::Timewise, None));
        assert_eq!(b.target, vec![0.0, 0.0]);
        assert_eq!(b.statics, vec![json!(0.0)]);
        let mean = AsvBaseline::Values {
            target: SeriesBaseline::Mean,
            related: SeriesBaseline::Mean,
            static_covariates: vec![("a".into(), vec![1.5])],
        };
        let b = Baseline::of(&item(), &cfg(TsGranularity::Timewise, Some(mean)));
        assert_eq!(b.target, vec![3.0, 3.0]);
        assert_eq!(b.related, vec![vec![3.0; 3]]);
        assert_eq!(b.statics, vec![json!(1.5)]);
    }

    #[test]
    fn fine_grained_players_are_statics_then_each_steps_values() {
        let c = cfg(TsGranularity::FineGrained, None);
        let g = Game::new(&item(), &c, 1).unwrap();
        assert_eq!(
            g.players,
            vec![
                Player::Static(0),
                Player::Target(0),
                Player::Related(0, 0),
                Player::Target(1),
                Player::Related(0, 1),
                Player::Related(0, 2)
            ]
        );
        let b = Baseline::of(&item(), &c);
        let m = g.masked(&item(), &b, &[false, true, false, false, true, false]);
        assert_eq!(m.target, vec![2.0, 0.0]);
        assert_eq!(m.related, vec![vec![0.0, 2.0, 0.0]]);
        assert_eq!(m.statics, vec![json!(0.0)]);
        // 1 · 2! · 2! · 1 = 4 admissible orders ≤ 100: enumerated.
        assert!(
            g.plan
                .finish::<()>(&vec![vec![0.0]; g.plan.coalitions().len()])
                .unwrap()
                .exact
        );
    }

    #[test]
    fn timewise_steps_carry_every_series_and_keep_the_statics() {
        let c = cfg(TsGranularity::Timewise, None);
        let g = Game::new(&item(), &c, 1).unwrap();
        let b = Baseline::of(&item(), &c);
        let m = g.masked(&item(), &b, &[false, false, true]);
        assert_eq!(m.target, vec![0.0, 0.0]);
        assert_eq!(m.related, vec![vec![0.0, 0.0, 6.0]]);
        assert_eq!(m.statics, vec![json!(7)]);
    }
}

//! Explaining every item of a dataset: each item's coalitions written as records, packed into
//! shared requests (many items per request, under the payload and record limits), sent with
//! bounded concurrency, and each item finished as soon as its forecasts are in.

use super::asymmetric::Explanation;
use super::dataset::{Item, Names};
use super::players::{Baseline, Game, Player};
use super::request::RequestFormat;
use crate::config::analysis::time_series::AsvConfig;
use crate::explain::endpoint::{
    CONCURRENCY, Invoker, MAX_PAYLOAD_BYTES, MAX_ROWS_PER_REQUEST, futures_join,
};
use crate::explain::predictor::PredictError;
use crate::sagemaker::FailureClass;
use crate::sagemaker::time_series::{AsvEntry, AsvLine, AsvTotals};

/// Why items could not be explained.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TsError {
    /// The endpoint failed (its class says whether to retry).
    #[error(transparent)]
    Endpoint(#[from] PredictError),
    /// A response that does not fit the configuration: permanent.
    #[error("endpoint {endpoint} request {request}: {message}")]
    Response {
        endpoint: String,
        request: usize,
        message: String,
    },
    /// Forecasts of different lengths for one item.
    #[error("item {item:?}: {message}")]
    Item { item: String, message: String },
}

impl TsError {
    pub fn class(&self) -> FailureClass {
        match self {
            Self::Endpoint(e) => e.class,
            _ => FailureClass::Permanent,
        }
    }
}

/// How the items are explained.
pub struct Explainer<'a> {
    pub asv: &'a AsvConfig,
    pub names: &'a Names,
    pub format: &'a RequestFormat,
    pub invoker: &'a Invoker,
}

/// One request's records, and each record's (item, coalition).
type Request = (Vec<String>, Vec<(usize, usize)>);

/// An item in progress: its forecasts as they arrive (one slot per coalition of its game).
struct Pending {
    values: Vec<Option<Vec<f64>>>,
    missing: usize,
}

/// The items and their games, which stay as they are while the forecasts arrive.
struct Games<'i> {
    items: &'i [Item],
    games: Vec<Game>,
}

/// The seed of an item's drawn orders: from its id, so an item is explained the same wherever
/// it sits in the dataset.
fn seed_of(item: &Item) -> u64 {
    xxhash_rust::xxh3::xxh3_64(item.key().as_bytes())
}

impl Explainer<'_> {
    fn records_per_request(&self, sample: &str) -> usize {
        if self.format.one_per_request() {
            return 1;
        }
        ((MAX_PAYLOAD_BYTES * 8 / 10) / (sample.len() + 2)).clamp(1, MAX_ROWS_PER_REQUEST)
    }

    /// Explains `items` in order; `line` receives each item's explanation, in item order.
    pub async fn explain(
        &self,
        items: &[Item],
        mut line: impl FnMut(AsvLine),
    ) -> Result<AsvTotals, TsError> {
        let mut totals = AsvTotals {
            items: items.len(),
            forecasts: 0,
            requests: 0,
            exact_items: 0,
            horizon: 0,
        };
        let mut pending: Vec<Option<Pending>> = Vec::with_capacity(items.len());
        let mut games = Vec::with_capacity(items.len());
        let mut baselines = Vec::with_capacity(items.len());
        for item in items {
            let game =
                Game::new(item, self.asv, seed_of(item)).map_err(|message| TsError::Item {
                    item: item.key(),
                    message,
                })?;
            let n = game.plan.coalitions().len();
            totals.forecasts += n;
            baselines.push(Baseline::of(item, self.asv));
            games.push(game);
            pending.push(Some(Pending {
                values: vec![None; n],
                missing: n,
            }));
        }
        let games = Games { items, games };
        let mut written = 0;
        let mut batch: Vec<Request> = Vec::new();
        let (mut records, mut slots, mut bytes) = (Vec::new(), Vec::new(), 0usize);
        let mut per_request = 0;
        for i in 0..items.len() {
            let (item, game) = (&items[i], &games.games[i]);
            for (c, coalition) in game.plan.coalitions().iter().enumerate() {
                let masked = game.masked(item, &baselines[i], coalition);
                let r = self.format.record(&item.timestamps[0], &masked);
                if per_request == 0 {
                    per_request = self.records_per_request(&r);
                }
                let full = records.len() >= per_request
                    || bytes + r.len() + 1 > MAX_PAYLOAD_BYTES * 8 / 10;
                if full && !records.is_empty() {
                    batch.push((std::mem::take(&mut records), std::mem::take(&mut slots)));
                    bytes = 0;
                }
                bytes += r.len() + 1;
                records.push(r);
                slots.push((i, c));
                if batch.len() >= CONCURRENCY * 2 {
                    self.send(std::mem::take(&mut batch), &mut pending).await?;
                    written = self.flush(&games, &mut pending, written, &mut totals, &mut line)?;
                }
            }
        }
        if !records.is_empty() {
            batch.push((records, slots));
        }
        self.send(batch, &mut pending).await?;
        self.flush(&games, &mut pending, written, &mut totals, &mut line)?;
        totals.requests = self.invoker.requests();
        Ok(totals)
    }

    /// Sends the requests at once (the invoker bounds those in flight) and files each
    /// forecast with its item and coalition.
    async fn send(
        &self,
        batch: Vec<Request>,
        pending: &mut [Option<Pending>],
    ) -> Result<(), TsError> {
        let calls = batch.iter().map(|(records, _)| {
            let body = self.format.body(records).into_bytes();
            let what = format!("{} forecasting records", records.len());
            async move { self.invoker.invoke(body, &what).await }
        });
        let answers = futures_join(calls.collect()).await;
        for ((records, slots), answer) in batch.iter().zip(answers) {
            let (n, text) = answer?;
            let found = self
                .format
                .forecasts(&text, records.len())
                .map_err(|message| TsError::Response {
                    endpoint: self.invoker.endpoint().to_string(),
                    request: n,
                    message,
                })?;
            for (&(i, c), f) in slots.iter().zip(found) {
                if let Some(p) = pending[i].as_mut()
                    && p.values[c].replace(f).is_none()
                {
                    p.missing -= 1;
                }
            }
        }
        Ok(())
    }

    /// Finishes the items, in order, whose forecasts are all in; returns the next to write.
    fn flush(
        &self,
        games: &Games<'_>,
        pending: &mut [Option<Pending>],
        mut next: usize,
        totals: &mut AsvTotals,
        line: &mut impl FnMut(AsvLine),
    ) -> Result<usize, TsError> {
        while next < pending.len() && pending[next].as_ref().is_some_and(|p| p.missing == 0) {
            let Some(p) = pending[next].take() else { break };
            let (item, game) = (&games.items[next], &games.games[next]);
            let values: Vec<Vec<f64>> = p.values.into_iter().flatten().collect();
            let e: Explanation = game.plan.finish::<String>(&values).map_err(|e| TsError::Item {
                item: item.key(),
                message: match e {
                    super::asymmetric::AsvError::Horizon { first, other } => format!(
                        "the endpoint's forecasts have different lengths ({first} and {other} steps); every forecast of an item must have the same horizon"
                    ),
                    other => other.to_string(),
                },
            })?;
            let h = e.offset.len();
            if totals.horizon == 0 {
                totals.horizon = h;
            } else if totals.horizon != h {
                return Err(TsError::Item {
                    item: item.key(),
                    message: format!(
                        "the forecast has {h} steps; the items before it had {} (the forecast JMESPath must give the same horizon for every item)",
                        totals.horizon
                    ),
                });
            }
            totals.exact_items += usize::from(e.exact);
            let full = full_forecast(game, &values);
            line(out_line(item, game, &e, self.names, full));
            next += 1;
        }
        Ok(next)
    }
}

/// The forecast of the full coalition: the one whose every flag is set.
fn full_forecast(game: &Game, values: &[Vec<f64>]) -> Vec<f64> {
    game.plan
        .coalitions()
        .iter()
        .position(|c| c.iter().all(|&on| on))
        .and_then(|i| values.get(i).cloned())
        .unwrap_or_default()
}

/// Clarify's out.jsonl line for one item: target by time, each related series by time, then
/// the static covariates (no timestamp); `timewise` lines have one entry per timestamp,
/// without a feature name.
pub fn out_line(
    item: &Item,
    game: &Game,
    e: &Explanation,
    names: &Names,
    forecast: Vec<f64>,
) -> AsvLine {
    let mut entries: Vec<((u8, usize, usize), AsvEntry)> = game
        .players
        .iter()
        .enumerate()
        .map(|(p, player)| {
            let entry = |name: Option<&String>, t: Option<usize>| AsvEntry {
                feature_name: name.cloned(),
                timestamp: t.map(|t| item.timestamps[t].clone()),
                scores: e.scores[p].clone(),
            };
            match *player {
                Player::Step(t) => ((0, 0, t), entry(None, Some(t))),
                Player::Target(t) => ((0, 0, t), entry(Some(&names.target), Some(t))),
                Player::Related(k, t) => ((1, k, t), entry(Some(&names.related[k]), Some(t))),
                Player::Static(j) => ((2, j, 0), entry(Some(&names.statics[j]), None)),
            }
        })
        .collect();
    entries.sort_by_key(|(key, _)| *key);
    AsvLine {
        item_id: item.id.clone(),
        offset: e.offset.clone(),
        explanations: entries.into_iter().map(|(_, v)| v).collect(),
        forecast,
        exact: e.exact,
        forecasts: e.evaluations,
    }
}

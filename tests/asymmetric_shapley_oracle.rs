//! Asymmetric Shapley values against an independent brute-force oracle
//! (`tests/fixtures/asymmetric_shapley/oracle.py`: every n! order generated, the ones breaking
//! the time precedence dropped): timewise in both directions and fine-grained blocks (two
//! series, static covariates first, uneven series) on a non-additive forecast, to 1e-9; and
//! efficiency (offset + Σ scores = the forecast) for enumerated and drawn orders.

use driftwatch::explain::time_series::asymmetric::{
    Direction, Orders, asymmetric_values, timewise,
};
use serde_json::Value;

fn golden() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/asymmetric_shapley/golden.json"
        ))
        .unwrap(),
    )
    .unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// The oracle's model: f_h(x) = Σ w x + Σ_{i<j} u x_i x_j + c max(x).
struct Model {
    w: Vec<Vec<f64>>,
    u: Vec<Vec<Vec<f64>>>,
    c: Vec<f64>,
    x: Vec<f64>,
    baseline: Vec<f64>,
}

impl Model {
    fn of(case: &Value) -> Self {
        Self {
            w: case["w"].as_array().unwrap().iter().map(floats).collect(),
            u: case["u"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_array().unwrap().iter().map(floats).collect())
                .collect(),
            c: floats(&case["c"]),
            x: floats(&case["x"]),
            baseline: floats(&case["baseline"]),
        }
    }

    fn forecast(&self, coalitions: &[Vec<bool>]) -> Result<Vec<Vec<f64>>, String> {
        Ok(coalitions
            .iter()
            .map(|s| {
                let x: Vec<f64> = s
                    .iter()
                    .enumerate()
                    .map(|(i, &on)| if on { self.x[i] } else { self.baseline[i] })
                    .collect();
                let n = x.len();
                (0..self.w.len())
                    .map(|h| {
                        let mut v: f64 = (0..n).map(|i| self.w[h][i] * x[i]).sum();
                        for i in 0..n {
                            for j in i + 1..n {
                                v += self.u[h][i][j] * x[i] * x[j];
                            }
                        }
                        v + self.c[h] * x.iter().copied().fold(f64::MIN, f64::max)
                    })
                    .collect()
            })
            .collect())
    }
}

#[test]
fn every_admissible_order_enumerated_equals_the_brute_force_oracle() {
    let g = golden();
    let cases = g["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let n = case["n"].as_u64().unwrap() as usize;
        let blocks: Vec<Vec<usize>> = case["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                b.as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_u64().unwrap() as usize)
                    .collect()
            })
            .collect();
        let m = Model::of(case);
        let how = Orders {
            budget: 1_000,
            num_samples: 1,
            seed: 0,
        };
        let e = asymmetric_values(n, &blocks, &how, |c| m.forecast(c)).unwrap();
        assert!(e.exact, "{name}");
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + b.abs());
        for (a, b) in e.offset.iter().zip(floats(&case["offset"])) {
            assert!(close(*a, b), "{name} offset: {a} vs {b}");
        }
        for (p, row) in case["scores"].as_array().unwrap().iter().enumerate() {
            for (h, b) in floats(row).into_iter().enumerate() {
                let a = e.scores[p][h];
                assert!(close(a, b), "{name} player {p} step {h}: {a} vs {b}");
            }
        }
        // Timewise through its own entry point gives the same values.
        if let Some(direction) = match name {
            "timewise_chronological" => Some(Direction::Chronological),
            "timewise_anti_chronological" => Some(Direction::AntiChronological),
            _ => None,
        } {
            let t = timewise(n, direction, |c| m.forecast(c)).unwrap();
            assert_eq!(t.scores, e.scores, "{name}");
            assert_eq!(t.evaluations, n + 1, "{name}: T + 1 forecasts");
        }
    }
}

#[test]
fn drawn_orders_keep_efficiency_exactly() {
    let g = golden();
    for case in g["cases"].as_array().unwrap() {
        let n = case["n"].as_u64().unwrap() as usize;
        let blocks: Vec<Vec<usize>> = serde_json::from_value(case["blocks"].clone()).unwrap();
        let m = Model::of(case);
        let how = Orders {
            budget: 0,
            num_samples: 5,
            seed: 11,
        };
        let e = asymmetric_values(n, &blocks, &how, |c| m.forecast(c)).unwrap();
        assert!(!e.exact);
        let full = m.forecast(&[vec![true; n]]).unwrap().remove(0);
        for (h, f) in full.iter().enumerate() {
            let total = e.offset[h] + e.scores.iter().map(|s| s[h]).sum::<f64>();
            assert!(
                (total - f).abs() <= 1e-9 * (1.0 + f.abs()),
                "{total} vs {f}"
            );
        }
        // Seeded: the same draw every run.
        assert_eq!(
            asymmetric_values(n, &blocks, &how, |c| m.forecast(c)).unwrap(),
            e
        );
    }
}

//! The Clarify bias metrics as smclarify 0.5 computes them, each a small pure function over
//! counts. Error strings are smclarify's, word for word; the order of the empty-facet checks
//! differs between metrics in smclarify and is kept.

use super::counts::{Cells, GroupCells, Side};

pub type MetricValue = Result<f64, String>;

/// smclarify's `divide`: 0/0 → 0, x/0 → ±∞.
pub fn divide(a: f64, b: f64) -> f64 {
    if b == 0.0 && a == 0.0 {
        0.0
    } else if b == 0.0 {
        if a < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }
    } else {
        a / b
    }
}

/// `x − y` for two rates, where both being +∞ means "no difference" (smclarify's rule in
/// every rate-difference metric).
fn diff(x: f64, y: f64) -> f64 {
    if x == y && x == f64::INFINITY {
        0.0
    } else {
        x - y
    }
}

fn f(x: u64) -> f64 {
    x as f64
}

/// The values a metric can take, as the formulas below compute them (±∞ included where a
/// division by zero yields it). Used to tell a baseline that can never be violated or that
/// no analysis could have produced (a hand-edited constraint) from a real one.
pub fn range(name: &str) -> Option<(f64, f64)> {
    const INF: f64 = f64::INFINITY;
    Some(match name {
        "CI" | "DPL" | "DPPL" | "CDDL" | "CDDPL" | "DAR" | "DRR" | "RD" | "SD" | "AD" | "FT" => {
            (-1.0, 1.0)
        }
        // smclarify drops a label class absent on either side, so one term can remain:
        // p·ln(p/q) with q ≤ 1 reaches down to −1/e.
        "KL" => (-(-1.0f64).exp(), INF),
        "GE" => (0.0, INF),
        "JS" => (0.0, std::f64::consts::LN_2),
        "LP" => (0.0, std::f64::consts::SQRT_2),
        "TVD" | "KS" => (0.0, 1.0),
        "DI" => (0.0, INF),
        "DCA" | "DCR" | "TE" => (-INF, INF),
        _ => return None,
    })
}

/// Metric descriptions: the first docstring line of each smclarify metric.
pub fn description(name: &str) -> &'static str {
    match name {
        "CDDL" => "Conditional Demographic Disparity in Labels (CDDL)",
        "CI" => "Class Imbalance (CI)",
        "DPL" => "Difference in Positive Proportions in Labels (DPL)",
        "JS" => "Jensen-Shannon Divergence (JS)",
        "KL" => "Kullback-Liebler Divergence (KL)",
        "KS" => "Kolmogorov-Smirnov Distance (KS)",
        "LP" => "L-p Norm (LP)",
        "TVD" => "Total Variation Distance (TVD)",
        "AD" => "Accuracy Difference (AD)",
        "CDDPL" => "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
        "DAR" => "Difference in Acceptance Rates (DAR)",
        "DCA" => "Difference in Conditional Acceptance (DCA)",
        "DCR" => "Difference in Conditional Rejection (DCR)",
        "DI" => "Disparate Impact (DI)",
        "DPPL" => "Difference in Positive Proportions in Predicted Labels (DPPL)",
        "DRR" => "Difference in Rejection Rates (DRR)",
        "FT" => "Flip Test (FT)",
        "GE" => "Generalized Entropy (GE)",
        "RD" => "Recall Difference (RD)",
        "SD" => "Specificity Difference (SD)",
        "TE" => "Treatment Equality (TE)",
        _ => "",
    }
}

pub fn ci(c: &Cells) -> MetricValue {
    let (na, nd) = (c.a.n(), c.d.n());
    if na == 0 {
        return Err(
            "CI: negated facet set is empty. Check that x[~facet] has non-zero length.".into(),
        );
    }
    if nd == 0 {
        return Err("CI: facet set is empty. Check that x[facet] has non-zero length.".into());
    }
    Ok((f(na) - f(nd)) / f(na + nd))
}

/// common.DPL over an outcome (labels for DPL, predictions for DPPL).
fn dpl_of(a_pos: u64, na: u64, d_pos: u64, nd: u64) -> MetricValue {
    if na == 0 {
        return Err("Negative facet set is empty.".into());
    }
    if nd == 0 {
        return Err("Facet set is empty.".into());
    }
    Ok(f(a_pos) / f(na) - f(d_pos) / f(nd))
}

pub fn dpl(c: &Cells) -> MetricValue {
    dpl_of(c.a.label_pos(), c.a.n(), c.d.label_pos(), c.d.n())
}

pub fn dppl(c: &Cells) -> MetricValue {
    dpl_of(c.a.pred_pos(), c.a.n(), c.d.pred_pos(), c.d.n())
}

/// The metrics computed from [`aligned_pdfs`]: their formula changes with the outcomes both
/// sides have, so a resample that loses one measures another quantity (see
/// `bootstrap::intervals`).
pub const ALIGNED: [&str; 5] = ["KL", "JS", "LP", "TVD", "KS"];

/// Which label outcomes [`aligned_pdfs`] keeps: bit 0 negative, bit 1 positive.
pub fn shared_outcomes(c: &Cells) -> u8 {
    u8::from(c.a.label_neg() > 0 && c.d.label_neg() > 0)
        | (u8::from(c.a.label_pos() > 0 && c.d.label_pos() > 0) << 1)
}

/// Label distributions of a and d over {negative, positive}, keeping only outcomes present
/// on both sides, without smoothing (smclarify's `pdfs_aligned_nonzero`).
fn aligned_pdfs(c: &Cells) -> Result<(Vec<f64>, Vec<f64>), String> {
    let (na, nd) = (c.a.n(), c.d.n());
    let mut pa = Vec::new();
    let mut pd = Vec::new();
    for (ka, kd) in [
        (c.a.label_neg(), c.d.label_neg()),
        (c.a.label_pos(), c.d.label_pos()),
    ] {
        if ka > 0 && kd > 0 {
            pa.push(f(ka) / f(na));
            pd.push(f(kd) / f(nd));
        }
    }
    if pa.is_empty() {
        return Err("No instance of common facet found, dataset may be too small".into());
    }
    Ok((pa, pd))
}

pub fn kl(c: &Cells) -> MetricValue {
    let (pa, pd) = aligned_pdfs(c)?;
    Ok(pa.iter().zip(&pd).map(|(a, d)| a * (a / d).ln()).sum())
}

pub fn js(c: &Cells) -> MetricValue {
    let (pa, pd) = aligned_pdfs(c)?;
    let p: Vec<f64> = pa.iter().zip(&pd).map(|(a, d)| 0.5 * (a + d)).collect();
    let ka: f64 = pa.iter().zip(&p).map(|(a, m)| a * (a / m).ln()).sum();
    let kd: f64 = pd.iter().zip(&p).map(|(d, m)| d * (d / m).ln()).sum();
    Ok(0.5 * (ka + kd))
}

pub fn lp(c: &Cells) -> MetricValue {
    let (pa, pd) = aligned_pdfs(c)?;
    Ok(pa
        .iter()
        .zip(&pd)
        .map(|(a, d)| (a - d) * (a - d))
        .sum::<f64>()
        .sqrt())
}

pub fn tvd(c: &Cells) -> MetricValue {
    let (pa, pd) = aligned_pdfs(c)?;
    Ok(0.5 * pa.iter().zip(&pd).map(|(a, d)| (a - d).abs()).sum::<f64>())
}

pub fn ks(c: &Cells) -> MetricValue {
    let (pa, pd) = aligned_pdfs(c)?;
    Ok(pa
        .iter()
        .zip(&pd)
        .map(|(a, d)| (a - d).abs())
        .fold(0.0, f64::max))
}

/// CDD (CDDL with labels, CDDPL with predictions): the group-size-weighted mean of
/// (share of the group's negatives in d) − (share of the group's positives in d).
pub fn cdd(groups: Option<&GroupCells>, total_pos: u64, total_neg: u64) -> MetricValue {
    let Some(groups) = groups.filter(|g| !g.groups.is_empty()) else {
        return Err("Group variable is empty or not provided".into());
    };
    if total_pos == 0 {
        return Err("No positive labels in set".into());
    }
    if total_neg == 0 {
        return Err("No negative labels in set".into());
    }
    let mut weighted = 0.0;
    let mut total = 0.0;
    for g in &groups.groups {
        let a = if g.pos == 0 {
            0.0
        } else {
            f(g.pos_d) / f(g.pos)
        };
        let d = if g.neg == 0 {
            0.0
        } else {
            f(g.neg_d) / f(g.neg)
        };
        weighted += f(g.n) * (d - a);
        total += f(g.n);
    }
    Ok(divide(weighted, total))
}

pub fn di(c: &Cells) -> MetricValue {
    if c.a.n() == 0 {
        return Err("Negated facet set is empty".into());
    }
    let qa = f(c.a.pred_pos()) / f(c.a.n());
    if c.d.n() == 0 {
        return Err("Facet set is empty".into());
    }
    let qd = f(c.d.pred_pos()) / f(c.d.n());
    Ok(divide(qd, qa))
}

fn require_both(c: &Cells, prefix: &str, negated: &str) -> Result<(), String> {
    if c.d.n() == 0 {
        return Err(format!("{prefix}Facet set is empty"));
    }
    if c.a.n() == 0 {
        return Err(format!("{prefix}{negated}"));
    }
    Ok(())
}

pub fn dca(c: &Cells) -> MetricValue {
    require_both(c, "DCO: ", "Negated Facet set is empty")?;
    let ca = divide(f(c.a.label_pos()), f(c.a.pred_pos()));
    let cd = divide(f(c.d.label_pos()), f(c.d.pred_pos()));
    Ok(diff(ca, cd))
}

pub fn dcr(c: &Cells) -> MetricValue {
    require_both(c, "DCO: ", "Negated Facet set is empty")?;
    let ra = divide(f(c.a.label_neg()), f(c.a.pred_neg()));
    let rd = divide(f(c.d.label_neg()), f(c.d.pred_neg()));
    Ok(diff(rd, ra))
}

pub fn dar(c: &Cells) -> MetricValue {
    require_both(c, "DLR: ", "Negated Facet set is empty")?;
    Ok(diff(
        divide(f(c.a.tp), f(c.a.pred_pos())),
        divide(f(c.d.tp), f(c.d.pred_pos())),
    ))
}

pub fn drr(c: &Cells) -> MetricValue {
    require_both(c, "DLR: ", "Negated Facet set is empty")?;
    let ra = divide(f(c.a.tn), f(c.a.pred_neg()));
    let rd = divide(f(c.d.tn), f(c.d.pred_neg()));
    Ok(diff(rd, ra))
}

pub fn rd(c: &Cells) -> MetricValue {
    require_both(c, "DLA: ", "Negated Facet set is empty")?;
    let rec = |s: &Side| divide(f(s.tp), f(s.tp + s.fn_));
    Ok(diff(rec(&c.a), rec(&c.d)))
}

pub fn sd(c: &Cells) -> MetricValue {
    require_both(c, "DLA: ", "Negated Facet set is empty")?;
    let spec = |s: &Side| divide(f(s.tn), f(s.tn + s.fp));
    let (sa, sd) = (spec(&c.a), spec(&c.d));
    Ok(diff(sd, sa))
}

pub fn ad(c: &Cells) -> MetricValue {
    require_both(c, "", "Negated Facet set is empty")?;
    let acc = |s: &Side| divide(f(s.tp + s.tn), f(s.n()));
    Ok(diff(acc(&c.a), acc(&c.d)))
}

pub fn te(c: &Cells) -> MetricValue {
    require_both(c, "", "Negated Facet set is empty")?;
    let tau = |s: &Side| divide(f(s.fn_), f(s.fp));
    let (ta, td) = (tau(&c.a), tau(&c.d));
    Ok(diff(td, ta))
}

/// Generalized entropy (α = 2) of the benefit b = ŷ − y + 1 over all rows.
pub fn ge(c: &Cells) -> MetricValue {
    let all = Side {
        tp: c.a.tp + c.d.tp,
        fp: c.a.fp + c.d.fp,
        fn_: c.a.fn_ + c.d.fn_,
        tn: c.a.tn + c.d.tn,
    };
    let n = f(all.n());
    if n == 0.0 {
        return Err("dataset must be non-empty".into());
    }
    // b = 0 for FN, 1 for TP and TN, 2 for FP.
    let mean = (f(all.tp + all.tn) + 2.0 * f(all.fp)) / n;
    if mean == 0.0 {
        return Err("All predicted labels are false negatives. There should be at least one prediction that is not false negative.".into());
    }
    let term = |b: f64| (b / mean).powi(2) - 1.0;
    let sum = f(all.fn_) * term(0.0) + f(all.tp + all.tn) * term(1.0) + f(all.fp) * term(2.0);
    Ok(sum / (n * 2.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(tp: u64, fp: u64, fn_: u64, tn: u64) -> Side {
        Side { tp, fp, fn_, tn }
    }

    /// Every metric over every small table of counts stays within its documented range,
    /// so a baseline outside it really is one no analysis produced.
    #[test]
    fn metrics_stay_within_their_ranges() {
        type Metric = fn(&Cells) -> MetricValue;
        let metrics: [(&str, Metric); 18] = [
            ("CI", ci),
            ("DPL", dpl),
            ("DPPL", dppl),
            ("KL", kl),
            ("JS", js),
            ("LP", lp),
            ("TVD", tvd),
            ("KS", ks),
            ("DI", di),
            ("DCA", dca),
            ("DCR", dcr),
            ("DAR", dar),
            ("DRR", drr),
            ("RD", rd),
            ("SD", sd),
            ("AD", ad),
            ("TE", te),
            ("GE", ge),
        ];
        let mut kl_min = f64::INFINITY;
        let n = 4u64;
        for code in 0..n.pow(8) {
            let c: Vec<u64> = (0..8).map(|i| (code / n.pow(i)) % n).collect();
            let cells = Cells {
                a: side(c[0], c[1], c[2], c[3]),
                d: side(c[4], c[5], c[6], c[7]),
            };
            for (name, f) in metrics {
                let (lo, hi) = range(name).unwrap();
                if let Ok(v) = f(&cells) {
                    assert!(
                        v >= lo - 1e-12 && v <= hi + 1e-12,
                        "{name} = {v} for {cells:?}"
                    );
                    if name == "KL" {
                        kl_min = kl_min.min(v);
                    }
                }
            }
        }
        assert!(kl_min < -0.3, "KL does go negative: {kl_min}");
    }

    #[test]
    fn divide_follows_smclarify() {
        assert_eq!(divide(0.0, 0.0), 0.0);
        assert_eq!(divide(1.0, 0.0), f64::INFINITY);
        assert_eq!(divide(-1.0, 0.0), f64::NEG_INFINITY);
        assert_eq!(divide(1.0, 4.0), 0.25);
    }

    #[test]
    fn ci_worked_example() {
        // 80 rows in a, 20 in d: CI = 0.6.
        let c = Cells {
            a: side(0, 0, 0, 80),
            d: side(0, 0, 0, 20),
        };
        assert_eq!(ci(&c), Ok(0.6));
        let empty_d = Cells {
            a: side(1, 0, 0, 0),
            d: Side::default(),
        };
        assert_eq!(
            ci(&empty_d).unwrap_err(),
            "CI: facet set is empty. Check that x[facet] has non-zero length."
        );
        assert_eq!(dpl(&empty_d).unwrap_err(), "Facet set is empty.");
        assert_eq!(di(&empty_d).unwrap_err(), "Facet set is empty");
        assert_eq!(dca(&empty_d).unwrap_err(), "DCO: Facet set is empty");
        assert_eq!(ad(&empty_d).unwrap_err(), "Facet set is empty");
    }

    #[test]
    fn kl_is_negative_when_a_category_is_missing_on_one_side() {
        // d has no positives: only the negative category is kept, unnormalised.
        let c = Cells {
            a: side(0, 0, 4, 4),
            d: side(0, 0, 0, 4),
        };
        let v = kl(&c).unwrap();
        assert!((v - 0.5 * 0.5f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn ge_matches_direct_formula() {
        // b: FN=0, TP/TN=1, FP=2: a has FP, FN, TN and d one TP, so b = [0,1,2,1].
        let c = Cells {
            a: side(0, 1, 1, 1),
            d: side(1, 0, 0, 0),
        };
        let b = [0.0f64, 1.0, 2.0, 1.0];
        let m = b.iter().sum::<f64>() / 4.0;
        let want = b.iter().map(|x| (x / m).powi(2) - 1.0).sum::<f64>() / 8.0;
        assert!((ge(&c).unwrap() - want).abs() < 1e-15);
    }
}

//! Exact binomial and multinomial draws, so that resampling the count cells of a window is
//! distributed exactly as resampling its rows — at a cost independent of the row count.
//!
//! Binomial(n, p): inversion (BINV) when n·min(p, 1−p) < 30; otherwise Kachitvichyanukul &
//! Schmeiser's BTPE, with the acceptance test always evaluated exactly (the ratio f(y)/f(m)
//! by its product form), so every draw follows the binomial distribution exactly.

use super::rng::Rng;

/// A draw from Binomial(n, p).
pub fn binomial(rng: &mut Rng, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let r = p.min(1.0 - p);
    let y = if (n as f64) * r < 30.0 {
        inversion(rng, n, r)
    } else {
        btpe(rng, n, r)
    };
    if p > 0.5 { n - y } else { y }
}

/// BINV: walks the cumulative distribution from 0 (expected steps n·p + 1 < 31).
fn inversion(rng: &mut Rng, n: u64, p: f64) -> u64 {
    let q = 1.0 - p;
    let s = p / q;
    let a = (n as f64 + 1.0) * s;
    let p0 = q.powf(n as f64);
    // Far in the tail the running probability underflows; restarting is exact and rare.
    let bound = n.min(110 + (n as f64 * p + 10.0 * (n as f64 * p * q).sqrt()) as u64);
    loop {
        let mut u = rng.unit();
        let mut x = 0u64;
        let mut px = p0;
        loop {
            if u < px {
                return x;
            }
            u -= px;
            x += 1;
            if x > bound {
                break;
            }
            px *= a / x as f64 - s;
        }
    }
}

/// BTPE for n·p ≥ 30 (p ≤ 1/2): a triangle, two parallelograms and two exponential tails
/// over the mode, accepted against the exact ratio f(y)/f(m).
fn btpe(rng: &mut Rng, n: u64, p: f64) -> u64 {
    let nf = n as f64;
    let q = 1.0 - p;
    let npq = nf * p * q;
    let fm = nf * p + p;
    let m = fm.floor();
    let p1 = (2.195 * npq.sqrt() - 4.6 * q).floor() + 0.5;
    let xm = m + 0.5;
    let xl = xm - p1;
    let xr = xm + p1;
    let c = 0.134 + 20.5 / (15.3 + m);
    let a = (fm - xl) / (fm - xl * p);
    let lambda_l = a * (1.0 + 0.5 * a);
    let a = (xr - fm) / (xr * q);
    let lambda_r = a * (1.0 + 0.5 * a);
    let p2 = p1 * (1.0 + 2.0 * c);
    let p3 = p2 + c / lambda_l;
    let p4 = p3 + c / lambda_r;
    let s = p / q;
    let a_ratio = (nf + 1.0) * s;
    loop {
        let u = rng.unit() * p4;
        let mut v = rng.unit();
        let y: f64;
        if u <= p1 {
            // The triangle: accepted outright.
            return (xm - p1 * v + u).floor() as u64;
        } else if u <= p2 {
            let x = xl + (u - p1) / c;
            v = v * c + 1.0 - (m - x + 0.5).abs() / p1;
            if v > 1.0 || v <= 0.0 {
                continue;
            }
            y = x.floor();
        } else if u <= p3 {
            if v <= 0.0 {
                continue;
            }
            y = (xl + v.ln() / lambda_l).floor();
            if y < 0.0 {
                continue;
            }
            v *= (u - p2) * lambda_l;
        } else {
            if v <= 0.0 {
                continue;
            }
            y = (xr - v.ln() / lambda_r).floor();
            if y > nf {
                continue;
            }
            v *= (u - p3) * lambda_r;
        }
        // f(y)/f(m) by its product form: exact.
        let mut ratio = 1.0;
        if m < y {
            let mut i = m + 1.0;
            while i <= y {
                ratio *= a_ratio / i - s;
                i += 1.0;
            }
        } else if m > y {
            let mut i = y + 1.0;
            while i <= m {
                ratio /= a_ratio / i - s;
                i += 1.0;
            }
        }
        if v <= ratio {
            return y as u64;
        }
    }
}

/// A draw from Multinomial(n, p) over the cells, by conditional binomials: the same
/// distribution as drawing n items one at a time.
pub fn multinomial(rng: &mut Rng, n: u64, weights: &[f64], out: &mut [u64]) {
    let mut left = n;
    let mut mass: f64 = weights.iter().sum();
    for (i, w) in weights.iter().enumerate() {
        if left == 0 || mass <= 0.0 {
            out[i] = 0;
            continue;
        }
        let k = if i + 1 == weights.len() {
            left
        } else {
            binomial(rng, left, (w / mass).clamp(0.0, 1.0))
        };
        out[i] = k;
        left -= k;
        mass -= w;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mean and variance of many draws against n·p and n·p·(1−p).
    fn moments(n: u64, p: f64, draws: usize) -> (f64, f64) {
        let mut rng = Rng::seeded(7);
        let xs: Vec<f64> = (0..draws)
            .map(|_| binomial(&mut rng, n, p) as f64)
            .collect();
        let mean = xs.iter().sum::<f64>() / draws as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (draws - 1) as f64;
        (mean, var)
    }

    #[test]
    fn moments_match_in_both_regimes() {
        for (n, p) in [
            (20, 0.3),
            (1000, 0.01),
            (1000, 0.3),
            (100_000, 0.25),
            (500, 0.9),
            (60, 0.5),
        ] {
            let (mean, var) = moments(n, p, 40_000);
            let (m, v) = (n as f64 * p, n as f64 * p * (1.0 - p));
            // 40k draws: the mean within 5 standard errors, the variance within 5 %.
            assert!(
                (mean - m).abs() < 5.0 * (v / 40_000.0).sqrt() + 1e-9,
                "{n} {p}: {mean} vs {m}"
            );
            assert!((var - v).abs() < 0.05 * v + 1e-9, "{n} {p}: {var} vs {v}");
        }
    }

    #[test]
    fn btpe_follows_the_exact_distribution() {
        // n·p = 40: BTPE. Compare the histogram with the exact probabilities (chi-square).
        let (n, p) = (100u64, 0.4);
        let mut rng = Rng::seeded(11);
        let draws = 200_000;
        let mut hist = vec![0u64; n as usize + 1];
        for _ in 0..draws {
            hist[binomial(&mut rng, n, p) as usize] += 1;
        }
        let ln_choose = |k: u64| -> f64 {
            (1..=n).map(|i| (i as f64).ln()).sum::<f64>()
                - (1..=k).map(|i| (i as f64).ln()).sum::<f64>()
                - (1..=n - k).map(|i| (i as f64).ln()).sum::<f64>()
        };
        let mut chi2 = 0.0;
        let mut bins = 0;
        for k in 20..=60u64 {
            let e = draws as f64
                * (ln_choose(k) + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()).exp();
            if e >= 20.0 {
                chi2 += (hist[k as usize] as f64 - e).powi(2) / e;
                bins += 1;
            }
        }
        // ~30 degrees of freedom: 99.99 % of chi-square values stay under 2.5 × df.
        assert!(chi2 < 2.5 * bins as f64, "chi2 {chi2} over {bins} bins");
    }

    #[test]
    fn multinomial_draws_sum_to_n_and_follow_the_weights() {
        let mut rng = Rng::seeded(3);
        let w = [50.0, 0.0, 30.0, 20.0];
        let mut out = [0u64; 4];
        let mut totals = [0u64; 4];
        for _ in 0..2000 {
            multinomial(&mut rng, 100, &w, &mut out);
            assert_eq!(out.iter().sum::<u64>(), 100);
            assert_eq!(out[1], 0);
            for (t, o) in totals.iter_mut().zip(out) {
                *t += o;
            }
        }
        assert!(
            (totals[0] as f64 / 200_000.0 - 0.5).abs() < 0.01,
            "{totals:?}"
        );
    }
}

//! R's axis arithmetic that `rms::nomogram` relies on: `pretty()`, `seq()`
//! with `length.out`, and `approx()` for the inverse of the probability axis.
//!
//! Hand-written ports rather than a crate: the nomogram must place ticks exactly
//! where rms does, and no Rust crate reproduces R's `R_pretty` (src/appl/pretty.c)
//! bit for bit.

/// `pretty(c(lo, hi), n)` with R's defaults (`min.n = n %/% 3`,
/// `shrink.sml = 0.75`, `high.u.bias = 1.5`, `u5.bias = 2.75`, `f.min = 2^-20`,
/// `eps.correct = 0`): about `n + 1` equally spaced round values covering
/// `[lo, hi]`. Port of R 4.2's `R_pretty` and `pretty.default`.
pub fn pretty(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    if !lo.is_finite() || !hi.is_finite() {
        return Vec::new();
    }
    let ndiv = n as i64;
    let min_n = ndiv / 3;
    let shrink_sml = 0.75;
    let h = 1.5;
    let h5 = 0.5 + 1.5 * h;
    let f_min = 2f64.powi(-20);
    const ROUNDING_EPS: f64 = 1e-10;

    let dx = hi - lo;
    let mut cell;
    let i_small;
    if dx == 0.0 && hi == 0.0 {
        cell = 1.0;
        i_small = true;
    } else {
        cell = lo.abs().max(hi.abs());
        let mut u = 1.0
            + if h5 >= 1.5 * h + 0.5 {
                1.0 / (1.0 + h)
            } else {
                1.5 / (1.0 + h5)
            };
        u *= (ndiv.max(1) as f64) * f64::EPSILON;
        i_small = dx < cell * u * 3.0;
    }
    if i_small {
        if cell > 10.0 {
            cell = 9.0 + cell / 10.0;
        }
        cell *= shrink_sml;
        if min_n > 1 {
            cell /= min_n as f64;
        }
    } else {
        cell = dx;
        if ndiv > 1 {
            cell /= ndiv as f64;
        }
    }
    let subsmall = f_min * f64::MIN_POSITIVE;
    if cell < subsmall {
        cell = subsmall;
    } else if cell > f64::MAX / 1.25 {
        cell = 0.1 * f64::MAX;
    }
    let base = 10f64.powf(cell.log10().floor());
    let mut unit = base;
    let ns2 = 2.0 * base;
    if ns2 - cell < h * (cell - unit) {
        unit = ns2;
        let ns5 = 5.0 * base;
        if ns5 - cell < h5 * (cell - unit) {
            unit = ns5;
            let ns10 = 10.0 * base;
            if ns10 - cell < h * (cell - unit) {
                unit = ns10;
            }
        }
    }
    let mut ns = (lo / unit + ROUNDING_EPS).floor();
    let mut nu = (hi / unit - ROUNDING_EPS).ceil();
    while ns * unit > lo + ROUNDING_EPS * unit {
        ns -= 1.0;
    }
    while nu * unit < hi - ROUNDING_EPS * unit {
        nu += 1.0;
    }
    let mut k = (0.5 + nu - ns) as i64;
    if k < min_n {
        k = min_n - k;
        if ns >= 0.0 {
            nu += (k / 2) as f64;
            ns -= (k / 2 + k % 2) as f64;
        } else {
            ns -= (k / 2) as f64;
            nu += (k / 2 + k % 2) as f64;
        }
        k = min_n;
    }
    let (l, u) = (ns * unit, nu * unit);
    let count = k.max(0) as usize;
    let mut s = seq_length(l, u, count + 1);
    if count > 0 {
        let delta = (u - l) / count as f64;
        for v in &mut s {
            if v.abs() < 1e-14 * delta {
                *v = 0.0;
            }
        }
    }
    s
}

/// `seq(from, to, length.out = n)` as R computes it: interior values
/// `from + i * ((to - from) / (n - 1))`, the last value exactly `to`.
pub fn seq_length(from: f64, to: f64, n: usize) -> Vec<f64> {
    match n {
        0 => Vec::new(),
        1 => vec![from],
        _ => {
            let by = (to - from) / (n - 1) as f64;
            let mut v: Vec<f64> = (0..n - 1).map(|i| from + i as f64 * by).collect();
            v.push(to);
            v
        }
    }
}

/// `approx(x, y, xout)$y` for increasing `x`: linear interpolation, `None`
/// outside `[x[0], x[last]]` (R's `rule = 1` gives NA there).
pub fn approx(x: &[f64], y: &[f64], xout: f64) -> Option<f64> {
    let n = x.len().min(y.len());
    if n == 0 || xout.is_nan() || xout < x[0] || xout > x[n - 1] {
        return None;
    }
    // R's approx1: bisection for the interval with x[i] <= v <= x[j].
    let (mut i, mut j) = (0usize, n - 1);
    while i + 1 < j {
        let ij = (i + j) / 2;
        if xout < x[ij] {
            j = ij;
        } else {
            i = ij;
        }
    }
    if xout == x[j] {
        return Some(y[j]);
    }
    if xout == x[i] {
        return Some(y[i]);
    }
    Some(y[i] + (y[j] - y[i]) * ((xout - x[i]) / (x[j] - x[i])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Case {
        lo: f64,
        hi: f64,
        n: usize,
        pretty: Vec<f64>,
    }

    /// Every case of tests/fixtures/pretty.json (R 4.2.2 `pretty`), to 1e-12.
    #[test]
    fn pretty_matches_r() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/pretty.json"
        ))
        .expect("fixture tests/fixtures/pretty.json (made by tests/oracle/make_pretty.R)");
        let cases: Vec<Case> = serde_json::from_str(&text).expect("valid fixture");
        assert!(cases.len() >= 20);
        for c in cases {
            let got = pretty(c.lo, c.hi, c.n);
            assert_eq!(
                got.len(),
                c.pretty.len(),
                "pretty({}, {}, {}) = {got:?}, R {:?}",
                c.lo,
                c.hi,
                c.n,
                c.pretty
            );
            for (g, r) in got.iter().zip(&c.pretty) {
                assert!(
                    (g - r).abs() <= 1e-12 * r.abs().max(1.0),
                    "pretty({}, {}): {g} vs R {r}",
                    c.lo,
                    c.hi
                );
            }
        }
    }

    #[test]
    fn seq_length_ends_exactly() {
        let s = seq_length(-5.0, 3.0, 1000);
        assert_eq!(s.len(), 1000);
        assert_eq!(s[0], -5.0);
        assert_eq!(s[999], 3.0);
        assert!((s[1] - (-5.0 + 8.0 / 999.0)).abs() < 1e-15);
    }

    #[test]
    fn approx_interpolates_and_rejects_outside() {
        let x = [0.0, 1.0, 3.0];
        let y = [10.0, 20.0, 40.0];
        assert_eq!(approx(&x, &y, 2.0), Some(30.0));
        assert_eq!(approx(&x, &y, 0.0), Some(10.0));
        assert_eq!(approx(&x, &y, 3.0), Some(40.0));
        assert_eq!(approx(&x, &y, 3.5), None);
        assert_eq!(approx(&x, &y, -0.1), None);
        assert_eq!(approx(&x, &y, f64::NAN), None);
    }
}

//! Number formats as the paper prints them (Liu et al. 2024, Tables 1–3).
//! Rounding is half away from zero on the decimal value (0.8855 → 0.886).

/// Escapes text for HTML content and attributes (dlrn-nomogram's escaper,
/// shared so the calculator and the index page escape alike).
pub use dlrn_nomogram::escape_html as escape;

/// Rounds `v` to `decimals` places, half away from zero, and prints exactly
/// that many decimals. Values within 1e-9 of a half are rounded from the
/// correctly rounded decimal string, so 0.8865 (stored as 0.88649999…) → 0.887.
pub fn fixed(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "NA".into()
        } else if v > 0.0 {
            "Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let f = 10f64.powi(decimals as i32);
    // Shortest round-trip decimal first, so binary noise does not decide ties.
    let shortest: f64 = format!("{v}").parse().unwrap_or(v);
    let scaled = shortest * f;
    let r = if (scaled - scaled.trunc()).abs() > 0.5 - 1e-9
        && (scaled - scaled.trunc()).abs() < 0.5 + 1e-9
    {
        scaled.trunc() + scaled.signum()
    } else {
        scaled.round()
    };
    let out = format!("{:.*}", decimals, r / f);
    if out.starts_with('-') && out[1..].chars().all(|c| c == '0' || c == '.') {
        out[1..].to_string()
    } else {
        out
    }
}

/// `0.886 (0.815–0.958)`: an AUC with its CI, 3 decimals, en dash.
pub fn auc_ci(auc: f64, lo: f64, hi: f64) -> String {
    format!("{} ({}–{})", fixed(auc, 3), fixed(lo, 3), fixed(hi, 3))
}

/// `87 (79–92)`: a proportion and its CI as whole percentages.
pub fn percent_ci(value: f64, lo: f64, hi: f64) -> String {
    if value.is_nan() {
        return "NA".into();
    }
    format!(
        "{} ({}–{})",
        fixed(100.0 * value, 0),
        fixed(100.0 * lo, 0),
        fixed(100.0 * hi, 0)
    )
}

/// A P value as the paper prints it: `<0.001` below 0.001, else 3 decimals.
pub fn p_value(p: f64) -> String {
    if p.is_nan() {
        "NA".into()
    } else if p < 0.001 {
        "<0.001".into()
    } else {
        fixed(p, 3)
    }
}

/// `54.50±11.51`: mean ± sd, 2 decimals (Table 1).
pub fn mean_sd(mean: f64, sd: f64) -> String {
    format!("{}±{}", fixed(mean, 2), fixed(sd, 2))
}

/// `172 (27.7)`: a count with its percentage, 1 decimal (Table 1).
pub fn count_percent(n: u64, percent: f64) -> String {
    format!("{n} ({})", fixed(percent, 1))
}

/// An odds ratio with its CI, 4 decimals as Table 3: `1.4638 (1.2499–1.7194)`.
pub fn or_ci(or: f64, lo: f64, hi: f64) -> String {
    format!("{} ({}–{})", fixed(or, 4), fixed(lo, 4), fixed(hi, 4))
}

/// `digits` significant digits in plain notation (`-261.1`, `0.1187`), or in
/// R's scientific notation below 1e-4 or from 1e7 on (`-7.536e-14`), where
/// plain digits would be a row of zeros.
pub fn significant(v: f64, digits: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return fixed(v, 0);
    }
    if !(1e-4..1e7).contains(&v.abs()) {
        let s = format!("{v:.*e}", (digits - 1).max(0) as usize);
        return match s.split_once('e') {
            Some((mantissa, exp)) => {
                let e: i32 = exp.parse().unwrap_or(0);
                format!("{mantissa}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
            }
            None => s,
        };
    }
    let decimals = (digits - 1 - v.abs().log10().floor() as i32).max(0);
    fixed(v, decimals as usize)
}

/// Full precision for CSV: the shortest decimal that reads back to the same
/// double; empty for `None`.
pub fn full(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_nan() => "NA".into(),
        Some(x) => format!("{x}"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_proportion_prints_na() {
        assert_eq!(percent_ci(f64::NAN, f64::NAN, f64::NAN), "NA");
        assert_eq!(percent_ci(0.87, 0.79, 0.92), "87 (79–92)");
    }

    #[test]
    fn fixed_rounds_half_away_from_zero() {
        assert_eq!(fixed(0.8855, 3), "0.886");
        assert_eq!(fixed(0.8865, 3), "0.887");
        assert_eq!(fixed(-0.0184, 4), "-0.0184");
        assert_eq!(fixed(86.5, 0), "87");
        assert_eq!(fixed(-0.0001, 3), "0.000");
        assert_eq!(fixed(100.0, 0), "100");
        assert_eq!(fixed(f64::NAN, 3), "NA");
    }

    #[test]
    fn paper_styles() {
        assert_eq!(auc_ci(0.9143, 0.8577, 0.9709), "0.914 (0.858–0.971)");
        assert_eq!(percent_ci(0.53333, 0.3787, 0.6834), "53 (38–68)");
        assert_eq!(p_value(0.0004), "<0.001");
        assert_eq!(p_value(0.0021), "0.002");
        assert_eq!(mean_sd(54.5, 11.51), "54.50±11.51");
        assert_eq!(count_percent(172, 27.697), "172 (27.7)");
        assert_eq!(or_ci(1.46381, 1.24994, 1.71941), "1.4638 (1.2499–1.7194)");
        assert_eq!(full(Some(0.1 + 0.2)), "0.30000000000000004");
        assert_eq!(full(None), "");
        assert_eq!(significant(-261.052888243926, 4), "-261.1");
        assert_eq!(significant(0.118704643234093, 4), "0.1187");
        assert_eq!(significant(-0.000440843877, 4), "-0.0004408");
        // R: format(-7.53612e-14, digits = 4) and format(12345678, digits = 4).
        assert_eq!(significant(-7.53612e-14, 4), "-7.536e-14");
        assert_eq!(significant(12345678.0, 4), "1.235e+07");
    }
}

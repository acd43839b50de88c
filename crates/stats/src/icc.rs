//! Intraclass correlation (Shrout & Fleiss 1979; McGraw & Wong 1996) from a
//! subjects × raters matrix, = `psych::ICC(x, lmer = FALSE)`.

use serde::{Deserialize, Serialize};

use crate::check;
use crate::dist::{pf_upper, qf};
use crate::error::{Result, StatsError};

/// The six Shrout–Fleiss forms, named as psych prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IccForm {
    /// One-way random, single rater.
    #[serde(rename = "ICC1")]
    Icc1,
    /// Two-way random, absolute agreement, single rater.
    #[serde(rename = "ICC2")]
    Icc2,
    /// Two-way mixed, consistency, single rater.
    #[serde(rename = "ICC3")]
    Icc3,
    /// One-way random, mean of k raters.
    #[serde(rename = "ICC1k")]
    Icc1k,
    /// Two-way random, absolute agreement, mean of k raters.
    #[serde(rename = "ICC2k")]
    Icc2k,
    /// Two-way mixed, consistency, mean of k raters.
    #[serde(rename = "ICC3k")]
    Icc3k,
}

impl IccForm {
    /// All six, in psych's row order.
    pub const ALL: [IccForm; 6] = [
        IccForm::Icc1,
        IccForm::Icc2,
        IccForm::Icc3,
        IccForm::Icc1k,
        IccForm::Icc2k,
        IccForm::Icc3k,
    ];

    /// psych's name of the form (`ICC1`, …, `ICC3k`).
    pub fn name(self) -> &'static str {
        match self {
            IccForm::Icc1 => "ICC1",
            IccForm::Icc2 => "ICC2",
            IccForm::Icc3 => "ICC3",
            IccForm::Icc1k => "ICC1k",
            IccForm::Icc2k => "ICC2k",
            IccForm::Icc3k => "ICC3k",
        }
    }
}

/// One row of psych's ICC table.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct IccRow {
    /// Which ICC.
    pub form: IccForm,
    /// The coefficient.
    pub icc: f64,
    /// F statistic of H0: ICC = 0.
    pub f: f64,
    /// Numerator df.
    pub df1: f64,
    /// Denominator df.
    pub df2: f64,
    /// Upper-tail p-value of F.
    pub p_value: f64,
    /// Lower confidence bound.
    pub ci_low: f64,
    /// Upper confidence bound.
    pub ci_high: f64,
}

/// All six ICCs with the ANOVA mean squares.
#[derive(Debug, Clone, Serialize)]
pub struct IccTable {
    /// Subjects (rows).
    pub n_subjects: usize,
    /// Raters (columns).
    pub n_raters: usize,
    /// Between-subjects mean square.
    pub msb: f64,
    /// Between-raters (judges) mean square.
    pub msj: f64,
    /// Residual mean square.
    pub mse: f64,
    /// Within-subjects mean square (raters + residual).
    pub msw: f64,
    /// ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k.
    pub rows: Vec<IccRow>,
}

impl IccTable {
    /// The row of one form.
    pub fn get(&self, form: IccForm) -> &IccRow {
        &self.rows[IccForm::ALL.iter().position(|f| *f == form).unwrap_or(0)]
    }
}

/// Shrout–Fleiss ICCs of a subjects × raters matrix given as one slice per
/// rater (`raters[j][i]` = rater j's value for subject i), = `psych::ICC(x,
/// lmer = FALSE, alpha = 1 − level)`: two-way ANOVA mean squares, F tests and
/// psych's F-based confidence limits (ICC2 with the Satterthwaite-type df of
/// McGraw & Wong). A feature constant over every subject and rater gives NaN
/// (0/0), which no threshold keeps.
pub fn icc(raters: &[&[f64]], level: f64) -> Result<IccTable> {
    check::level(level)?;
    let k = raters.len();
    if k < 2 {
        return Err(StatsError::BadShape {
            what: "ICC".into(),
            detail: format!("needs at least 2 raters (columns), found {k}"),
        });
    }
    let n = raters[0].len();
    for (j, r) in raters.iter().enumerate() {
        check::same_len("rater 1", n, &format!("rater {}", j + 1), r.len())?;
        check::finite(&format!("rater {}", j + 1), r)?;
    }
    if n < 2 {
        return Err(StatsError::TooFew {
            what: "ICC subjects".into(),
            needed: 2,
            found: n,
        });
    }
    let (nf, kf) = (n as f64, k as f64);
    let grand = raters.iter().flat_map(|r| r.iter()).sum::<f64>() / (nf * kf);
    let row_means: Vec<f64> = (0..n)
        .map(|i| raters.iter().map(|r| r[i]).sum::<f64>() / kf)
        .collect();
    let col_means: Vec<f64> = raters.iter().map(|r| r.iter().sum::<f64>() / nf).collect();
    let ssb = kf * row_means.iter().map(|m| (m - grand).powi(2)).sum::<f64>();
    let ssj = nf * col_means.iter().map(|m| (m - grand).powi(2)).sum::<f64>();
    let mut sse = 0.0;
    for (j, r) in raters.iter().enumerate() {
        for i in 0..n {
            sse += (r[i] - row_means[i] - col_means[j] + grand).powi(2);
        }
    }
    let msb = ssb / (nf - 1.0);
    let msj = ssj / (kf - 1.0);
    let mse = sse / ((nf - 1.0) * (kf - 1.0));
    let msw = (ssj + sse) / (nf * (kf - 1.0));

    let icc1 = (msb - msw) / (msb + (kf - 1.0) * msw);
    let icc2 = (msb - mse) / (msb + (kf - 1.0) * mse + kf * (msj - mse) / nf);
    let icc3 = (msb - mse) / (msb + (kf - 1.0) * mse);
    let icc1k = (msb - msw) / msb;
    let icc2k = (msb - mse) / (msb + (msj - mse) / nf);
    let icc3k = (msb - mse) / msb;

    let f11 = msb / msw;
    let (df11n, df11d) = (nf - 1.0, nf * (kf - 1.0));
    let p11 = pf_upper(f11, df11n, df11d);
    let f21 = msb / mse;
    let (df21n, df21d) = (nf - 1.0, (nf - 1.0) * (kf - 1.0));
    let p21 = pf_upper(f21, df21n, df21d);
    let alpha = 1.0 - level;
    let q = 1.0 - alpha / 2.0;

    let f1l = f11 / qf(q, df11n, df11d);
    let f1u = f11 * qf(q, df11d, df11n);
    let l1 = (f1l - 1.0) / (f1l + (kf - 1.0));
    let u1 = (f1u - 1.0) / (f1u + kf - 1.0);
    let f3l = f21 / qf(q, df21n, df21d);
    let f3u = f21 * qf(q, df21d, df21n);
    let l3c = (f3l - 1.0) / (f3l + kf - 1.0);
    let u3c = (f3u - 1.0) / (f3u + kf - 1.0);

    let fj = msj / mse;
    let vn = (kf - 1.0)
        * (nf - 1.0)
        * (kf * icc2 * fj + nf * (1.0 + (kf - 1.0) * icc2) - kf * icc2).powi(2);
    let vd = (nf - 1.0) * kf * kf * icc2 * icc2 * fj * fj
        + (nf * (1.0 + (kf - 1.0) * icc2) - kf * icc2).powi(2);
    let v = vn / vd;
    let f2u = qf(q, nf - 1.0, v);
    let f2l = qf(q, v, nf - 1.0);
    let l2 = nf * (msb - f2u * mse) / (f2u * (kf * msj + (kf * nf - kf - nf) * mse) + nf * msb);
    let u2 = nf * (f2l * msb - mse) / (kf * msj + (kf * nf - kf - nf) * mse + nf * f2l * msb);
    let l2k = l2 * kf / (1.0 + l2 * (kf - 1.0));
    let u2k = u2 * kf / (1.0 + u2 * (kf - 1.0));

    let row = |form, icc, f, df1, df2, p_value, ci_low, ci_high| IccRow {
        form,
        icc,
        f,
        df1,
        df2,
        p_value,
        ci_low,
        ci_high,
    };
    let rows = vec![
        row(IccForm::Icc1, icc1, f11, df11n, df11d, p11, l1, u1),
        row(IccForm::Icc2, icc2, f21, df21n, df21d, p21, l2, u2),
        row(IccForm::Icc3, icc3, f21, df21n, df21d, p21, l3c, u3c),
        row(
            IccForm::Icc1k,
            icc1k,
            f11,
            df11n,
            df11d,
            p11,
            1.0 - 1.0 / f1l,
            1.0 - 1.0 / f1u,
        ),
        row(IccForm::Icc2k, icc2k, f21, df21n, df21d, p21, l2k, u2k),
        row(
            IccForm::Icc3k,
            icc3k,
            f21,
            df21n,
            df21d,
            p21,
            1.0 - 1.0 / f3l,
            1.0 - 1.0 / f3u,
        ),
    ];
    Ok(IccTable {
        n_subjects: n,
        n_raters: k,
        msb,
        msj,
        mse,
        msw,
        rows,
    })
}

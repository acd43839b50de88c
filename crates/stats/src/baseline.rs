//! The baseline table's (Table 1) group comparisons: which test each
//! variable gets, by one stated rule, and the k-group tests it may need
//! (Welch's one-way ANOVA, Kruskal–Wallis).
//!
//! The rule (printed as the table's footnote by [`BASELINE_RULE`]):
//! - continuous: Shapiro–Wilk (`shapiro.test`) in every group; if every group
//!   has p > 0.05 the means are compared (two groups: Welch's t-test,
//!   `t.test(x, y)`; more: Welch's one-way ANOVA, `oneway.test(var.equal =
//!   FALSE)`), otherwise the distributions (two groups: Mann–Whitney,
//!   `wilcox.test(x, y)`; more: Kruskal–Wallis, `kruskal.test`). A group
//!   Shapiro–Wilk cannot check (fewer than 3 or more than 5000 values, or all
//!   equal) counts as not normal.
//! - categorical: levels absent from every group are dropped; Pearson's χ²
//!   (`chisq.test(x)`, Yates' correction for 2 × 2 as R's default) unless an
//!   expected count is below 5, then Fisher's exact test (`fisher.test(x)`,
//!   r × c where needed). A table too large for the exact network falls back
//!   to χ², with a note saying so.

use serde::Serialize;

use crate::check;
use crate::dist::{pchisq_upper, pf_upper};
use crate::error::{Result, StatsError};
use crate::fisher::fisher_exact_rxc;
use crate::hypothesis::{chi_square, mann_whitney, t_test};
use crate::ranks::{RankSums, rank_sums};
use crate::shapiro::shapiro_wilk;

/// The rule [`compare_continuous`] and [`compare_categorical`] apply, in one
/// sentence for a table footnote.
pub const BASELINE_RULE: &str = "Continuous variables: Welch's t-test (two groups) or Welch's one-way ANOVA (more) when the Shapiro–Wilk test gives P > 0.05 in every group, otherwise the Mann–Whitney U test or the Kruskal–Wallis test. Categorical variables: Pearson's χ² test (Yates-corrected for 2 × 2 tables), or Fisher's exact test when any expected count is below 5.";

/// Significance level of the Shapiro–Wilk screen.
pub const NORMALITY_ALPHA: f64 = 0.05;

/// Smallest expected count for which χ² is used.
pub const MIN_EXPECTED: f64 = 5.0;

/// Which test a comparison used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineTest {
    /// Welch's two-sample t-test (`t.test`).
    WelchT,
    /// Welch's one-way ANOVA (`oneway.test(var.equal = FALSE)`).
    WelchAnova,
    /// Mann–Whitney U / Wilcoxon rank-sum (`wilcox.test`).
    MannWhitney,
    /// Kruskal–Wallis rank-sum test (`kruskal.test`).
    KruskalWallis,
    /// Pearson's χ² test (`chisq.test`).
    ChiSquare,
    /// Fisher's exact test (`fisher.test`).
    FisherExact,
}

impl BaselineTest {
    /// The test's name as a footnote prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineTest::WelchT => "Welch's t-test",
            BaselineTest::WelchAnova => "Welch's ANOVA",
            BaselineTest::MannWhitney => "Mann–Whitney U test",
            BaselineTest::KruskalWallis => "Kruskal–Wallis test",
            BaselineTest::ChiSquare => "χ² test",
            BaselineTest::FisherExact => "Fisher's exact test",
        }
    }
}

/// One baseline comparison: the test the rule chose, its P and why.
#[derive(Debug, Clone, Serialize)]
pub struct BaselineComparison {
    /// The test used.
    pub test: BaselineTest,
    /// Its two-sided P.
    pub p_value: f64,
    /// Why this test, in words (the Shapiro–Wilk P per group, or the smallest expected count).
    pub reason: String,
    /// Anything a reader of the table must know (dropped empty levels, a fallback).
    pub note: Option<String>,
}

/// Welch's one-way ANOVA result.
#[derive(Debug, Clone, Serialize)]
pub struct WelchAnova {
    /// F statistic.
    pub f: f64,
    /// Numerator degrees of freedom (k − 1).
    pub df1: f64,
    /// Denominator degrees of freedom (Welch's approximation).
    pub df2: f64,
    /// Upper-tail P.
    pub p_value: f64,
}

/// Welch's one-way ANOVA of k ≥ 2 groups, = `oneway.test(y ~ g, var.equal =
/// FALSE)` (Welch 1951). Each group needs two values and a non-zero variance.
pub fn welch_anova(groups: &[&[f64]]) -> Result<WelchAnova> {
    if groups.len() < 2 {
        return Err(StatsError::TooFew {
            what: "Welch's ANOVA groups".into(),
            needed: 2,
            found: groups.len(),
        });
    }
    let mut w = Vec::with_capacity(groups.len());
    let mut m = Vec::with_capacity(groups.len());
    let mut nm1 = Vec::with_capacity(groups.len());
    for (g, v) in groups.iter().enumerate() {
        check::finite(&format!("group {}", g + 1), v)?;
        if v.len() < 2 {
            return Err(StatsError::TooFew {
                what: format!("Welch's ANOVA group {}", g + 1),
                needed: 2,
                found: v.len(),
            });
        }
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        if var <= 0.0 {
            return Err(StatsError::BadShape {
                what: "Welch's ANOVA".into(),
                detail: format!("group {} has zero variance", g + 1),
            });
        }
        w.push(n / var);
        m.push(mean);
        nm1.push(n - 1.0);
    }
    let k = groups.len() as f64;
    let sw: f64 = w.iter().sum();
    let grand = w.iter().zip(&m).map(|(wi, mi)| wi * mi).sum::<f64>() / sw;
    let tmp = w
        .iter()
        .zip(&nm1)
        .map(|(wi, d)| (1.0 - wi / sw).powi(2) / d)
        .sum::<f64>()
        / (k * k - 1.0);
    let f = w
        .iter()
        .zip(&m)
        .map(|(wi, mi)| wi * (mi - grand).powi(2))
        .sum::<f64>()
        / ((k - 1.0) * (1.0 + 2.0 * (k - 2.0) * tmp));
    let df2 = 1.0 / (3.0 * tmp);
    Ok(WelchAnova {
        f,
        df1: k - 1.0,
        df2,
        p_value: pf_upper(f, k - 1.0, df2),
    })
}

/// Kruskal–Wallis test result.
#[derive(Debug, Clone, Serialize)]
pub struct KruskalWallis {
    /// Tie-corrected H statistic.
    pub h: f64,
    /// Degrees of freedom (k − 1).
    pub df: f64,
    /// Upper-tail χ² P.
    pub p_value: f64,
}

/// Kruskal–Wallis rank-sum test of k ≥ 2 groups, = `kruskal.test(list(...))`:
/// midranks, H divided by the tie correction 1 − Σ(t³ − t)/(N³ − N), χ²
/// with k − 1 df. Empty groups are an error, as are all-equal values.
pub fn kruskal_wallis(groups: &[&[f64]]) -> Result<KruskalWallis> {
    if groups.len() < 2 {
        return Err(StatsError::TooFew {
            what: "Kruskal–Wallis groups".into(),
            needed: 2,
            found: groups.len(),
        });
    }
    let mut all: Vec<(f64, usize)> = Vec::new();
    for (g, v) in groups.iter().enumerate() {
        check::finite(&format!("group {}", g + 1), v)?;
        if v.is_empty() {
            return Err(StatsError::TooFew {
                what: format!("Kruskal–Wallis group {}", g + 1),
                needed: 1,
                found: 0,
            });
        }
        all.extend(v.iter().map(|&x| (x, g)));
    }
    let n = all.len() as f64;
    let RankSums {
        sums: rank_sum,
        tie_term: ties,
    } = rank_sums(all, groups.len());
    let correction = 1.0 - ties / (n * n * n - n);
    if correction <= 0.0 {
        return Err(StatsError::BadShape {
            what: "Kruskal–Wallis test".into(),
            detail: "all values are equal".into(),
        });
    }
    let s: f64 = rank_sum
        .iter()
        .zip(groups)
        .map(|(r, g)| r * r / g.len() as f64)
        .sum();
    let h = (12.0 * s / (n * (n + 1.0)) - 3.0 * (n + 1.0)) / correction;
    let df = (groups.len() - 1) as f64;
    Ok(KruskalWallis {
        h,
        df,
        p_value: pchisq_upper(h, df),
    })
}

/// Compares a continuous variable across k ≥ 2 groups by [`BASELINE_RULE`]:
/// Welch's t (k = 2) / Welch's ANOVA when every group passes Shapiro–Wilk
/// (P > [`NORMALITY_ALPHA`]), else Mann–Whitney (k = 2) / Kruskal–Wallis.
/// Each group needs at least one value (two for the mean tests).
pub fn compare_continuous(groups: &[&[f64]]) -> Result<BaselineComparison> {
    if groups.len() < 2 {
        return Err(StatsError::TooFew {
            what: "groups to compare".into(),
            needed: 2,
            found: groups.len(),
        });
    }
    let mut normal = true;
    let mut parts = Vec::with_capacity(groups.len());
    for (g, v) in groups.iter().enumerate() {
        check::finite(&format!("group {}", g + 1), v)?;
        match shapiro_wilk(v) {
            Ok(s) => {
                normal &= s.p_value > NORMALITY_ALPHA;
                parts.push(format!("group {}: {:.3}", g + 1, s.p_value));
            }
            Err(_) => {
                normal = false;
                parts.push(format!("group {}: not testable (n = {})", g + 1, v.len()));
            }
        }
    }
    let reason = format!("Shapiro–Wilk P {}", parts.join(", "));
    let (test, p_value) = match (normal, groups.len()) {
        (true, 2) => (
            BaselineTest::WelchT,
            t_test(groups[0], groups[1], false)?.p_value,
        ),
        (true, _) => (BaselineTest::WelchAnova, welch_anova(groups)?.p_value),
        (false, 2) => (
            BaselineTest::MannWhitney,
            mann_whitney(groups[0], groups[1])?.p_value,
        ),
        (false, _) => (BaselineTest::KruskalWallis, kruskal_wallis(groups)?.p_value),
    };
    Ok(BaselineComparison {
        test,
        p_value,
        reason,
        note: None,
    })
}

/// Compares a categorical variable across groups by [`BASELINE_RULE`]:
/// `table[level][group]` counts; levels absent from every group are dropped
/// (noted); χ² when every expected count is ≥ [`MIN_EXPECTED`], else Fisher's
/// exact test (r × c), falling back to χ² (noted) when the table is too large
/// for the exact network. An empty group, or fewer than two levels left, is
/// an error naming it.
pub fn compare_categorical(table: &[Vec<u64>], level_names: &[&str]) -> Result<BaselineComparison> {
    let groups = table.first().map_or(0, Vec::len);
    if table.iter().any(|r| r.len() != groups) || groups < 2 {
        return Err(StatsError::BadShape {
            what: "categorical comparison".into(),
            detail: format!(
                "needs a rectangular levels × groups table with at least 2 groups, found {groups} groups"
            ),
        });
    }
    check::same_len("table rows", table.len(), "level names", level_names.len())?;
    for g in 0..groups {
        if table.iter().all(|r| r[g] == 0) {
            return Err(StatsError::BadShape {
                what: "categorical comparison".into(),
                detail: format!("group {} has no patients with a value", g + 1),
            });
        }
    }
    let dropped: Vec<&str> = table
        .iter()
        .zip(level_names)
        .filter(|(r, _)| r.iter().all(|&v| v == 0))
        .map(|(_, n)| *n)
        .collect();
    let kept: Vec<Vec<u64>> = table
        .iter()
        .filter(|r| r.iter().any(|&v| v > 0))
        .cloned()
        .collect();
    if kept.len() < 2 {
        return Err(StatsError::BadShape {
            what: "categorical comparison".into(),
            detail: "fewer than two levels are present: nothing to compare".into(),
        });
    }
    let mut notes = Vec::new();
    if !dropped.is_empty() {
        notes.push(format!(
            "level(s) {} absent from every group, left out",
            dropped.join(", ")
        ));
    }
    let as_f: Vec<Vec<f64>> = kept
        .iter()
        .map(|r| r.iter().map(|&v| v as f64).collect())
        .collect();
    let chi = chi_square(&as_f, true)?;
    let min_expected = chi
        .expected
        .iter()
        .flatten()
        .copied()
        .fold(f64::INFINITY, f64::min);
    let reason = format!("smallest expected count {min_expected:.2}");
    let (test, p_value) = if min_expected >= MIN_EXPECTED {
        (BaselineTest::ChiSquare, chi.p_value)
    } else {
        match fisher_exact_rxc(&kept) {
            Ok(f) => (BaselineTest::FisherExact, f.p_value),
            Err(e) => {
                notes.push(format!("Fisher's exact test not computed ({e}); χ² shown"));
                (BaselineTest::ChiSquare, chi.p_value)
            }
        }
    };
    Ok(BaselineComparison {
        test,
        p_value,
        reason,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_expected_counts_switch_to_fisher_and_empty_levels_are_noted() {
        let t = vec![vec![6, 1], vec![0, 0], vec![2, 5]];
        let c = compare_categorical(&t, &["a", "b", "c"]).unwrap();
        assert_eq!(c.test, BaselineTest::FisherExact);
        assert!(
            c.note.as_deref().unwrap_or("").contains("b absent"),
            "{c:?}"
        );
        let big = vec![vec![40, 30], vec![35, 45]];
        assert_eq!(
            compare_categorical(&big, &["x", "y"]).unwrap().test,
            BaselineTest::ChiSquare
        );
    }

    #[test]
    fn an_empty_group_or_one_level_is_an_error() {
        assert!(compare_categorical(&[vec![3, 0], vec![4, 0]], &["a", "b"]).is_err());
        assert!(compare_categorical(&[vec![3, 5], vec![0, 0]], &["a", "b"]).is_err());
    }

    #[test]
    fn tiny_or_empty_groups() {
        // Two values cannot be checked for normality: ranks are used.
        let c = compare_continuous(&[&[1.0, 2.0], &[3.0, 4.0, 5.5, 7.0]]).unwrap();
        assert_eq!(c.test, BaselineTest::MannWhitney);
        assert!(c.reason.contains("not testable (n = 2)"), "{}", c.reason);
        // An empty group or a single group is an error, not a NaN.
        assert!(compare_continuous(&[&[1.0, 2.0, 3.0], &[]]).is_err());
        assert!(compare_continuous(&[&[1.0, 2.0, 3.0]]).is_err());
        assert!(kruskal_wallis(&[&[1.0, 1.0], &[1.0, 1.0]]).is_err());
        assert!(welch_anova(&[&[1.0, 1.0], &[2.0, 3.0]]).is_err());
        // Every patient in one level (one class): nothing to compare.
        assert!(compare_categorical(&[vec![0, 0], vec![7, 9]], &["a", "b"]).is_err());
    }

    #[test]
    fn skewed_groups_use_ranks() {
        let x: Vec<f64> = (1..=30).map(|i| (i as f64 / 3.0).exp()).collect();
        let y: Vec<f64> = (1..=30).map(|i| (i as f64 / 2.9).exp()).collect();
        let c = compare_continuous(&[&x, &y]).unwrap();
        assert_eq!(c.test, BaselineTest::MannWhitney);
        let z: Vec<f64> = (1..=30).map(|i| (i as f64 / 2.8).exp()).collect();
        assert_eq!(
            compare_continuous(&[&x, &y, &z]).unwrap().test,
            BaselineTest::KruskalWallis
        );
    }
}

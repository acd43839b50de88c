//! Fisher's exact test of an r × c contingency table, = `fisher.test(x)` (R's
//! FEXACT network algorithm, Mehta & Patel 1983), by a network over the
//! columns whose nodes are the multisets of remaining row totals.
//!
//! The probability of a table with margins r, c and total N is
//! `Π rᵢ! Π cⱼ! / (N! Π xᵢⱼ!)`; the two-sided p-value sums the probabilities
//! of every table no more likely than the observed one, with R's relative
//! tolerance: `P(table) ≤ P(observed) · (1 + 1e-7)`.
//!
//! Each node (columns already filled, sorted remaining row totals) carries
//! the distinct "past" values `Σ −ln xᵢⱼ!` of the paths that reach it, merged
//! when equal (to 1e-9 in the log). A past value is resolved at once when even
//! the most probable completion is below the threshold (every completion
//! counts, and their total is `N'!/(Π r'ᵢ! Π c'ⱼ!)` in closed form) or when even
//! the least probable one is above it (none counts); bounds on both come from
//! relaxing the row or the column constraints. The table is transposed so
//! that the smaller dimension forms the node key.

use std::collections::HashMap;

use statrs::function::gamma::ln_gamma;

use crate::error::{Result, StatsError};
use crate::hypothesis::FisherExact;

/// Largest number of (node, past value) pairs expanded before
/// [`fisher_exact_rxc`] gives up with an error (R's FEXACT fails the same way
/// with "LDSTP is too small" and suggests `simulate.p.value = TRUE`).
pub const FISHER_MAX_EXPANSIONS: usize = 2_000_000;

/// Largest number of distinct (node, past value) pairs held at once before
/// [`fisher_exact_rxc`] gives up (bounds its memory to a few hundred MB).
pub const FISHER_MAX_ENTRIES: usize = 4_000_000;

/// Largest table total [`fisher_exact_rxc`] takes (its log-factorial table
/// has one entry per patient).
pub const FISHER_MAX_TOTAL: u64 = 10_000_000;

/// Relative tolerance R applies when comparing table probabilities (`1 + 1e-7`).
const RELATIVE_TOLERANCE: f64 = 1e-7;

/// Past values closer than this (in the log) are merged into one.
const MERGE_LOG: f64 = 1e-9;

fn ln_fact(n: u64) -> f64 {
    ln_gamma(n as f64 + 1.0)
}

/// Precomputed `ln k!` for k = 0..=n.
struct LnFact(Vec<f64>);

impl LnFact {
    fn new(n: u64) -> Self {
        LnFact((0..=n).map(ln_fact).collect())
    }
    fn get(&self, k: u64) -> f64 {
        self.0[k as usize]
    }
}

/// `ln Σ_tables Π 1/xᵢⱼ!` over every table with these margins: `ln(N!/(Π rᵢ! Π cⱼ!))`.
fn ln_total(lf: &LnFact, rows: &[u64], cols: &[u64]) -> f64 {
    let n: u64 = rows.iter().sum();
    lf.get(n)
        - rows.iter().map(|&r| lf.get(r)).sum::<f64>()
        - cols.iter().map(|&c| lf.get(c)).sum::<f64>()
}

/// Upper bound of `max Σ −ln xᵢⱼ!` over tables with these margins: each line
/// (column, or row) spread as evenly as its caps allow, ignoring the other
/// margin; the smaller of the two relaxations.
fn upper_most_probable(lf: &LnFact, rows: &[u64], cols: &[u64]) -> f64 {
    fn even_spread(lf: &LnFact, total: u64, caps: &[u64]) -> f64 {
        // Water-filling: the most even split of `total` under `caps`
        // maximises Σ −ln x! (ln x! is convex).
        let mut caps: Vec<u64> = caps.to_vec();
        caps.sort_unstable();
        let mut left = total;
        let mut k = caps.len() as u64;
        let mut value = 0.0;
        for &cap in &caps {
            let share = left / k;
            if cap <= share {
                value -= lf.get(cap);
                left -= cap;
            } else {
                // All remaining cells have caps ≥ share: split evenly.
                let extra = left % k;
                value -= (k - extra) as f64 * lf.get(share) + extra as f64 * lf.get(share + 1);
                return value;
            }
            k -= 1;
        }
        value
    }
    let by_cols: f64 = cols.iter().map(|&c| even_spread(lf, c, rows)).sum();
    let by_rows: f64 = rows.iter().map(|&r| even_spread(lf, r, cols)).sum();
    by_cols.min(by_rows)
}

/// Lower bound of `min Σ −ln xᵢⱼ!`: each line concentrated greedily into its
/// largest caps (Σ ln x! is convex, so the maximum is at a vertex), ignoring
/// the other margin; the larger of the two relaxations.
fn lower_least_probable(lf: &LnFact, rows: &[u64], cols: &[u64]) -> f64 {
    fn concentrate(lf: &LnFact, total: u64, caps: &[u64]) -> f64 {
        let mut caps: Vec<u64> = caps.to_vec();
        caps.sort_unstable_by(|a, b| b.cmp(a));
        let mut left = total;
        let mut value = 0.0;
        for cap in caps {
            let x = cap.min(left);
            value -= lf.get(x);
            left -= x;
            if left == 0 {
                break;
            }
        }
        value
    }
    let by_cols: f64 = cols.iter().map(|&c| concentrate(lf, c, rows)).sum();
    let by_rows: f64 = rows.iter().map(|&r| concentrate(lf, r, cols)).sum();
    by_cols.max(by_rows)
}

/// Network stage: node (sorted remaining row totals) → merged past values
/// (key → (past, number of paths)).
type Stage = HashMap<Vec<u64>, HashMap<i64, (f64, f64)>>;

/// Calls `f(x)` for every split x of `total` into cells with `x[i] ≤ caps[i]`.
fn for_each_split(total: u64, caps: &[u64], f: &mut dyn FnMut(&[u64])) {
    fn rec(
        i: usize,
        left: u64,
        caps: &[u64],
        suffix: &[u64],
        x: &mut Vec<u64>,
        f: &mut dyn FnMut(&[u64]),
    ) {
        if i + 1 == caps.len() {
            if left <= caps[i] {
                x.push(left);
                f(x);
                x.pop();
            }
            return;
        }
        // The later cells can hold at most suffix[i + 1].
        let lo = left.saturating_sub(suffix[i + 1]);
        let hi = caps[i].min(left);
        for v in lo..=hi {
            x.push(v);
            rec(i + 1, left - v, caps, suffix, x, f);
            x.pop();
        }
    }
    let mut suffix = vec![0u64; caps.len() + 1];
    for i in (0..caps.len()).rev() {
        suffix[i] = suffix[i + 1] + caps[i];
    }
    if total > suffix[0] || caps.is_empty() {
        return;
    }
    let mut x = Vec::with_capacity(caps.len());
    rec(0, total, caps, &suffix, &mut x, f);
}

/// Adds `count · e^{value − shift}` to a sum kept as (shift, sum).
fn log_add(acc: &mut (f64, f64), value: f64, count: f64) {
    if value == f64::NEG_INFINITY || count == 0.0 {
        return;
    }
    if acc.1 == 0.0 {
        *acc = (value, count);
    } else if value > acc.0 {
        acc.1 = acc.1 * (acc.0 - value).exp() + count;
        acc.0 = value;
    } else {
        acc.1 += count * (value - acc.0).exp();
    }
}

/// Fisher's exact test of an r × c table of counts (rows of equal length),
/// = `fisher.test(x)$p.value` (two-sided; R's FEXACT network algorithm, here
/// re-derived as described in the module docs). Rows or columns whose total
/// is zero carry no information and are dropped (a table left with fewer than
/// two rows or columns gives p = 1, as R does). A 2 × 2 table is handled by
/// [`crate::fisher_exact`]'s hypergeometric sum. Fails with
/// [`StatsError::BadShape`] on a ragged or empty table, or when the network
/// needs more than [`FISHER_MAX_EXPANSIONS`] expansions or
/// [`FISHER_MAX_ENTRIES`] stored paths (too many patients
/// spread over too many cells; use `chi_square`, whose approximation is then
/// good, or a Monte Carlo p).
pub fn fisher_exact_rxc(table: &[Vec<u64>]) -> Result<FisherExact> {
    let r = table.len();
    let c = table.first().map_or(0, Vec::len);
    if r == 0 || c == 0 || table.iter().any(|row| row.len() != c) {
        return Err(StatsError::BadShape {
            what: "Fisher's exact test".into(),
            detail: format!("needs a rectangular table of counts, found {r} rows"),
        });
    }
    let grand: u128 = table.iter().flatten().map(|&v| u128::from(v)).sum();
    if grand > u128::from(FISHER_MAX_TOTAL) {
        return Err(StatsError::BadShape {
            what: "Fisher's exact test".into(),
            detail: format!(
                "the {r} × {c} table has n = {grand} (more than {FISHER_MAX_TOTAL}); use the χ² test"
            ),
        });
    }
    let row_tot: Vec<u64> = table.iter().map(|row| row.iter().sum()).collect();
    let col_tot: Vec<u64> = (0..c)
        .map(|j| table.iter().map(|row| row[j]).sum())
        .collect();
    let keep_r: Vec<usize> = (0..r).filter(|&i| row_tot[i] > 0).collect();
    let keep_c: Vec<usize> = (0..c).filter(|&j| col_tot[j] > 0).collect();
    if keep_r.is_empty() {
        return Err(StatsError::BadShape {
            what: "Fisher's exact test".into(),
            detail: "the table is empty (all counts are zero)".into(),
        });
    }
    if keep_r.len() < 2 || keep_c.len() < 2 {
        return Ok(FisherExact { p_value: 1.0 });
    }
    // Orient so that the node key (rows) is the smaller dimension.
    let mut cells: Vec<Vec<u64>> = keep_r
        .iter()
        .map(|&i| keep_c.iter().map(|&j| table[i][j]).collect())
        .collect();
    if cells.len() > cells[0].len() {
        cells = (0..cells[0].len())
            .map(|j| cells.iter().map(|row| row[j]).collect())
            .collect();
    }
    if cells.len() == 2 && cells[0].len() == 2 {
        return crate::fisher_exact([[cells[0][0], cells[0][1]], [cells[1][0], cells[1][1]]]);
    }
    let rows: Vec<u64> = cells.iter().map(|row| row.iter().sum()).collect();
    let mut cols: Vec<u64> = (0..cells[0].len())
        .map(|j| cells.iter().map(|row| row[j]).sum())
        .collect();
    let n: u64 = rows.iter().sum();
    let lf = LnFact::new(n);
    let observed: f64 = cells.iter().flatten().map(|&x| -lf.get(x)).sum();
    let threshold = observed + RELATIVE_TOLERANCE.ln_1p();
    // Larger columns first keeps the network narrow (as FEXACT does).
    cols.sort_unstable_by(|a, b| b.cmp(a));
    let key = |past: f64| (past / MERGE_LOG).round() as i64;

    let mut start_rows = rows.clone();
    start_rows.sort_unstable();
    let mut stage: Stage = HashMap::new();
    stage
        .entry(start_rows)
        .or_default()
        .insert(key(0.0), (0.0, 1.0));
    let mut acc = (0.0f64, 0.0f64);
    let mut expansions = 0usize;
    let too_large = |what: &str| StatsError::BadShape {
        what: "Fisher's exact test".into(),
        detail: format!(
            "the {r} × {c} table with n = {n} needs more than {what}; use the χ² test (or a Monte Carlo p-value) for a table this large"
        ),
    };
    let mut entries = 0usize;
    for k in 0..cols.len() - 1 {
        let rest = &cols[k..];
        let mut next: Stage = HashMap::new();
        // Deterministic order: sort the nodes.
        let mut nodes: Vec<_> = stage.into_iter().collect();
        nodes.sort_by(|a, b| a.0.cmp(&b.0));
        for (node, pasts) in nodes {
            let mut pasts: Vec<(f64, f64)> = pasts.into_values().collect();
            pasts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let hi = upper_most_probable(&lf, &node, rest);
            let lo = lower_least_probable(&lf, &node, rest);
            let total = ln_total(&lf, &node, rest);
            let mut open = Vec::new();
            for (past, count) in pasts {
                if past + hi <= threshold {
                    log_add(&mut acc, past + total, count);
                } else if past + lo > threshold {
                    // No completion is as unlikely as the observed table.
                } else {
                    open.push((past, count));
                }
            }
            if open.is_empty() {
                continue;
            }
            expansions += open.len();
            if expansions > FISHER_MAX_EXPANSIONS {
                return Err(too_large(&format!(
                    "{FISHER_MAX_EXPANSIONS} network expansions"
                )));
            }
            if rest.len() == 2 {
                // Two columns left: a split of the first fixes the second.
                // Sort the completions' values once; each past then needs
                // one binary search and a prefix sum.
                let mut vals = Vec::new();
                for_each_split(rest[0], &node, &mut |x| {
                    let v: f64 = x
                        .iter()
                        .zip(&node)
                        .map(|(&a, &r)| -lf.get(a) - lf.get(r - a))
                        .sum();
                    vals.push(v);
                });
                vals.sort_by(f64::total_cmp);
                // Running log-sum-exp of the sorted values (no underflow).
                let mut cum = Vec::with_capacity(vals.len());
                let mut l = f64::NEG_INFINITY;
                for &v in &vals {
                    l = if l == f64::NEG_INFINITY {
                        v
                    } else {
                        l.max(v) + (-(l - v).abs()).exp().ln_1p()
                    };
                    cum.push(l);
                }
                for (past, count) in open {
                    let m = vals.partition_point(|&v| past + v <= threshold);
                    if m > 0 {
                        log_add(&mut acc, past + cum[m - 1], count);
                    }
                }
                continue;
            }
            let mut overflow = false;
            for_each_split(rest[0], &node, &mut |x| {
                let step: f64 = x.iter().map(|&v| -lf.get(v)).sum();
                let mut rem: Vec<u64> = node.iter().zip(x).map(|(a, b)| a - b).collect();
                rem.sort_unstable();
                let entry = next.entry(rem).or_default();
                for &(past, count) in &open {
                    let v = past + step;
                    let e = entry.entry(key(v)).or_insert_with(|| {
                        entries += 1;
                        (v, 0.0)
                    });
                    e.1 += count;
                }
                overflow |= entries > FISHER_MAX_ENTRIES;
            });
            if overflow {
                return Err(too_large(&format!(
                    "{FISHER_MAX_ENTRIES} stored network paths"
                )));
            }
        }
        stage = next;
    }
    // p = Σ e^{value} / e^{ln_total}.
    let p = if acc.1 == 0.0 {
        0.0
    } else {
        acc.1.ln() + acc.0 - ln_total(&lf, &rows, &cols)
    };
    let p = if acc.1 == 0.0 { 0.0 } else { p.exp() };
    Ok(FisherExact {
        p_value: p.min(1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force over every table with the margins of `t` (small tables only).
    fn brute(t: &[Vec<u64>]) -> f64 {
        let rows: Vec<u64> = t.iter().map(|r| r.iter().sum()).collect();
        let cols: Vec<u64> = (0..t[0].len())
            .map(|j| t.iter().map(|r| r[j]).sum())
            .collect();
        let n: u64 = rows.iter().sum();
        let lf = LnFact::new(n);
        let lp = |cells: &[Vec<u64>]| -> f64 {
            rows.iter().map(|&r| lf.get(r)).sum::<f64>()
                + cols.iter().map(|&c| lf.get(c)).sum::<f64>()
                - lf.get(n)
                - cells.iter().flatten().map(|&x| lf.get(x)).sum::<f64>()
        };
        let obs = lp(t);
        let mut p = 0.0;
        // Enumerate row by row.
        fn rec(
            i: usize,
            rows: &[u64],
            left: Vec<u64>,
            acc: &mut Vec<Vec<u64>>,
            out: &mut dyn FnMut(&[Vec<u64>]),
        ) {
            if i == rows.len() {
                if left.iter().all(|&v| v == 0) {
                    out(acc);
                }
                return;
            }
            for_each_split(rows[i], &left.clone(), &mut |x| {
                let rem: Vec<u64> = left.iter().zip(x).map(|(a, b)| a - b).collect();
                acc.push(x.to_vec());
                rec(i + 1, rows, rem, acc, out);
                acc.pop();
            });
        }
        let mut acc = Vec::new();
        rec(0, &rows, cols.clone(), &mut acc, &mut |cells| {
            let v = lp(cells);
            if v <= obs + 1e-7f64.ln_1p() {
                p += v.exp();
            }
        });
        p
    }

    #[test]
    fn network_equals_brute_force_enumeration() {
        for t in [
            vec![vec![3, 1, 4], vec![1, 5, 9], vec![2, 6, 5]],
            vec![vec![0, 2, 7, 1], vec![4, 0, 1, 3]],
            vec![vec![5, 0], vec![1, 3], vec![2, 2], vec![0, 4]],
            vec![vec![2, 2, 2], vec![2, 2, 2]],
            vec![vec![5, 13, 10], vec![17, 19, 12], vec![10, 8, 6]],
        ] {
            let ours = fisher_exact_rxc(&t).unwrap().p_value;
            let b = brute(&t);
            assert!((ours - b).abs() < 1e-12, "{t:?}: {ours} vs {b}");
        }
    }

    #[test]
    fn zero_lines_are_dropped_and_degenerate_tables_give_one() {
        let a = fisher_exact_rxc(&[vec![3, 1, 0], vec![1, 5, 0], vec![2, 6, 0]]).unwrap();
        let b = fisher_exact_rxc(&[vec![3, 1], vec![1, 5], vec![2, 6]]).unwrap();
        assert_eq!(a.p_value, b.p_value);
        assert_eq!(
            fisher_exact_rxc(&[vec![3, 4, 5], vec![0, 0, 0]])
                .unwrap()
                .p_value,
            1.0
        );
        assert!(fisher_exact_rxc(&[vec![0, 0], vec![0, 0]]).is_err());
        assert!(fisher_exact_rxc(&[vec![1, 2], vec![3]]).is_err());
        let huge = fisher_exact_rxc(&[vec![u64::MAX, u64::MAX, 1], vec![1, 1, 1]]);
        assert!(huge.unwrap_err().to_string().contains("more than 10000000"));
    }
}

//! Mid-ranks with ties, shared by the rank tests (Mann–Whitney,
//! Kruskal–Wallis).

/// Rank sums of pooled groups and the tie term of the pooled ranking.
pub(crate) struct RankSums {
    /// Per group, the sum of its values' mid-ranks (1-based; tied values
    /// share the mean of the positions they occupy).
    pub sums: Vec<f64>,
    /// Σ(t³ − t) over the runs of t tied values (0 without ties).
    pub tie_term: f64,
}

/// Ranks `values` (value, group index < `groups`) together, sorted by
/// `f64::total_cmp`, and sums the mid-ranks per group.
pub(crate) fn rank_sums(mut values: Vec<(f64, usize)>, groups: usize) -> RankSums {
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut sums = vec![0.0; groups];
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < values.len() {
        let mut j = i;
        while j < values.len() && values[j].0 == values[i].0 {
            j += 1;
        }
        let t = (j - i) as f64;
        let mid = (i + 1 + j) as f64 / 2.0;
        for item in &values[i..j] {
            sums[item.1] += mid;
        }
        tie_term += t * t * t - t;
        i = j;
    }
    RankSums { sums, tie_term }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mid_ranks_by_hand() {
        // Pooled sorted: 1(a) 2(b) 2(a) 2(b) 5(a) → ranks 1, 3, 3, 3, 5.
        // a: 1 + 3 + 5 = 9; b: 3 + 3 = 6; one run of 3 ties: 27 − 3 = 24.
        let r = rank_sums(vec![(5.0, 0), (2.0, 1), (1.0, 0), (2.0, 0), (2.0, 1)], 2);
        assert_eq!(r.sums, vec![9.0, 6.0]);
        assert_eq!(r.tie_term, 24.0);
        // No ties: ranks 1..n, tie term 0.
        let r = rank_sums(vec![(0.5, 1), (-1.0, 0), (3.0, 2)], 3);
        assert_eq!(r.sums, vec![1.0, 2.0, 3.0]);
        assert_eq!(r.tie_term, 0.0);
    }
}

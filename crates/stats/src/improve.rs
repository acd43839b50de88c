//! Reclassification: IDI and continuous NRI (= `Hmisc::improveProb`) and the
//! categorical NRI with its reclassification tables (Pencina et al. 2008).

use serde::Serialize;

use crate::check;
use crate::dist::{p_normal_two_sided, qnorm};
use crate::error::{Result, StatsError};

/// An estimate with its standard error, z, two-sided p and 95% CI.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Estimate {
    /// Point estimate.
    pub value: f64,
    /// Standard error.
    pub se: f64,
    /// value / se.
    pub z: f64,
    /// Two-sided normal p-value.
    pub p_value: f64,
    /// value − 1.96·se.
    pub ci_low: f64,
    /// value + 1.96·se.
    pub ci_high: f64,
}

fn estimate(value: f64, se: f64) -> Estimate {
    let z = value / se;
    let q = qnorm(0.975);
    Estimate {
        value,
        se,
        z,
        p_value: p_normal_two_sided(z),
        ci_low: value - q * se,
        ci_high: value + q * se,
    }
}

/// IDI and continuous NRI of a new model over an old one (Hmisc names).
#[derive(Debug, Clone, Serialize)]
pub struct ImproveProb {
    /// Rows.
    pub n: usize,
    /// Events.
    pub events: usize,
    /// Non-events.
    pub nonevents: usize,
    /// Fraction of events whose probability rose.
    pub pup_ev: f64,
    /// Fraction of non-events whose probability rose.
    pub pup_ne: f64,
    /// Fraction of events whose probability fell.
    pub pdown_ev: f64,
    /// Fraction of non-events whose probability fell.
    pub pdown_ne: f64,
    /// Continuous NRI (events + non-events).
    pub nri: Estimate,
    /// NRI among events.
    pub nri_events: Estimate,
    /// NRI among non-events.
    pub nri_nonevents: Estimate,
    /// Mean rise of the events' probabilities ("improveSens").
    pub improve_sens: f64,
    /// Mean fall of the non-events' probabilities ("improveSpec").
    pub improve_spec: f64,
    /// Integrated discrimination improvement.
    pub idi: Estimate,
}

/// IDI and continuous ("category-free") NRI of `new` over `old`, =
/// `Hmisc::improveProb(x1 = old, x2 = new, y)`, with Hmisc's variances
/// (NRI: (up + down)/n² − (up − down)²/n³ per class; IDI: var(d)/n per class)
/// and normal CIs. Probabilities must lie in [0, 1].
pub fn improve_prob(labels: &[u8], old: &[f64], new: &[f64]) -> Result<ImproveProb> {
    check::same_len("old model", old.len(), "new model", new.len())?;
    check::binary("labels", labels, "old model", old, 2)?;
    check::probabilities("old model", old)?;
    check::probabilities("new model", new)?;
    let (mut na, mut nb) = (0usize, 0usize);
    let (mut up_a, mut down_a, mut up_b, mut down_b) = (0usize, 0usize, 0usize, 0usize);
    let (mut da, mut db) = (Vec::new(), Vec::new());
    for ((&l, &o), &nw) in labels.iter().zip(old).zip(new) {
        let d = nw - o;
        if l == 1 {
            na += 1;
            up_a += (d > 0.0) as usize;
            down_a += (d < 0.0) as usize;
            da.push(d);
        } else {
            nb += 1;
            up_b += (d > 0.0) as usize;
            down_b += (d < 0.0) as usize;
            db.push(d);
        }
    }
    let (naf, nbf) = (na as f64, nb as f64);
    let v_ev =
        (up_a + down_a) as f64 / naf.powi(2) - (up_a as f64 - down_a as f64).powi(2) / naf.powi(3);
    let v_ne =
        (up_b + down_b) as f64 / nbf.powi(2) - (down_b as f64 - up_b as f64).powi(2) / nbf.powi(3);
    let (pup_ev, pdown_ev) = (up_a as f64 / naf, down_a as f64 / naf);
    let (pup_ne, pdown_ne) = (up_b as f64 / nbf, down_b as f64 / nbf);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let var = |v: &[f64]| {
        let m = mean(v);
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0)
    };
    let idi = mean(&da) - mean(&db);
    let se_idi = (var(&da) / naf + var(&db) / nbf).sqrt();
    Ok(ImproveProb {
        n: na + nb,
        events: na,
        nonevents: nb,
        pup_ev,
        pup_ne,
        pdown_ev,
        pdown_ne,
        nri: estimate(
            pup_ev - pdown_ev - (pup_ne - pdown_ne),
            (v_ev + v_ne).sqrt(),
        ),
        nri_events: estimate(pup_ev - pdown_ev, v_ev.sqrt()),
        nri_nonevents: estimate(pdown_ne - pup_ne, v_ne.sqrt()),
        improve_sens: da.iter().sum::<f64>() / naf,
        improve_spec: -db.iter().sum::<f64>() / nbf,
        idi: estimate(idi, se_idi),
    })
}

/// Categorical NRI with its reclassification tables.
#[derive(Debug, Clone, Serialize)]
pub struct CategoricalNri {
    /// The risk cut-offs defining the categories.
    pub cutoffs: Vec<f64>,
    /// NRI = NRI(events) + NRI(non-events).
    pub nri: Estimate,
    /// (moved up − moved down) / events.
    pub nri_events: Estimate,
    /// (moved down − moved up) / non-events.
    pub nri_nonevents: Estimate,
    /// Events: rows = old category, columns = new category.
    pub table_events: Vec<Vec<u64>>,
    /// Non-events: rows = old category, columns = new category.
    pub table_nonevents: Vec<Vec<u64>>,
}

/// Risk category of p: the number of cut-offs ≤ p (so category k covers
/// [cut_k, cut_{k+1}), as `cut(p, c(0, cutoffs, 1), right = FALSE)`).
fn category(p: f64, cutoffs: &[f64]) -> usize {
    cutoffs.partition_point(|&c| c <= p)
}

/// Categorical NRI (Pencina et al. 2008) at the given risk cut-offs
/// (increasing, inside (0, 1)): moves up/down between categories counted per
/// class, variances as `Hmisc::improveProb` uses for the continuous NRI
/// (the same formula with category moves; PredictABEL's `reclassification`
/// uses the McNemar-type variance without the second term).
pub fn nri_categorical(
    labels: &[u8],
    old: &[f64],
    new: &[f64],
    cutoffs: &[f64],
) -> Result<CategoricalNri> {
    check::same_len("old model", old.len(), "new model", new.len())?;
    check::binary("labels", labels, "old model", old, 2)?;
    check::probabilities("old model", old)?;
    check::probabilities("new model", new)?;
    check::finite("cutoffs", cutoffs)?;
    if cutoffs.is_empty()
        || cutoffs.windows(2).any(|w| w[0] >= w[1])
        || cutoffs[0] <= 0.0
        || cutoffs[cutoffs.len() - 1] >= 1.0
    {
        return Err(StatsError::BadShape {
            what: "categorical NRI".into(),
            detail: format!("cut-offs must be increasing and inside (0, 1), found {cutoffs:?}"),
        });
    }
    let k = cutoffs.len() + 1;
    let mut te = vec![vec![0u64; k]; k];
    let mut tn = vec![vec![0u64; k]; k];
    for ((&l, &o), &nw) in labels.iter().zip(old).zip(new) {
        let (a, b) = (category(o, cutoffs), category(nw, cutoffs));
        if l == 1 { te[a][b] += 1 } else { tn[a][b] += 1 }
    }
    let moves = |t: &Vec<Vec<u64>>| {
        let (mut up, mut down, mut total) = (0u64, 0u64, 0u64);
        for (i, row) in t.iter().enumerate() {
            for (j, &c) in row.iter().enumerate() {
                total += c;
                if j > i {
                    up += c
                } else if j < i {
                    down += c
                }
            }
        }
        (up as f64, down as f64, total as f64)
    };
    let (ua, da, na) = moves(&te);
    let (ub, db, nb) = moves(&tn);
    let v_ev = (ua + da) / na.powi(2) - (ua - da).powi(2) / na.powi(3);
    let v_ne = (ub + db) / nb.powi(2) - (db - ub).powi(2) / nb.powi(3);
    let nri_ev = (ua - da) / na;
    let nri_ne = (db - ub) / nb;
    Ok(CategoricalNri {
        cutoffs: cutoffs.to_vec(),
        nri: estimate(nri_ev + nri_ne, (v_ev + v_ne).sqrt()),
        nri_events: estimate(nri_ev, v_ev.sqrt()),
        nri_nonevents: estimate(nri_ne, v_ne.sqrt()),
        table_events: te,
        table_nonevents: tn,
    })
}

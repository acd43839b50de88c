//! The radiologists' figures of a simulated study (consensus SENS/SPE,
//! kappas): checked against the paper's by tests/readers.rs, printed by
//! examples/reader_figures.rs.

use dlrn_simulate::{ReaderRead, SimParams, draw_reads, reader_name, sample_study};

/// Unweighted Cohen's kappa of two equal-length ratings (textbook
/// formula, written out here independently of any library).
fn kappa(a: &[usize], b: &[usize]) -> f64 {
    let n = a.len() as f64;
    let po = a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / n;
    let pe: f64 = (0..4)
        .map(|l| {
            (a.iter().filter(|&&x| x == l).count() as f64 / n)
                * (b.iter().filter(|&&x| x == l).count() as f64 / n)
        })
        .sum();
    (po - pe) / (1.0 - pe)
}

/// The readers' figures the paper reports, from a simulated study.
pub struct Figures {
    /// Pooled consensus sensitivity.
    pub sens: f64,
    /// Pooled consensus specificity.
    pub spe: f64,
    /// Mean pairwise inter-reader kappa (ALN call, BI-RADS, US-ALN).
    pub inter: [f64; 3],
    /// Mean intra-reader kappa of the repeat reads (same items).
    pub intra: [f64; 3],
    /// Per reader (SENS, SPE).
    pub readers: Vec<(f64, f64)>,
}

/// Pooled consensus SENS/SPE and mean pairwise kappas over the reader cohorts.
pub fn figures(seed: u64, scale: f64) -> Figures {
    let params = SimParams::default();
    let m = &params.radiologists;
    let study = sample_study(&params, seed, scale).unwrap();
    let r = m.reader_offsets.len();
    let (mut tp, mut pos, mut tn, mut neg) = (0.0, 0.0, 0.0, 0.0);
    let mut per = vec![(0.0, 0.0); r];
    // first[j][item] and repeat pairs, pooled over cohorts.
    let mut first: Vec<[Vec<usize>; 3]> = vec![Default::default(); r];
    let mut again: Vec<[(Vec<usize>, Vec<usize>); 3]> = vec![Default::default(); r];
    for d in study.iter().filter(|d| m.cohorts.contains(&d.name)) {
        let reads = draw_reads(d, m, seed);
        for p in &d.patients {
            let mine: Vec<&ReaderRead> = reads.iter().filter(|x| x.id == p.id).collect();
            let calls = mine.iter().filter(|x| x.read == 1 && x.aln_call).count();
            let consensus = 2 * calls > r;
            if p.aln {
                pos += 1.0;
                tp += f64::from(u8::from(consensus));
            } else {
                neg += 1.0;
                tn += f64::from(u8::from(!consensus));
            }
            for j in 0..r {
                let name = reader_name(j);
                let get = |k: u32| mine.iter().find(|x| x.reader == name && x.read == k);
                let a = get(1).unwrap();
                if p.aln {
                    per[j].0 += f64::from(u8::from(a.aln_call));
                } else {
                    per[j].1 += f64::from(u8::from(!a.aln_call));
                }
                let codes = |x: &ReaderRead| {
                    [
                        usize::from(x.aln_call),
                        x.birads,
                        usize::from(x.us_aln_suspicious),
                    ]
                };
                for (v, c) in codes(a).into_iter().enumerate() {
                    first[j][v].push(c);
                }
                if let Some(b) = get(2) {
                    for (v, (c1, c2)) in codes(a).into_iter().zip(codes(b)).enumerate() {
                        again[j][v].0.push(c1);
                        again[j][v].1.push(c2);
                    }
                }
            }
        }
    }
    let mut inter = [0.0; 3];
    let mut intra = [0.0; 3];
    for v in 0..3 {
        let mut s = 0.0;
        let mut k = 0.0;
        for a in 0..r {
            for b in a + 1..r {
                s += kappa(&first[a][v], &first[b][v]);
                k += 1.0;
            }
        }
        inter[v] = s / k;
        intra[v] = (0..r)
            .map(|j| kappa(&again[j][v].0, &again[j][v].1))
            .sum::<f64>()
            / r as f64;
    }
    Figures {
        sens: tp / pos,
        spe: tn / neg,
        inter,
        intra,
        readers: per.iter().map(|(a, b)| (a / pos, b / neg)).collect(),
    }
}

//! The simulated radiologists read as the paper's did (Table 2's radiologist
//! rows, Supplementary Table 4's kappas).

#[path = "support/reader_figures.rs"]
mod reader_figures;

use reader_figures::figures;

/// The paper's readers (pooled consensus over the EVCs: AUC 0.703, SENS
/// ≈ 63%, SPE ≈ 77%; kappas "substantial", 0.61–0.80): on a 4× study the
/// sampling SD of SENS/SPE is about 0.025, so ±0.07 bounds are generous.
#[test]
fn readers_behave_as_the_papers() {
    let f = figures(2024, 4.0);
    let auc = (f.sens + f.spe) / 2.0;
    assert!((0.56..=0.70).contains(&f.sens), "SENS {}", f.sens);
    assert!((0.70..=0.84).contains(&f.spe), "SPE {}", f.spe);
    assert!((0.65..=0.75).contains(&auc), "AUC {auc}");
    for v in 0..3 {
        assert!(
            (0.55..=0.82).contains(&f.inter[v]),
            "inter {v}: {}",
            f.inter[v]
        );
        assert!(
            (0.61..=0.88).contains(&f.intra[v]),
            "intra {v}: {}",
            f.intra[v]
        );
        assert!(
            f.intra[v] > f.inter[v],
            "{v}: intra {} inter {}",
            f.intra[v],
            f.inter[v]
        );
    }
    // Readers differ: the strictest reader is less sensitive and more specific.
    let (first, last) = (f.readers[0], f.readers[f.readers.len() - 1]);
    assert!(first.0 > last.0 && first.1 < last.1, "{:?}", f.readers);
}

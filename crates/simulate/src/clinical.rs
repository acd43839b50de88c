//! The clinical table of each cohort: Table 1 marginals, the latent tumour
//! aggressiveness, and ALN status drawn with the cohort's exact ALN+ count.

use rand::Rng;
use rand::seq::SliceRandom;
use rand_distr::{Distribution, Gamma, Normal, StandardNormal};
use serde::Serialize;

use crate::error::SimError;
use crate::params::{CohortSpec, OutcomeModel, SimParams};
use crate::rng::{Purpose, stream};

/// BI-RADS categories in increasing suspicion (step 0..3 in the outcome model).
pub const BIRADS: [&str; 4] = ["4A", "4B", "4C", "5"];
/// Tumour location categories.
pub const LOCATION: [&str; 5] = ["UOQ", "LOQ", "UIQ", "LIQ", "central"];
/// Tumour type categories.
pub const TUMOUR_TYPE: [&str; 4] = ["noninvasive", "invasive_nst", "invasive_st", "rare"];
/// Molecular subtype categories.
pub const SUBTYPE: [&str; 4] = ["luminal_a", "luminal_b", "her2", "triple_negative"];

/// Smallest simulated cohort, whatever the scale.
pub const MIN_COHORT: usize = 10;
/// Fewest positives and fewest negatives in a simulated cohort.
pub const MIN_PER_CLASS: usize = 3;

/// One simulated patient: the clinical.csv row plus the hidden truth.
#[derive(Debug, Clone, Serialize)]
pub struct Patient {
    /// Patient id, e.g. TC001 or EVC1_001.
    pub id: String,
    /// Age, whole years.
    pub age: f64,
    /// BMI, kg/m² to 0.1, or None (not available).
    pub bmi: Option<f64>,
    /// BI-RADS step: 0 = 4A, 1 = 4B, 2 = 4C, 3 = 5.
    pub birads: usize,
    /// Index into [`LOCATION`].
    pub location: usize,
    /// Nuclear grade 1..=3.
    pub grade: usize,
    /// Index into [`TUMOUR_TYPE`].
    pub tumour_type: usize,
    /// ER positive.
    pub er: bool,
    /// PR positive.
    pub pr: bool,
    /// HER2 positive.
    pub her2: bool,
    /// Ki-67 high.
    pub ki67: bool,
    /// Index into [`SUBTYPE`].
    pub subtype: usize,
    /// US-ALN suspicious.
    pub us_aln_suspicious: bool,
    /// Ultrasound lesion size (largest diameter), cm to 0.1.
    pub us_size_cm: f64,
    /// Latent tumour aggressiveness z (mean 0, SD 1; correlated with BI-RADS
    /// by `OutcomeModel::clinical_correlation`).
    pub aggressiveness: f64,
    /// Clinical part of the linear predictor (without intercept), times the
    /// hospital's clinical weight.
    pub clinical_lp: f64,
    /// Model probability of ALN+ with the cohort's calibrated intercept.
    pub probability: f64,
    /// ALN status (true = metastasis).
    pub aln: bool,
}

/// One simulated cohort's patients (images not yet rendered).
#[derive(Debug, Clone)]
pub struct CohortDraw {
    /// Index of the cohort in `SimParams::cohorts`.
    pub index: usize,
    /// The cohort's name.
    pub name: String,
    /// Patients in id order.
    pub patients: Vec<Patient>,
    /// Intercept b0 making the model's expected ALN+ count equal the drawn count.
    pub intercept: f64,
    /// Sorted patient indices of the ICC re-outline subset (empty but for the
    /// ICC cohort).
    pub icc: Vec<usize>,
}

/// Cohort size and ALN+ count at a scale: both multiplied and rounded, then
/// kept to at least [`MIN_COHORT`] patients and [`MIN_PER_CLASS`] per class.
pub fn scaled_counts(spec: &CohortSpec, scale: f64) -> (usize, usize) {
    let n = ((spec.n as f64 * scale).round() as usize).max(MIN_COHORT);
    let k =
        ((spec.positives as f64 * scale).round() as usize).clamp(MIN_PER_CLASS, n - MIN_PER_CLASS);
    (n, k)
}

/// Exact allocation of `n` items to categories by percentages (largest
/// remainder, ties to the earlier category), so the simulated Table 1 matches
/// the printed one to rounding. Percentages are renormalised (printed rows do
/// not always sum to 100).
pub fn allocate(n: usize, pct: &[f64]) -> Vec<usize> {
    let total: f64 = pct.iter().sum();
    let quotas: Vec<f64> = pct.iter().map(|p| n as f64 * p / total).collect();
    let mut counts: Vec<usize> = quotas.iter().map(|q| q.floor() as usize).collect();
    let mut left = n - counts.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..pct.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = quotas[a] - quotas[a].floor();
        let rb = quotas[b] - quotas[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &c in order.iter().cycle() {
        if left == 0 {
            break;
        }
        counts[c] += 1;
        left -= 1;
    }
    counts
}

/// A shuffled column of category indices with exactly allocated counts.
fn categorical<R: Rng>(rng: &mut R, n: usize, pct: &[f64]) -> Vec<usize> {
    let mut col: Vec<usize> = allocate(n, pct)
        .iter()
        .enumerate()
        .flat_map(|(c, &m)| std::iter::repeat_n(c, m))
        .collect();
    col.shuffle(rng);
    col
}

/// A shuffled yes/no column with exactly round(n × pct / 100) yes.
fn binary<R: Rng>(rng: &mut R, n: usize, pct: f64) -> Vec<bool> {
    categorical(rng, n, &[100.0 - pct, pct])
        .into_iter()
        .map(|c| c == 1)
        .collect()
}

/// The clinical part of the linear predictor (Table 3 effects × scale).
pub fn clinical_lp(m: &OutcomeModel, age: f64, birads: usize, grade: usize, us_aln: bool) -> f64 {
    m.clinical_effect_scale
        * (m.age_per_year * (age - m.age_centre)
            + m.birads_per_step * birads as f64
            + m.grade_per_step * (grade as f64 - 1.0)
            + if us_aln { m.us_aln_suspicious } else { 0.0 })
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Intercept b0 with Σ sigmoid(b0 + lp_i) = k (bisection; the sum is
/// increasing in b0).
pub fn calibrate_intercept(lp: &[f64], k: usize) -> f64 {
    let (mut lo, mut hi) = (-60.0_f64, 60.0_f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        let s: f64 = lp.iter().map(|&x| sigmoid(mid + x)).sum();
        if s < k as f64 { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

/// Draws labels with exactly `k` ones from independent Bernoulli(p_i)
/// conditioned on their sum being k (the conditional Bernoulli design,
/// Chen, Dempster & Liu 1994, sequential method). With q(i, j) = P(Σ_{l≥i} B_l = j),
/// item i is taken with probability p_i q(i+1, r−1) / q(i, r), r the count
/// still to draw. The result depends on the p_i only through their odds
/// ratios, so the intercept cancels: it is the logistic model "given exactly
/// k positives". Hand-written: no maintained crate offers it.
pub fn draw_exact_labels<R: Rng>(rng: &mut R, p: &[f64], k: usize) -> Vec<bool> {
    let n = p.len();
    assert!(k <= n, "cannot draw {k} positives among {n}");
    // q[i * (k + 1) + j]
    let w = k + 1;
    let mut q = vec![0.0_f64; (n + 1) * w];
    q[n * w] = 1.0;
    for i in (0..n).rev() {
        for j in 0..=k {
            let take = if j > 0 {
                p[i] * q[(i + 1) * w + j - 1]
            } else {
                0.0
            };
            q[i * w + j] = take + (1.0 - p[i]) * q[(i + 1) * w + j];
        }
    }
    let mut out = vec![false; n];
    let mut r = k;
    for i in 0..n {
        if r == 0 {
            break;
        }
        let left = n - i;
        let prob = if r >= left {
            1.0
        } else {
            let denom = q[i * w + r];
            if denom > 0.0 {
                p[i] * q[(i + 1) * w + r - 1] / denom
            } else {
                r as f64 / left as f64
            }
        };
        if rng.random::<f64>() < prob {
            out[i] = true;
            r -= 1;
        }
    }
    out
}

/// Category `i` of an ordinal variable with percentages `pct`, as a score
/// of mean 0 and SD 1 under those percentages ((i − mean) / SD of the
/// category index); 0 when every patient is in one category.
pub fn standard_score(pct: &[f64], i: usize) -> f64 {
    let total: f64 = pct.iter().sum();
    let mean: f64 = pct
        .iter()
        .enumerate()
        .map(|(k, p)| k as f64 * p)
        .sum::<f64>()
        / total;
    let var: f64 = pct
        .iter()
        .enumerate()
        .map(|(k, p)| (k as f64 - mean).powi(2) * p)
        .sum::<f64>()
        / total;
    if var > 0.0 {
        (i as f64 - mean) / var.sqrt()
    } else {
        0.0
    }
}

/// The age distribution of a cohort: normal with Table 1's mean and SD;
/// `None` when they are not finite (or the SD is negative).
pub(crate) fn age_normal(t: &crate::params::Table1) -> Option<Normal<f64>> {
    if !(t.age_mean.is_finite() && t.age_sd.is_finite() && t.age_sd >= 0.0) {
        return None;
    }
    Normal::new(t.age_mean, t.age_sd).ok()
}

/// The ultrasound size distribution of a cohort: gamma with Table 1's mean
/// and SD (shape (mean/SD)², scale SD²/mean); `None` when the shape or the
/// scale is not a finite number > 0 (e.g. a mean and SD far apart enough
/// for them to overflow or underflow).
pub(crate) fn size_gamma(t: &crate::params::Table1) -> Option<Gamma<f64>> {
    let shape = (t.size_mean / t.size_sd).powi(2);
    let scale = t.size_sd * t.size_sd / t.size_mean;
    let ok = |v: f64| v.is_finite() && v > 0.0;
    if !(ok(shape) && ok(scale) && ok(1.0 / scale)) {
        return None;
    }
    Gamma::new(shape, scale).ok()
}

/// Formats patient number `i` (0-based) of a cohort of `n` as an id.
pub fn patient_id(prefix: &str, i: usize, n: usize) -> String {
    let width = n.to_string().len().max(3);
    format!("{prefix}{:0width$}", i + 1)
}

/// Samples every cohort's clinical table, latent aggressiveness, ALN labels
/// and ICC subset (no images).
pub fn sample_study(
    params: &SimParams,
    seed: u64,
    scale: f64,
) -> Result<Vec<CohortDraw>, SimError> {
    crate::check_params(params, scale)?;
    Ok(params
        .cohorts
        .iter()
        .enumerate()
        .map(|(c, spec)| sample_cohort(params, c, spec, seed, scale))
        .collect())
}

fn sample_cohort(
    params: &SimParams,
    c: usize,
    spec: &CohortSpec,
    seed: u64,
    scale: f64,
) -> CohortDraw {
    let (n, k) = scaled_counts(spec, scale);
    let t = &spec.table1;
    let mut rng = stream(seed, c, Purpose::Columns, 0);
    let bmi_cat = categorical(&mut rng, n, &t.bmi_pct);
    let birads = categorical(&mut rng, n, &t.birads_pct);
    let location = categorical(&mut rng, n, &t.location_pct);
    let grade = categorical(&mut rng, n, &t.grade_pct);
    let tumour_type = categorical(&mut rng, n, &t.tumour_type_pct);
    let er = binary(&mut rng, n, t.er_pos_pct);
    let pr = binary(&mut rng, n, t.pr_pos_pct);
    let her2 = binary(&mut rng, n, t.her2_pos_pct);
    let ki67 = binary(&mut rng, n, t.ki67_pos_pct);
    let subtype = categorical(&mut rng, n, &t.subtype_pct);
    let us_aln = binary(&mut rng, n, t.us_aln_suspicious_pct);

    // check_params (run by sample_study) refused the parameters for which
    // either distribution cannot be built.
    let age_dist = age_normal(t).expect("check_params: age_mean, age_sd finite");
    let size_dist = size_gamma(t).expect("check_params: gamma shape and scale > 0");
    let mut patients: Vec<Patient> = (0..n)
        .map(|i| {
            let mut r = stream(seed, c, Purpose::Patient, i);
            let age = age_dist.sample(&mut r).clamp(25.0, 90.0).round();
            let size = (size_dist.sample(&mut r).clamp(0.5, 6.0) * 10.0).round() / 10.0;
            let bmi_u: f64 = r.random();
            let bmi = match bmi_cat[i] {
                0 => Some(18.0 + 6.9 * bmi_u),
                1 => Some(25.0 + 4.9 * bmi_u),
                2 => Some(30.1 + 7.9 * bmi_u),
                _ => None,
            }
            .map(|b| (b * 10.0).round() / 10.0);
            let e: f64 = StandardNormal.sample(&mut r);
            let rho = params.outcome.clinical_correlation;
            let s = standard_score(&t.birads_pct, birads[i]);
            let z = rho * s + (1.0 - rho * rho).sqrt() * e;
            let g = grade[i] + 1;
            Patient {
                id: patient_id(&spec.id_prefix, i, n),
                age,
                bmi,
                birads: birads[i],
                location: location[i],
                grade: g,
                tumour_type: tumour_type[i],
                er: er[i],
                pr: pr[i],
                her2: her2[i],
                ki67: ki67[i],
                subtype: subtype[i],
                us_aln_suspicious: us_aln[i],
                us_size_cm: size,
                aggressiveness: z,
                clinical_lp: spec.clinical_weight
                    * clinical_lp(&params.outcome, age, birads[i], g, us_aln[i]),
                probability: 0.0,
                aln: false,
            }
        })
        .collect();

    let lp: Vec<f64> = patients
        .iter()
        .map(|p| p.clinical_lp + params.outcome.aggressiveness * p.aggressiveness)
        .collect();
    let intercept = calibrate_intercept(&lp, k);
    let prob: Vec<f64> = lp.iter().map(|&x| sigmoid(intercept + x)).collect();
    let labels = draw_exact_labels(&mut stream(seed, c, Purpose::Labels, 0), &prob, k);
    for ((p, &pr), &y) in patients.iter_mut().zip(&prob).zip(&labels) {
        p.probability = pr;
        p.aln = y;
    }

    let icc = if c == params.icc_cohort {
        let m = params.icc_patients.min(n);
        let mut v =
            rand::seq::index::sample(&mut stream(seed, c, Purpose::Icc, 0), n, m).into_vec();
        v.sort_unstable();
        v
    } else {
        Vec::new()
    };
    CohortDraw {
        index: c,
        name: spec.name.clone(),
        patients,
        intercept,
        icc,
    }
}

/// The cohort's clinical.csv (design.md contract), byte-exact: age as whole
/// years, bmi and us_size_cm to 0.1, empty bmi for not available.
pub fn clinical_csv(cohort: &CohortDraw) -> Vec<u8> {
    let yn = |b: bool| if b { "pos" } else { "neg" };
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "id",
        "ALN_status",
        "age",
        "bmi",
        "birads",
        "location",
        "nuclear_grade",
        "tumour_type",
        "er",
        "pr",
        "her2",
        "ki67",
        "subtype",
        "us_aln",
        "us_size_cm",
    ];
    // Writing to a Vec cannot fail.
    w.write_record(header).expect("in-memory CSV");
    for p in &cohort.patients {
        let row = [
            p.id.clone(),
            u8::from(p.aln).to_string(),
            format!("{:.0}", p.age),
            p.bmi.map(|b| format!("{b:.1}")).unwrap_or_default(),
            BIRADS[p.birads].to_string(),
            LOCATION[p.location].to_string(),
            p.grade.to_string(),
            TUMOUR_TYPE[p.tumour_type].to_string(),
            yn(p.er).to_string(),
            yn(p.pr).to_string(),
            yn(p.her2).to_string(),
            yn(p.ki67).to_string(),
            SUBTYPE[p.subtype].to_string(),
            if p.us_aln_suspicious {
                "suspicious"
            } else {
                "non-suspicious"
            }
            .to_string(),
            format!("{:.1}", p.us_size_cm),
        ];
        // Writing to a Vec cannot fail, and every row has the header's 15 fields.
        w.write_record(&row).expect("in-memory CSV");
    }
    // Flushing into the Vec cannot fail either.
    w.into_inner().expect("in-memory CSV")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// Cohort sizes and ALN+ counts of study.md ("Cohorts").
    const PAPER: [(&str, usize, usize); 4] = [
        ("TC", 621, 215),
        ("EVC1", 112, 45),
        ("EVC2", 87, 35),
        ("EVC3", 63, 32),
    ];

    #[test]
    fn sizes_and_exact_positives_at_scale_1() {
        let study = sample_study(&SimParams::default(), 11, 1.0).unwrap();
        for (draw, (name, n, k)) in study.iter().zip(PAPER) {
            assert_eq!(draw.name, name);
            assert_eq!(draw.patients.len(), n, "{name}");
            assert_eq!(draw.patients.iter().filter(|p| p.aln).count(), k, "{name}");
        }
    }

    #[test]
    fn sizes_and_exact_positives_at_scale_0_2() {
        // Hand-rounded: 621×0.2 = 124.2 → 124, 215×0.2 = 43; 112×0.2 = 22.4 → 22,
        // 45×0.2 = 9; 87×0.2 = 17.4 → 17, 35×0.2 = 7; 63×0.2 = 12.6 → 13, 32×0.2 = 6.4 → 6.
        let expected = [(124, 43), (22, 9), (17, 7), (13, 6)];
        for seed in [1, 2] {
            let study = sample_study(&SimParams::default(), seed, 0.2).unwrap();
            for (draw, (n, k)) in study.iter().zip(expected) {
                assert_eq!(draw.patients.len(), n, "{}", draw.name);
                assert_eq!(
                    draw.patients.iter().filter(|p| p.aln).count(),
                    k,
                    "{}",
                    draw.name
                );
            }
        }
    }

    #[test]
    fn tiny_scale_keeps_minimum_sizes() {
        let study = sample_study(&SimParams::default(), 1, 0.001).unwrap();
        for d in &study {
            let k = d.patients.iter().filter(|p| p.aln).count();
            assert_eq!(d.patients.len(), MIN_COHORT);
            assert_eq!(k, MIN_PER_CLASS);
        }
    }

    #[test]
    fn bad_scale_is_an_error() {
        for s in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = sample_study(&SimParams::default(), 1, s).unwrap_err();
            assert!(matches!(e, SimError::BadScale { .. }), "{e}");
        }
    }

    #[test]
    fn ids_are_unique_across_cohorts_and_formatted() {
        let study = sample_study(&SimParams::default(), 4, 1.0).unwrap();
        let ids: Vec<&str> = study
            .iter()
            .flat_map(|d| d.patients.iter().map(|p| p.id.as_str()))
            .collect();
        let set: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
        assert_eq!(set.len(), ids.len());
        assert_eq!(study[0].patients[0].id, "TC001");
        assert_eq!(study[0].patients[620].id, "TC621");
        assert_eq!(study[1].patients[0].id, "EVC1_001");
        assert_eq!(patient_id("X", 999, 1000), "X1000");
    }

    #[test]
    fn largest_remainder_allocation_by_hand() {
        // 621 × (27.7, 23.2, 21.4, 27.7)% = 172.02, 144.07, 132.89, 172.02:
        // floors sum to 620, the one left goes to the largest remainder (0.89).
        assert_eq!(
            allocate(621, &[27.7, 23.2, 21.4, 27.7]),
            vec![172, 144, 133, 172]
        );
        // Printed rows not summing to 100 are renormalised: 15.5+48.0+36.6 = 100.1.
        assert_eq!(
            allocate(621, &[15.5, 48.0, 36.6]).iter().sum::<usize>(),
            621
        );
        assert_eq!(allocate(10, &[50.0, 50.0]), vec![5, 5]);
        assert_eq!(allocate(3, &[0.0, 100.0]), vec![0, 3]);
    }

    #[test]
    fn conditional_bernoulli_matches_hand_derivation() {
        // Three items, p = (0.2, 0.5, 0.8), exactly one positive:
        // P(item i alone) ∝ odds_i = 0.25, 1, 4 → 0.25/5.25, 1/5.25, 4/5.25.
        let p = [0.2, 0.5, 0.8];
        let want = [0.25 / 5.25, 1.0 / 5.25, 4.0 / 5.25];
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let reps = 40_000;
        let mut hits = [0usize; 3];
        for _ in 0..reps {
            let y = draw_exact_labels(&mut rng, &p, 1);
            assert_eq!(y.iter().filter(|&&b| b).count(), 1);
            for i in 0..3 {
                hits[i] += usize::from(y[i]);
            }
        }
        for i in 0..3 {
            let f = hits[i] as f64 / reps as f64;
            // 5 binomial SEs at 40 000 draws.
            let se = (want[i] * (1.0 - want[i]) / reps as f64).sqrt();
            assert!(
                (f - want[i]).abs() < 5.0 * se,
                "item {i}: {f} vs {}",
                want[i]
            );
        }
        // k = 2 of the same three: P({i, j}) ∝ odds_i odds_j = 0.25, 1, 4 for
        // {0,1}, {0,2}, {1,2}; item 2 is left out only in {0,1}: P = 0.25/5.25.
        let mut out2 = 0usize;
        for _ in 0..reps {
            let y = draw_exact_labels(&mut rng, &p, 2);
            assert_eq!(y.iter().filter(|&&b| b).count(), 2);
            out2 += usize::from(!y[2]);
        }
        let f = out2 as f64 / reps as f64;
        assert!(
            (f - 0.25 / 5.25).abs() < 5.0 * (0.0476 * 0.9524 / reps as f64).sqrt(),
            "{f}"
        );
        // Edge cases: none and all.
        assert!(draw_exact_labels(&mut rng, &p, 0).iter().all(|&b| !b));
        assert!(draw_exact_labels(&mut rng, &p, 3).iter().all(|&b| b));
    }

    #[test]
    fn intercept_makes_expected_count_exact() {
        let lp = [-1.0, 0.0, 0.5, 2.0, -3.0];
        let b0 = calibrate_intercept(&lp, 2);
        let s: f64 = lp.iter().map(|x| 1.0 / (1.0 + (-(b0 + x)).exp())).sum();
        assert!((s - 2.0).abs() < 1e-9, "{s}");
    }

    /// Table 1 of the paper (study.md), typed in again here as the oracle:
    /// (age mean, sd, size mean, sd, bmi n.a. %, BI-RADS %, grade %, US-ALN %).
    #[allow(clippy::type_complexity)]
    const TABLE1: [(f64, f64, f64, f64, f64, [f64; 4], [f64; 3], f64); 4] = [
        (
            54.50,
            11.51,
            2.24,
            1.06,
            6.1,
            [27.7, 23.2, 21.4, 27.7],
            [15.5, 48.0, 36.6],
            39.0,
        ),
        (
            55.19,
            10.65,
            2.26,
            1.12,
            4.5,
            [16.1, 31.3, 7.1, 45.5],
            [4.5, 59.8, 35.7],
            33.0,
        ),
        (
            53.93,
            11.94,
            2.17,
            1.21,
            2.3,
            [6.9, 13.8, 13.8, 65.5],
            [14.9, 56.3, 28.7],
            50.6,
        ),
        (
            54.78,
            9.83,
            2.22,
            0.98,
            9.5,
            [20.6, 33.3, 28.6, 17.5],
            [15.9, 58.7, 25.4],
            34.9,
        ),
    ];

    /// The rest of Table 1 (study.md): location, tumour type, ER+, PR+,
    /// HER2+, Ki-67 high, subtype, all %.
    #[allow(clippy::type_complexity)]
    const TABLE1_REST: [([f64; 5], [f64; 4], [f64; 4], [f64; 4]); 4] = [
        (
            [20.9, 9.8, 26.3, 10.6, 32.4],
            [9.5, 78.7, 6.9, 4.8],
            [72.6, 64.7, 83.7, 82.8],
            [39.9, 34.8, 20.5, 4.8],
        ),
        (
            [18.8, 10.7, 33.9, 23.2, 13.4],
            [3.6, 86.6, 7.1, 2.7],
            [74.1, 69.6, 30.4, 80.4],
            [14.3, 63.4, 9.8, 12.5],
        ),
        (
            [28.7, 6.9, 28.7, 14.9, 20.7],
            [8.1, 81.6, 6.9, 3.5],
            [73.6, 59.8, 75.9, 75.9],
            [6.9, 66.7, 23.0, 3.5],
        ),
        (
            [49.2, 19.1, 9.5, 20.6, 1.6],
            [3.2, 95.2, 0.0, 1.6],
            [55.6, 66.7, 76.2, 74.6],
            [1.6, 61.9, 23.8, 12.7],
        ),
    ];

    #[test]
    fn other_categorical_marginals_match_table_1() {
        let study = sample_study(&SimParams::default(), 21, 1.0).unwrap();
        for (d, t) in study.iter().zip(TABLE1_REST) {
            let n = d.patients.len() as f64;
            let frac = |f: &dyn Fn(&Patient) -> bool| {
                d.patients.iter().filter(|p| f(p)).count() as f64 / n
            };
            // Exact allocation: each share within one patient (plus the
            // renormalisation of rows printed as 99.9–100.1%) of Table 1.
            let close = |what: &str, got: f64, pct: f64| {
                assert!(
                    (got - pct / 100.0).abs() <= 1.0 / n + 0.002,
                    "{} {what}: {got} vs {pct}%",
                    d.name
                );
            };
            for (c, &pct) in t.0.iter().enumerate() {
                close(LOCATION[c], frac(&|p| p.location == c), pct);
            }
            for (c, &pct) in t.1.iter().enumerate() {
                close(TUMOUR_TYPE[c], frac(&|p| p.tumour_type == c), pct);
            }
            close("er", frac(&|p| p.er), t.2[0]);
            close("pr", frac(&|p| p.pr), t.2[1]);
            close("her2", frac(&|p| p.her2), t.2[2]);
            close("ki67", frac(&|p| p.ki67), t.2[3]);
            for (c, &pct) in t.3.iter().enumerate() {
                close(SUBTYPE[c], frac(&|p| p.subtype == c), pct);
            }
        }
    }

    #[test]
    fn marginals_match_table_1_within_sampling_error() {
        for seed in [3, 8] {
            let study = sample_study(&SimParams::default(), seed, 1.0).unwrap();
            for (d, t) in study.iter().zip(TABLE1) {
                let n = d.patients.len() as f64;
                let mean = |f: &dyn Fn(&Patient) -> f64| d.patients.iter().map(f).sum::<f64>() / n;
                let sd = |f: &dyn Fn(&Patient) -> f64, m: f64| {
                    (d.patients.iter().map(|p| (f(p) - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
                };
                // Means within 4 standard errors (sd / sqrt(n)); age is rounded
                // to whole years and clamped to 25–90, size to 0.1 cm in 0.5–6.
                let age = mean(&|p| p.age);
                assert!(
                    (age - t.0).abs() < 4.0 * t.1 / n.sqrt(),
                    "{} age {age}",
                    d.name
                );
                let age_sd = sd(&|p| p.age, age);
                assert!(
                    (age_sd / t.1 - 1.0).abs() < 0.2,
                    "{} age sd {age_sd}",
                    d.name
                );
                let size = mean(&|p| p.us_size_cm);
                assert!(
                    (size - t.2).abs() < 4.0 * t.3 / n.sqrt(),
                    "{} size {size}",
                    d.name
                );
                let size_sd = sd(&|p| p.us_size_cm, size);
                assert!(
                    (size_sd / t.3 - 1.0).abs() < 0.25,
                    "{} size sd {size_sd}",
                    d.name
                );
                // Proportions within 4 binomial SEs plus one patient of rounding.
                let close = |what: &str, got: f64, pct: f64| {
                    let p = pct / 100.0;
                    let tol = 4.0 * (p * (1.0 - p) / n).sqrt() + 1.0 / n;
                    assert!((got - p).abs() <= tol, "{} {what}: {got} vs {p}", d.name);
                };
                close(
                    "bmi n.a.",
                    mean(&|p| f64::from(u8::from(p.bmi.is_none()))),
                    t.4,
                );
                for (c, &pct) in t.5.iter().enumerate() {
                    close(
                        BIRADS[c],
                        mean(&|p| f64::from(u8::from(p.birads == c))),
                        pct,
                    );
                }
                for (g, &pct) in t.6.iter().enumerate() {
                    close(
                        "grade",
                        mean(&|p| f64::from(u8::from(p.grade == g + 1))),
                        pct,
                    );
                }
                close(
                    "us_aln",
                    mean(&|p| f64::from(u8::from(p.us_aln_suspicious))),
                    t.7,
                );
                // Table 1's BMI classes: <25, 25–30, >30.
                for p in &d.patients {
                    if let Some(b) = p.bmi {
                        assert!((18.0..=38.0).contains(&b), "{} bmi {b}", p.id);
                    }
                }
            }
        }
    }

    #[test]
    fn other_factors_are_independent_of_the_outcome_model() {
        // The linear predictor uses only age, BI-RADS, grade and US-ALN: two
        // patients equal in those four have equal clinical_lp.
        let m = OutcomeModel {
            clinical_effect_scale: 2.0,
            ..SimParams::default().outcome
        };
        let a = clinical_lp(&m, 60.0, 2, 3, true);
        // Hand value: 2 × (−0.0184 × 5.5 + 0.3811 × 2 + 0.3896 × 2 + 0.7001).
        let hand = 2.0 * (-0.0184 * 5.5 + 0.3811 * 2.0 + 0.3896 * 2.0 + 0.7001);
        assert!((a - hand).abs() < 1e-12);
    }

    #[test]
    fn standard_score_by_hand() {
        // Four equal categories: index mean 1.5, variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25.
        let pct = [25.0, 25.0, 25.0, 25.0];
        assert!((standard_score(&pct, 0) + 1.5 / 1.25_f64.sqrt()).abs() < 1e-12);
        assert!((standard_score(&pct, 3) - 1.5 / 1.25_f64.sqrt()).abs() < 1e-12);
        // 10 / 90 %: mean 0.9, SD 0.3; category 0 scores −3.
        assert!((standard_score(&[10.0, 90.0], 0) + 3.0).abs() < 1e-12);
        // One category only: no spread, score 0.
        assert_eq!(standard_score(&[0.0, 100.0, 0.0], 1), 0.0);
    }

    /// The hospital's clinical weight multiplies the clinical part of the
    /// linear predictor and nothing else; the latent z is correlated with
    /// BI-RADS by clinical_correlation (sample correlation of 4 000 patients
    /// within ±4 SE ≈ 0.06 of ρ) and keeps SD 1.
    #[test]
    fn clinical_weight_and_birads_correlation() {
        let mut p = SimParams::default();
        p.outcome.clinical_correlation = 0.5;
        let base = sample_study(&p, 9, 1.0).unwrap();
        for c in &mut p.cohorts {
            c.clinical_weight *= 2.0;
        }
        let doubled = sample_study(&p, 9, 1.0).unwrap();
        for (a, b) in base.iter().zip(&doubled) {
            for (x, y) in a.patients.iter().zip(&b.patients) {
                assert!((2.0 * x.clinical_lp - y.clinical_lp).abs() < 1e-12);
                assert_eq!(x.aggressiveness, y.aggressiveness);
            }
        }
        p.cohorts[0].n = 4000;
        p.cohorts[0].positives = 1400;
        let study = sample_study(&p, 9, 1.0).unwrap();
        let pts = &study[0].patients;
        let n = pts.len() as f64;
        let z: Vec<f64> = pts.iter().map(|q| q.aggressiveness).collect();
        let b: Vec<f64> = pts.iter().map(|q| q.birads as f64).collect();
        let mean = |v: &[f64]| v.iter().sum::<f64>() / n;
        let (mz, mb) = (mean(&z), mean(&b));
        let cov = z
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - mz) * (y - mb))
            .sum::<f64>()
            / n;
        let sd = |v: &[f64], m: f64| (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt();
        let r = cov / (sd(&z, mz) * sd(&b, mb));
        assert!((r - 0.5).abs() < 0.06, "correlation {r}");
        assert!((sd(&z, mz) - 1.0).abs() < 0.05, "SD {}", sd(&z, mz));
    }

    #[test]
    fn clinical_csv_has_the_contract_columns_and_vocabulary() {
        let study = sample_study(&SimParams::default(), 5, 0.2).unwrap();
        let bytes = clinical_csv(&study[1]);
        let mut r = csv::Reader::from_reader(bytes.as_slice());
        let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
        assert_eq!(
            header,
            [
                "id",
                "ALN_status",
                "age",
                "bmi",
                "birads",
                "location",
                "nuclear_grade",
                "tumour_type",
                "er",
                "pr",
                "her2",
                "ki67",
                "subtype",
                "us_aln",
                "us_size_cm"
            ]
        );
        let mut rows = 0;
        for rec in r.records() {
            let rec = rec.unwrap();
            rows += 1;
            assert!(rec[0].starts_with("EVC1_"));
            assert!(["0", "1"].contains(&&rec[1]));
            let age: f64 = rec[2].parse().unwrap();
            assert!((25.0..=90.0).contains(&age));
            assert!(rec[3].is_empty() || rec[3].parse::<f64>().is_ok());
            assert!(["4A", "4B", "4C", "5"].contains(&&rec[4]));
            assert!(["UOQ", "LOQ", "UIQ", "LIQ", "central"].contains(&&rec[5]));
            assert!(["1", "2", "3"].contains(&&rec[6]));
            assert!(["noninvasive", "invasive_nst", "invasive_st", "rare"].contains(&&rec[7]));
            for c in 8..12 {
                assert!(["pos", "neg"].contains(&&rec[c]));
            }
            assert!(["luminal_a", "luminal_b", "her2", "triple_negative"].contains(&&rec[12]));
            assert!(["suspicious", "non-suspicious"].contains(&&rec[13]));
            let size: f64 = rec[14].parse().unwrap();
            assert!((0.5..=6.0).contains(&size));
        }
        assert_eq!(rows, 22);
    }
}

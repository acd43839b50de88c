//! Every generating parameter of the simulated study, in one serde tree that
//! is written whole to simulate.json. Defaults: cohort sizes and Table 1 from
//! study.md (Liu et al. 2024), outcome effects from its Table 3, image and
//! scanner parameters chosen by eye to resemble breast B-mode ultrasound, and
//! signal strengths calibrated so that the study's Table 2 comes out like
//! the paper's on average over seeds (below).
//!
//! Signal strength knobs (what a calibration changes):
//! - [`OutcomeModel::aggressiveness`]: log-odds of ALN+ per SD of the latent
//!   tumour aggressiveness z (the part of the outcome the image shows);
//! - [`OutcomeModel::clinical_effect_scale`] × each hospital's
//!   [`CohortSpec::clinical_weight`]: multiplies Table 3's conditional
//!   effects (the part the clinical model sees);
//! - [`OutcomeModel::clinical_correlation`]: how much of z the BI-RADS
//!   category shows (it is read from the same image);
//! - [`LesionModel::phenotype_noise_sd`]: a term shared by every lesion trait
//!   that z does not explain (caps any image's correlation with z);
//! - each [`Trait::per_aggressiveness`] / [`Trait::noise_sd`] in
//!   [`LesionModel`]: how strongly and how cleanly a lesion trait shows the
//!   phenotype (independent noise per trait: the LASSO gains by combining
//!   many features).
//!
//! Hospitals. Each hospital images with its own scanner ([`Scanner`]), so
//! features shift by hospital as they do between real sites (the batch
//! effect ComBat harmonisation removes):
//!
//! | hospital | cohort | px | FOV mm | gain dB | range dB | PSF lat × ax mm | blur px | looks | noise | character |
//! |---|---|---|---|---|---|---|---|---|---|---|
//! | I | TC | 480 × 360 | 45 | −16 | 46 | 0.25 × 0.11 | 0.6 | 2 | 0.020 | reference |
//! | II | EVC1 | 560 × 420 | 50 | −12 | 54 | 0.32 × 0.14 | 0.9 | 3 | 0.030 | brighter, flatter, coarse smooth speckle |
//! | III | EVC2 | 440 × 330 | 40 | −14 | 42 | 0.21 × 0.09 | 0.4 | 2 | 0.015 | most contrast, finest and sharpest speckle |
//! | IV | EVC3 | 400 × 300 | 42 | −13 | 51 | 0.30 × 0.13 | 0.8 | 2 | 0.025 | brighter, lower resolution |
//!
//! On seed 2024, scale 1, a Kruskal–Wallis test across the four cohorts
//! (`cargo xtask calibrate-sim`) gives P < 0.05 for 353 of the 417 testable
//! handcrafted and 1,955 of the 2,026 testable deep features. All scanners
//! compound at least two looks and keep the lesion above black (lesion echo
//! plus gain within the dynamic range): with single-look speckle on EVC2
//! the TC signature's correlation with z there fell to 0.74, and with EVC2
//! at gain −21 dB and range 40 dB (the lesion crushed to 0) to 0.73, larger
//! shifts than the paper's external AUCs show.
//!
//! Where the defaults stand. Outcome model first, by its population AUCs
//! (`cargo run -p dlrn-simulate --example population`): clinical part,
//! latent z, a signature of correlation 0.9 with z, and that signature with
//! the clinical part (a DLRN) come out near the paper's Table 2 per cohort.
//! Then the image noise, by the whole study on several seeds (`cargo xtask
//! calibrate-sim --config configs/paper.toml --seeds 3`): the TC
//! signature's correlation with z is 0.87–0.92 on the EVCs. Last output
//! (scale 1, Table 2 AUCs; paper: Liu et al. 2024 Table 2):
//!
//! | seed | EVC1 clin | sig | DLRN | EVC2 clin | sig | DLRN | EVC3 clin | sig | DLRN | LASSO |
//! |---|---|---|---|---|---|---|---|---|---|---|
//! | 2024 | 0.780 | 0.918 | 0.966 | 0.716 | 0.804 | 0.888 | 0.806 | 0.934 | 0.969 | 25 (14 + 11) |
//! | 2025 | 0.710 | 0.821 | 0.886 | 0.813 | 0.822 | 0.909 | 0.699 | 0.838 | 0.873 | 22 (14 + 8) |
//! | 2026 | 0.858 | 0.938 | 0.967 | 0.791 | 0.856 | 0.925 | 0.691 | 0.954 | 0.951 | 9 (5 + 4) |
//! | mean | 0.782 | 0.892 | 0.940 | 0.774 | 0.827 | 0.907 | 0.732 | 0.909 | 0.931 | 18.7 |
//! | SD | 0.074 | 0.063 | 0.047 | 0.051 | 0.026 | 0.018 | 0.065 | 0.062 | 0.051 | 8.5 |
//! | paper | 0.769 | 0.886 | 0.914 | 0.783 | 0.854 | 0.929 | 0.700 | 0.917 | 0.952 | 49 (4 + 45) |
//!
//! Every mean is within 0.033 of the paper's; one seed's cell varies by
//! 0.02–0.07 (SD), as external cohorts of 63–112 patients do. On the default
//! seed every cell is inside the paper's 95% CI and DLRN > signature >
//! clinical in every EVC; three cells are further than 0.05 from the
//! paper's value (EVC1 DLRN +0.052, EVC2 clinical −0.067, EVC3 clinical
//! +0.106: the 63 EVC3 patients of seed 2024 happen to have clinical
//! factors that separate them well, AUC 0.79 of the true clinical part).
//! The LASSO keeps fewer features than the paper's 49 (9–25).

use serde::{Deserialize, Serialize};

/// All generating parameters of the study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimParams {
    /// The four hospitals, in output order (TC, EVC1, EVC2, EVC3 by default).
    pub cohorts: Vec<CohortSpec>,
    /// The logistic model of ALN status.
    pub outcome: OutcomeModel,
    /// How the latent aggressiveness and the clinical data shape the lesion.
    pub lesion: LesionModel,
    /// Breast anatomy: layer depths and echogenicities.
    pub anatomy: AnatomyModel,
    /// How the ICC re-outlines differ from the true outline.
    pub readers: ReaderModel,
    /// The radiologists' reads written to readers.csv (absent in older
    /// parameter files: the default then applies).
    #[serde(default)]
    pub radiologists: RadiologistModel,
    /// Number of training-cohort patients re-outlined for the ICC subset
    /// (60 in the paper; capped at the cohort size).
    pub icc_patients: usize,
    /// Index into `cohorts` of the cohort that gets the ICC subset.
    pub icc_cohort: usize,
    /// Images per preview montage (a grid of 4 columns).
    pub preview_images: usize,
}

/// One hospital: its size, ALN+ count, Table 1 marginals and scanner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortSpec {
    /// Folder name and id stem, e.g. `TC` or `EVC1`.
    pub name: String,
    /// Id prefix: `TC` gives TC001, `EVC1_` gives EVC1_001.
    pub id_prefix: String,
    /// Patients at scale 1.
    pub n: usize,
    /// ALN+ patients at scale 1 (drawn exactly).
    pub positives: usize,
    /// Table 1 marginals of this cohort.
    pub table1: Table1,
    /// The hospital's ultrasound scanner.
    pub scanner: Scanner,
    /// Multiplier on this hospital's clinical linear predictor (the four
    /// Table 3 factors × [`OutcomeModel::clinical_effect_scale`]): how closely
    /// the hospital's clinical work-up (its BI-RADS reading, US-ALN
    /// assessment, grading) tracks nodal status. 1 when absent (older
    /// parameter files).
    #[serde(default = "one")]
    pub clinical_weight: f64,
}

fn one() -> f64 {
    1.0
}

/// Table 1 marginals of one cohort (percentages as printed in the paper).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table1 {
    /// Mean age, years.
    pub age_mean: f64,
    /// SD of age, years.
    pub age_sd: f64,
    /// Mean ultrasound lesion size, cm.
    pub size_mean: f64,
    /// SD of ultrasound lesion size, cm.
    pub size_sd: f64,
    /// BMI <25 / 25–30 / >30 / not available, %.
    pub bmi_pct: [f64; 4],
    /// BI-RADS 4A / 4B / 4C / 5, %.
    pub birads_pct: [f64; 4],
    /// Location UOQ / LOQ / UIQ / LIQ / central, %.
    pub location_pct: [f64; 5],
    /// Nuclear grade 1 / 2 / 3, %.
    pub grade_pct: [f64; 3],
    /// Tumour type noninvasive / invasive NST / invasive ST / rare, %.
    pub tumour_type_pct: [f64; 4],
    /// ER positive, %.
    pub er_pos_pct: f64,
    /// PR positive, %.
    pub pr_pos_pct: f64,
    /// HER2 positive, % (as printed, even where implausible).
    pub her2_pos_pct: f64,
    /// Ki-67 high, %.
    pub ki67_pos_pct: f64,
    /// Subtype luminal A / luminal B / HER2 / triple negative, %.
    pub subtype_pct: [f64; 4],
    /// US-ALN suspicious, %.
    pub us_aln_suspicious_pct: f64,
}

/// A hospital's scanner character (the domain shift between cohorts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scanner {
    /// Image width, px.
    pub width: u32,
    /// Image height, px.
    pub height: u32,
    /// Field-of-view width, mm (zoomed out per image when a lesion is large).
    pub fov_width_mm: f64,
    /// Display gain, dB (added before log compression).
    pub gain_db: f64,
    /// Log-compression dynamic range, dB (wider = greyer, flatter image).
    pub dynamic_range_db: f64,
    /// Lateral point-spread SD, mm (speckle grain width).
    pub psf_lateral_mm: f64,
    /// Axial point-spread SD, mm (speckle grain height).
    pub psf_axial_mm: f64,
    /// Display smoothing SD, px (scanner post-processing).
    pub blur_px: f64,
    /// Spatial compounding: independent speckle looks averaged in power
    /// (1 = none; more = smoother speckle, fewer dark nulls).
    pub compounding: u32,
    /// Two-way attenuation, dB per mm of depth.
    pub attenuation_db_per_mm: f64,
    /// Fraction of the attenuation undone by time-gain compensation.
    pub tgc_compensation: f64,
    /// Electronic noise amplitude relative to glandular echo amplitude.
    pub noise_floor: f64,
}

/// The logistic model of ALN status (study.md Table 3 plus a latent factor).
///
/// ```text
/// logit P(ALN+) = b0 + w_h × clinical_effect_scale × (age_per_year × (age − age_centre)
///                 + birads_per_step × step(4A=0..5=3) + grade_per_step × (grade − 1)
///                 + us_aln_suspicious × [US-ALN suspicious]) + aggressiveness × z
/// z = ρ × s + √(1 − ρ²) × e,   e ~ N(0, 1)
/// ```
/// with z the latent tumour aggressiveness (mean 0, SD 1), w_h the
/// hospital's [`CohortSpec::clinical_weight`], ρ = `clinical_correlation`
/// and s the BI-RADS step standardised by the cohort's Table 1 percentages
/// (mean 0 and SD 1 in expectation): an aggressive tumour looks more
/// suspicious to the radiologist, who reads BI-RADS from the same image.
/// b0 is implied by drawing exactly the cohort's ALN+ count (see
/// `draw_exact_labels`). Other clinical columns carry no effect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeModel {
    /// Log-odds per year of age (Table 3: −0.0184).
    pub age_per_year: f64,
    /// Age the effect is centred on, years.
    pub age_centre: f64,
    /// Log-odds per BI-RADS step 4A<4B<4C<5 (Table 3: 0.3811).
    pub birads_per_step: f64,
    /// Log-odds per nuclear-grade step I<II<III (Table 3: 0.3896).
    pub grade_per_step: f64,
    /// Log-odds for suspicious US-ALN (Table 3: 0.7001).
    pub us_aln_suspicious: f64,
    /// Multiplier on the four conditional clinical effects. A fit that omits
    /// the latent z shrinks them (logistic non-collapsibility) by about
    /// 1/sqrt(1 + 0.35 aggressiveness²), about 1/3.7 at aggressiveness 6.
    /// Default 4.0: on seed 2024 the clinical-only fit on TC (the study's
    /// Table 3) recovers age −0.020, BI-RADS 0.75 (larger than Table 3's
    /// 0.38: BI-RADS also shows z), grade 0.48, US-ALN 0.65.
    pub clinical_effect_scale: f64,
    /// Log-odds per SD of latent aggressiveness (the image's signal).
    pub aggressiveness: f64,
    /// Correlation ρ of the latent aggressiveness with the standardised
    /// BI-RADS step (0 = independent, as in older parameter files; at most
    /// 0.95).
    #[serde(default)]
    pub clinical_correlation: f64,
}

/// One lesion trait: value = base + per_aggressiveness × z + noise_sd × N(0,1),
/// then clamped to the trait's range (documented on the field using it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Trait {
    /// Value at average aggressiveness.
    pub base: f64,
    /// Change per SD of latent aggressiveness (signal).
    pub per_aggressiveness: f64,
    /// SD of patient-level noise independent of aggressiveness.
    pub noise_sd: f64,
}

/// How a lesion looks, as functions of latent aggressiveness z.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LesionModel {
    /// RMS relative radial perturbation of the outline from harmonics 2–7
    /// (margin irregularity, lobulation), clamped to [0, 0.35].
    pub irregularity: Trait,
    /// Spiculation in [0, 1] (clamped): number of spicules ≈ 20 × value,
    /// spicule length ≈ (0.15 + 0.35 × value) × radius.
    pub spiculation: Trait,
    /// log(depth / width) of the lesion ellipse: > 0 is taller-than-wide,
    /// clamped to [−1.2, 0.5].
    pub log_aspect: Trait,
    /// Lesion echo level relative to glandular tissue, dB (clamped [−35, −18]: always darker than fat).
    pub echo_db: Trait,
    /// Internal heterogeneity: scale of the internal echo modulation (a
    /// smooth field of SD ≈ 1.8 × value in natural-log power units), clamped
    /// to [0, 1.5].
    pub heterogeneity: Trait,
    /// Echogenic halo thickness, mm, clamped to [0, 3].
    pub halo_mm: Trait,
    /// Width of the indistinct margin transition, mm, clamped to [0.05, 2].
    pub margin_mm: Trait,
    /// Posterior acoustic feature, natural log of power gain under the lesion:
    /// < 0 shadowing, > 0 enhancement; clamped to [−3, 1.5].
    pub posterior: Trait,
    /// Expected number of microcalcifications (bright foci), clamped [0, 12].
    pub calcifications: Trait,
    /// SD of the lesion tilt from horizontal, degrees.
    pub tilt_sd_deg: f64,
    /// SD σ of a patient-level term, shared by every trait, that the latent
    /// aggressiveness does not explain: the traits follow the phenotype
    /// (z + σ u) / √(1 + σ²), u ~ N(0, 1), instead of z, so no image can
    /// predict z better than correlation 1 / √(1 + σ²). 0 when absent (older
    /// parameter files).
    #[serde(default)]
    pub phenotype_noise_sd: f64,
}

/// Layer depths (fractions of the field-of-view depth) and echogenicities
/// (power relative to glandular tissue).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnatomyModel {
    /// Skin thickness, mm.
    pub skin_mm: f64,
    /// Skin echo power.
    pub skin_echo: f64,
    /// Mean depth of the fat/gland boundary, fraction of depth.
    pub fat_bottom: f64,
    /// Subcutaneous and retromammary fat echo power.
    pub fat_echo: f64,
    /// Cooper's ligament echo power.
    pub ligament_echo: f64,
    /// Mean depth of the gland's deep boundary, fraction of depth.
    pub gland_bottom: f64,
    /// SD of the glandular texture, natural-log power units.
    pub gland_texture: f64,
    /// Mean depth of the pectoral muscle top, fraction of depth.
    pub muscle_top: f64,
    /// Pectoral muscle thickness, fraction of depth.
    pub muscle_thickness: f64,
    /// Muscle echo power (between striations).
    pub muscle_echo: f64,
    /// Echo power below the muscle (chest wall).
    pub chest_echo: f64,
}

/// How the ICC re-outlines differ from the true outline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReaderModel {
    /// Angular window (degrees) over which a reader smooths the outline
    /// (readers do not trace every spicule).
    pub smoothing_deg: f64,
    /// RMS relative radial jitter from harmonics 1–4 (smooth boundary wobble).
    pub jitter_rms: f64,
    /// Systematic relative radius change of reader 1's repeat outline.
    pub reader1_bias: f64,
    /// Systematic relative radius change of reader 2 (a looser tracer).
    pub reader2_bias: f64,
}

/// Noise of one kind of read: the reader's lasting view of a patient and
/// the occasion (the part a repeat read redraws).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReadNoise {
    /// SD of the reader × patient term (shared by a reader's reads of a patient).
    pub reader_sd: f64,
    /// SD of the read-occasion term.
    pub occasion_sd: f64,
}

/// The radiologists' reads (readers.csv), a latent-threshold model per read
/// (formulas in the `readers` module). Targets, from the paper: the five
/// readers' pooled consensus (majority) over the external cohorts reaches AUC
/// 0.703 with SENS ≈ 63% and SPE ≈ 77%, and inter-/intra-observer kappas
/// are "substantial" (Landis–Koch 0.61–0.80). Values chosen by a Monte Carlo
/// of the model (2 × 10⁵ patients at the EVCs' 43% ALN+ rate): consensus
/// SENS 0.63, SPE 0.77 (AUC 0.70); mean pairwise kappa between / within
/// readers: ALN call 0.67 / 0.78, BI-RADS (unweighted) 0.63 / 0.72, US-ALN
/// 0.66 / 0.78. On the default study (seed 2024, scale 1; 112 ALN+ and 150
/// ALN− patients over EVC1–3): consensus SENS 0.661, SPE 0.780, AUC 0.720;
/// kappas between / within readers 0.680 / 0.786 (call), 0.613 / 0.777
/// (BI-RADS), 0.652 / 0.765 (US-ALN); the five readers' SENS 0.58–0.71 and
/// SPE 0.71–0.81.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RadiologistModel {
    /// Cohorts that get a readers.csv (the paper's readers read the external
    /// cohorts; its pooled row is over all EVCs).
    pub cohorts: Vec<String>,
    /// Fraction of each reader cohort's patients read a second time by every
    /// reader, for intra-observer agreement (0.3: enough pairs, ~80 over the
    /// EVCs, for a kappa CI of about ±0.1).
    pub repeat_fraction: f64,
    /// Threshold offset of each reader (one per reader; five readers as the
    /// paper's), in SD units of the latent: −0.2 (most ready to call ALN+) to
    /// +0.2, so per-reader SENS spans about 0.55–0.69 and SPE 0.69–0.81 around
    /// the consensus, as individual radiologists differ.
    pub reader_offsets: Vec<f64>,
    /// Shift of the ALN-call latent for ALN+ patients, in SDs of its
    /// patient-level noise (1.08: with `aln_threshold` gives consensus SENS
    /// 0.63 and SPE 0.77, i.e. 0.74 = Φ⁻¹(0.77) and 0.74 − 1.08 = Φ⁻¹(0.37)).
    pub aln_separation: f64,
    /// Call threshold of the ALN latent (0.74 = Φ⁻¹(0.77): SPE 0.77).
    pub aln_threshold: f64,
    /// Noise of the ALN call (0.28/0.30: kappa 0.67 between, 0.78 within readers).
    pub aln_noise: ReadNoise,
    /// Noise of the BI-RADS read around the clinical category, in categories
    /// (0.30/0.28: unweighted kappa 0.63 between, 0.72 within readers).
    pub birads_noise: ReadNoise,
    /// Half-distance of the US-ALN latent between clinically suspicious and
    /// non-suspicious axillae (the scale for `us_aln_noise`).
    pub us_aln_separation: f64,
    /// Noise of the US-ALN read (0.6/0.45 with separation 1: each read agrees
    /// with the clinical US-ALN for ~91% of patients; kappa 0.66 between,
    /// 0.78 within readers).
    pub us_aln_noise: ReadNoise,
}

impl Default for RadiologistModel {
    fn default() -> Self {
        RadiologistModel {
            cohorts: vec!["EVC1".into(), "EVC2".into(), "EVC3".into()],
            repeat_fraction: 0.3,
            reader_offsets: vec![-0.2, -0.1, 0.0, 0.1, 0.2],
            aln_separation: 1.08,
            aln_threshold: 0.74,
            aln_noise: ReadNoise {
                reader_sd: 0.28,
                occasion_sd: 0.30,
            },
            birads_noise: ReadNoise {
                reader_sd: 0.30,
                occasion_sd: 0.28,
            },
            us_aln_separation: 1.0,
            us_aln_noise: ReadNoise {
                reader_sd: 0.6,
                occasion_sd: 0.45,
            },
        }
    }
}

impl Default for SimParams {
    fn default() -> Self {
        let t = |base, per_aggressiveness, noise_sd| Trait {
            base,
            per_aggressiveness,
            noise_sd,
        };
        SimParams {
            cohorts: vec![
                CohortSpec {
                    name: "TC".into(),
                    id_prefix: "TC".into(),
                    n: 621,
                    positives: 215,
                    table1: Table1 {
                        age_mean: 54.50,
                        age_sd: 11.51,
                        size_mean: 2.24,
                        size_sd: 1.06,
                        bmi_pct: [38.2, 27.7, 28.0, 6.1],
                        birads_pct: [27.7, 23.2, 21.4, 27.7],
                        location_pct: [20.9, 9.8, 26.3, 10.6, 32.4],
                        grade_pct: [15.5, 48.0, 36.6],
                        tumour_type_pct: [9.5, 78.7, 6.9, 4.8],
                        er_pos_pct: 72.6,
                        pr_pos_pct: 64.7,
                        her2_pos_pct: 83.7,
                        ki67_pos_pct: 82.8,
                        subtype_pct: [39.9, 34.8, 20.5, 4.8],
                        us_aln_suspicious_pct: 39.0,
                    },
                    scanner: Scanner {
                        width: 480,
                        height: 360,
                        fov_width_mm: 45.0,
                        gain_db: -16.0,
                        dynamic_range_db: 46.0,
                        psf_lateral_mm: 0.25,
                        psf_axial_mm: 0.11,
                        blur_px: 0.6,
                        compounding: 2,
                        attenuation_db_per_mm: 0.8,
                        tgc_compensation: 0.85,
                        noise_floor: 0.02,
                    },
                    clinical_weight: 1.0,
                },
                CohortSpec {
                    name: "EVC1".into(),
                    id_prefix: "EVC1_".into(),
                    n: 112,
                    positives: 45,
                    table1: Table1 {
                        age_mean: 55.19,
                        age_sd: 10.65,
                        size_mean: 2.26,
                        size_sd: 1.12,
                        bmi_pct: [32.1, 32.1, 31.3, 4.5],
                        birads_pct: [16.1, 31.3, 7.1, 45.5],
                        location_pct: [18.8, 10.7, 33.9, 23.2, 13.4],
                        grade_pct: [4.5, 59.8, 35.7],
                        tumour_type_pct: [3.6, 86.6, 7.1, 2.7],
                        er_pos_pct: 74.1,
                        pr_pos_pct: 69.6,
                        her2_pos_pct: 30.4,
                        ki67_pos_pct: 80.4,
                        subtype_pct: [14.3, 63.4, 9.8, 12.5],
                        us_aln_suspicious_pct: 33.0,
                    },
                    scanner: Scanner {
                        width: 560,
                        height: 420,
                        fov_width_mm: 50.0,
                        gain_db: -12.0,
                        dynamic_range_db: 54.0,
                        psf_lateral_mm: 0.32,
                        psf_axial_mm: 0.14,
                        blur_px: 0.9,
                        compounding: 3,
                        attenuation_db_per_mm: 0.9,
                        tgc_compensation: 0.80,
                        noise_floor: 0.03,
                    },
                    clinical_weight: 1.0,
                },
                CohortSpec {
                    name: "EVC2".into(),
                    id_prefix: "EVC2_".into(),
                    n: 87,
                    positives: 35,
                    table1: Table1 {
                        age_mean: 53.93,
                        age_sd: 11.94,
                        size_mean: 2.17,
                        size_sd: 1.21,
                        bmi_pct: [29.9, 31.0, 36.8, 2.3],
                        birads_pct: [6.9, 13.8, 13.8, 65.5],
                        location_pct: [28.7, 6.9, 28.7, 14.9, 20.7],
                        grade_pct: [14.9, 56.3, 28.7],
                        tumour_type_pct: [8.1, 81.6, 6.9, 3.5],
                        er_pos_pct: 73.6,
                        pr_pos_pct: 59.8,
                        her2_pos_pct: 75.9,
                        ki67_pos_pct: 75.9,
                        subtype_pct: [6.9, 66.7, 23.0, 3.5],
                        us_aln_suspicious_pct: 50.6,
                    },
                    scanner: Scanner {
                        width: 440,
                        height: 330,
                        fov_width_mm: 40.0,
                        gain_db: -14.0,
                        dynamic_range_db: 42.0,
                        psf_lateral_mm: 0.21,
                        psf_axial_mm: 0.09,
                        blur_px: 0.4,
                        compounding: 2,
                        attenuation_db_per_mm: 0.75,
                        tgc_compensation: 0.9,
                        noise_floor: 0.015,
                    },
                    clinical_weight: 1.2,
                },
                CohortSpec {
                    name: "EVC3".into(),
                    id_prefix: "EVC3_".into(),
                    n: 63,
                    positives: 32,
                    table1: Table1 {
                        age_mean: 54.78,
                        age_sd: 9.83,
                        size_mean: 2.22,
                        size_sd: 0.98,
                        bmi_pct: [33.3, 34.9, 22.2, 9.5],
                        birads_pct: [20.6, 33.3, 28.6, 17.5],
                        location_pct: [49.2, 19.1, 9.5, 20.6, 1.6],
                        grade_pct: [15.9, 58.7, 25.4],
                        tumour_type_pct: [3.2, 95.2, 0.0, 1.6],
                        er_pos_pct: 55.6,
                        pr_pos_pct: 66.7,
                        her2_pos_pct: 76.2,
                        ki67_pos_pct: 74.6,
                        subtype_pct: [1.6, 61.9, 23.8, 12.7],
                        us_aln_suspicious_pct: 34.9,
                    },
                    scanner: Scanner {
                        width: 400,
                        height: 300,
                        fov_width_mm: 42.0,
                        gain_db: -13.0,
                        dynamic_range_db: 51.0,
                        psf_lateral_mm: 0.3,
                        psf_axial_mm: 0.13,
                        blur_px: 0.8,
                        compounding: 2,
                        attenuation_db_per_mm: 0.85,
                        tgc_compensation: 0.85,
                        noise_floor: 0.025,
                    },
                    clinical_weight: 0.55,
                },
            ],
            outcome: OutcomeModel {
                age_per_year: -0.0184,
                age_centre: 54.5,
                birads_per_step: 0.3811,
                grade_per_step: 0.3896,
                us_aln_suspicious: 0.7001,
                clinical_effect_scale: 4.0,
                aggressiveness: 6.0,
                clinical_correlation: 0.3,
            },
            lesion: LesionModel {
                irregularity: t(0.10, 0.05, 0.0285),
                spiculation: t(0.25, 0.25, 0.1125),
                log_aspect: t(-0.45, 0.25, 0.135),
                echo_db: t(-21.0, -2.5, 1.6875),
                heterogeneity: t(0.6, 0.3, 0.135),
                halo_mm: t(0.5, 0.45, 0.225),
                margin_mm: t(0.35, 0.2, 0.09),
                posterior: t(-0.6, -1.3, 0.39),
                calcifications: t(1.5, 1.5, 0.9),
                tilt_sd_deg: 8.0,
                phenotype_noise_sd: 0.25,
            },
            anatomy: AnatomyModel {
                skin_mm: 1.6,
                skin_echo: 6.0,
                fat_bottom: 0.2,
                fat_echo: 0.04,
                ligament_echo: 0.8,
                gland_bottom: 0.74,
                gland_texture: 0.55,
                muscle_top: 0.8,
                muscle_thickness: 0.12,
                muscle_echo: 0.12,
                chest_echo: 0.02,
            },
            readers: ReaderModel {
                smoothing_deg: 12.0,
                jitter_rms: 0.07,
                reader1_bias: 0.0,
                reader2_bias: 0.04,
            },
            radiologists: RadiologistModel::default(),
            icc_patients: 60,
            icc_cohort: 0,
            preview_images: 8,
        }
    }
}

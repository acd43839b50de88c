//! The registry of feature families (style.md "Feature families"): it fixes
//! the 544 released column names, their order, and which family computes
//! each column, and provides the one entry point [`extract`].
//!
//! Families return their values in the order of their `columns`; a family
//! may fill non-adjacent columns (fractal fills FD, column 20, and FD.1 …
//! FBM7, columns 312–319; boundary fills bLB*/bNRG, columns 28–32, and nrg,
//! column 546). Names are the header of the released tables (EVC1.csv,
//! columns 3..) and of BUSAT's BUS01 reference, as read through R
//! (`bLB25%` → `bLB25.`, second `FD` → `FD.1`).

use crate::error::RadiomicsError;
use crate::{Prepared, boundary, margin, orientation, posterior, shape};
use crate::{autocorr, average_mass, complexity, fractal, glcm, histogram, laws, lbp, ranklet};

/// The 544 handcrafted feature names in released order (columns 3–546 of
/// the released tables, handcrafted-features.md §4).
#[rustfmt::skip]
pub const COLUMNS: [&str; 544] = [
    "sNRV", "sOR", "sENC", "sENS", "sLS", "sAX_MX", "sAX_MN", "sROUND", "sSC", "sPD", "sNRL_mean",
    "sNRL_sd", "sNRL_ar", "sNRL_rg", "sNRL_ent", "sNRL_zc", "Spicul", "FD", "oAngle", "oDWR",
    "PS_D", "MSD", "mMU", "mMA", "mMUA", "bLB10px", "bLB25.", "bLB50.", "bLB100.", "bNRG", "hBAG",
    "hAG", "hAHg", "hEgy", "hMEgy", "hEtp", "hMEtp", "hSD", "hMSD", "hSk", "hMSk", "hDiff", "hCtr",
    "AutoCorr", "LB_d", "EP_i", "EP_g", "EP_c", "LBP_0", "LBP_1", "LBP_2", "LBP_3", "LBP_4",
    "LBP_5", "LBP_6", "LBP_7", "LBP_8", "LBP_9", "LBP_10", "LBP_11", "LBP_12", "LBP_13", "LBP_14",
    "LBP_15", "LBP_16", "LBP_17", "LBP_18", "LBP_19", "LBP_20", "LBP_21", "LBP_22", "LBP_23",
    "LBP_24", "LBP_25", "LBP_26", "LBP_27", "LBP_28", "LBP_29", "LBP_30", "LBP_31", "LBP_32",
    "LBP_33", "LBP_34", "LBP_35", "LBP_36", "LBP_37", "LBP_38", "LBP_39", "LBP_40", "LBP_41",
    "LBP_42", "LBP_43", "LBP_44", "LBP_45", "LBP_46", "LBP_47", "LBP_48", "LBP_49", "LBP_50",
    "LBP_51", "LBP_52", "LBP_53", "LBP_54", "LBP_55", "LBP_56", "LBP_57", "LBP_58", "LBP_59",
    "LBP_60", "LBP_61", "LBP_62", "LBP_63", "LBP_64", "LBP_65", "LBP_66", "LBP_67", "LBP_68",
    "LBP_69", "LBP_70", "LBP_71", "LBP_72", "LBP_73", "LBP_74", "LBP_75", "LBP_76", "LBP_77",
    "LBP_78", "LBP_79", "LBP_80", "LBP_81", "LBP_82", "LBP_83", "LBP_84", "LBP_85", "LBP_86",
    "LBP_87", "LBP_88", "LBP_89", "LBP_90", "LBP_91", "LBP_92", "LBP_93", "LBP_94", "LBP_95",
    "LBP_96", "LBP_97", "LBP_98", "LBP_99", "LBP_100", "LBP_101", "LBP_102", "LBP_103", "LBP_104",
    "LBP_105", "LBP_106", "LBP_107", "LBP_108", "LBP_109", "LBP_110", "LBP_111", "LBP_112",
    "LBP_113", "LBP_114", "LBP_115", "LBP_116", "LBP_117", "LBP_118", "LBP_119", "LBP_120",
    "LBP_121", "LBP_122", "LBP_123", "LBP_124", "LBP_125", "LBP_126", "LBP_127", "LBP_128",
    "LBP_129", "LBP_130", "LBP_131", "LBP_132", "LBP_133", "LBP_134", "LBP_135", "LBP_136",
    "LBP_137", "LBP_138", "LBP_139", "LBP_140", "LBP_141", "LBP_142", "LBP_143", "LBP_144",
    "LBP_145", "LBP_146", "LBP_147", "LBP_148", "LBP_149", "LBP_150", "LBP_151", "LBP_152",
    "LBP_153", "LBP_154", "LBP_155", "LBP_156", "LBP_157", "LBP_158", "LBP_159", "LBP_160",
    "LBP_161", "LBP_162", "LBP_163", "LBP_164", "LBP_165", "LBP_166", "LBP_167", "LBP_168",
    "LBP_169", "LBP_170", "LBP_171", "LBP_172", "LBP_173", "LBP_174", "LBP_175", "LBP_176",
    "LBP_177", "LBP_178", "LBP_179", "LBP_180", "LBP_181", "LBP_182", "LBP_183", "LBP_184",
    "LBP_185", "LBP_186", "LBP_187", "LBP_188", "LBP_189", "LBP_190", "LBP_191", "LBP_192",
    "LBP_193", "LBP_194", "LBP_195", "LBP_196", "LBP_197", "LBP_198", "LBP_199", "LBP_200",
    "LBP_201", "LBP_202", "LBP_203", "LBP_204", "LBP_205", "LBP_206", "LBP_207", "LBP_208",
    "LBP_209", "LBP_210", "LBP_211", "LBP_212", "LBP_213", "LBP_214", "LBP_215", "LBP_216",
    "LBP_217", "LBP_218", "LBP_219", "LBP_220", "LBP_221", "LBP_222", "LBP_223", "LBP_224",
    "LBP_225", "LBP_226", "LBP_227", "LBP_228", "LBP_229", "LBP_230", "LBP_231", "LBP_232",
    "LBP_233", "LBP_234", "LBP_235", "LBP_236", "LBP_237", "LBP_238", "LBP_239", "LBP_240",
    "LBP_241", "LBP_242", "LBP_243", "LBP_244", "LBP_245", "LBP_246", "LBP_247", "LBP_248",
    "LBP_249", "LBP_250", "LBP_251", "LBP_252", "LBP_253", "LBP_254", "LBP_255", "CC_mv", "CC_av",
    "CC_sm", "CC_std", "CC_ent", "FD.1", "FBM1", "FBM2", "FBM3", "FBM4", "FBM5", "FBM6", "FBM7",
    "glcm_autoc_D1_mean", "glcm_autoc_D2_mean", "glcm_autoc_D4_mean", "glcm_autoc_D8_mean",
    "glcm_contr_D1_mean", "glcm_contr_D2_mean", "glcm_contr_D4_mean", "glcm_contr_D8_mean",
    "glcm_corrm_D1_mean", "glcm_corrm_D2_mean", "glcm_corrm_D4_mean", "glcm_corrm_D8_mean",
    "glcm_corrh_D1_mean", "glcm_corrh_D2_mean", "glcm_corrh_D4_mean", "glcm_corrh_D8_mean",
    "glcm_cprom_D1_mean", "glcm_cprom_D2_mean", "glcm_cprom_D4_mean", "glcm_cprom_D8_mean",
    "glcm_cshad_D1_mean", "glcm_cshad_D2_mean", "glcm_cshad_D4_mean", "glcm_cshad_D8_mean",
    "glcm_dissi_D1_mean", "glcm_dissi_D2_mean", "glcm_dissi_D4_mean", "glcm_dissi_D8_mean",
    "glcm_energ_D1_mean", "glcm_energ_D2_mean", "glcm_energ_D4_mean", "glcm_energ_D8_mean",
    "glcm_entro_D1_mean", "glcm_entro_D2_mean", "glcm_entro_D4_mean", "glcm_entro_D8_mean",
    "glcm_homom_D1_mean", "glcm_homom_D2_mean", "glcm_homom_D4_mean", "glcm_homom_D8_mean",
    "glcm_maxpr_D1_mean", "glcm_maxpr_D2_mean", "glcm_maxpr_D4_mean", "glcm_maxpr_D8_mean",
    "glcm_sosvh_D1_mean", "glcm_sosvh_D2_mean", "glcm_sosvh_D4_mean", "glcm_sosvh_D8_mean",
    "glcm_savgh_D1_mean", "glcm_savgh_D2_mean", "glcm_savgh_D4_mean", "glcm_savgh_D8_mean",
    "glcm_svarh_D1_mean", "glcm_svarh_D2_mean", "glcm_svarh_D4_mean", "glcm_svarh_D8_mean",
    "glcm_senth_D1_mean", "glcm_senth_D2_mean", "glcm_senth_D4_mean", "glcm_senth_D8_mean",
    "glcm_dvarh_D1_mean", "glcm_dvarh_D2_mean", "glcm_dvarh_D4_mean", "glcm_dvarh_D8_mean",
    "glcm_denth_D1_mean", "glcm_denth_D2_mean", "glcm_denth_D4_mean", "glcm_denth_D8_mean",
    "glcm_inf1h_D1_mean", "glcm_inf1h_D2_mean", "glcm_inf1h_D4_mean", "glcm_inf1h_D8_mean",
    "glcm_inf2h_D1_mean", "glcm_inf2h_D2_mean", "glcm_inf2h_D4_mean", "glcm_inf2h_D8_mean",
    "glcm_indnc_D1_mean", "glcm_indnc_D2_mean", "glcm_indnc_D4_mean", "glcm_indnc_D8_mean",
    "glcm_idmnc_D1_mean", "glcm_idmnc_D2_mean", "glcm_idmnc_D4_mean", "glcm_idmnc_D8_mean",
    "eE5L5_mean", "eS5L5_mean", "eW5L5_mean", "eR5L5_mean", "eE5E5_mean", "eS5E5_mean",
    "eW5E5_mean", "eR5E5_mean", "eS5S5_mean", "eW5S5_mean", "eR5S5_mean", "eW5W5_mean",
    "eR5W5_mean", "eR5R5_mean", "eE5L5_std", "eS5L5_std", "eW5L5_std", "eR5L5_std", "eE5E5_std",
    "eS5E5_std", "eW5E5_std", "eR5E5_std", "eS5S5_std", "eW5S5_std", "eR5S5_std", "eW5W5_std",
    "eR5W5_std", "eR5R5_std", "eE5L5_skw", "eS5L5_skw", "eW5L5_skw", "eR5L5_skw", "eE5E5_skw",
    "eS5E5_skw", "eW5E5_skw", "eR5E5_skw", "eS5S5_skw", "eW5S5_skw", "eR5S5_skw", "eW5W5_skw",
    "eR5W5_skw", "eR5R5_skw", "eE5L5_kur", "eS5L5_kur", "eW5L5_kur", "eR5L5_kur", "eE5E5_kur",
    "eS5E5_kur", "eW5E5_kur", "eR5E5_kur", "eS5S5_kur", "eW5S5_kur", "eR5S5_kur", "eW5W5_kur",
    "eR5W5_kur", "eR5R5_kur", "eE5L5_egy", "eS5L5_egy", "eW5L5_egy", "eR5L5_egy", "eE5E5_egy",
    "eS5E5_egy", "eW5E5_egy", "eR5E5_egy", "eS5S5_egy", "eW5S5_egy", "eR5S5_egy", "eW5W5_egy",
    "eR5W5_egy", "eR5R5_egy", "entro_mean_D1_R2", "corr_mean_D1_R2", "dissi_mean_D1_R2",
    "homo_mean_D1_R2", "entro_rng_D1_R2", "corr_rng_D1_R2", "dissi_rng_D1_R2", "homo_rng_D1_R2",
    "entro_mad_D1_R2", "corr_mad_D1_R2", "dissi_mad_D1_R2", "homo_mad_D1_R2", "entro_mean_D1_R4",
    "corr_mean_D1_R4", "dissi_mean_D1_R4", "homo_mean_D1_R4", "entro_rng_D1_R4", "corr_rng_D1_R4",
    "dissi_rng_D1_R4", "homo_rng_D1_R4", "entro_mad_D1_R4", "corr_mad_D1_R4", "dissi_mad_D1_R4",
    "homo_mad_D1_R4", "entro_mean_D1_R8", "corr_mean_D1_R8", "dissi_mean_D1_R8", "homo_mean_D1_R8",
    "entro_rng_D1_R8", "corr_rng_D1_R8", "dissi_rng_D1_R8", "homo_rng_D1_R8", "entro_mad_D1_R8",
    "corr_mad_D1_R8", "dissi_mad_D1_R8", "homo_mad_D1_R8", "entro_mean_D4_R2", "corr_mean_D4_R2",
    "dissi_mean_D4_R2", "homo_mean_D4_R2", "entro_rng_D4_R2", "corr_rng_D4_R2", "dissi_rng_D4_R2",
    "homo_rng_D4_R2", "entro_mad_D4_R2", "corr_mad_D4_R2", "dissi_mad_D4_R2", "homo_mad_D4_R2",
    "entro_mean_D4_R4", "corr_mean_D4_R4", "dissi_mean_D4_R4", "homo_mean_D4_R4",
    "entro_rng_D4_R4", "corr_rng_D4_R4", "dissi_rng_D4_R4", "homo_rng_D4_R4", "entro_mad_D4_R4",
    "corr_mad_D4_R4", "dissi_mad_D4_R4", "homo_mad_D4_R4", "entro_mean_D4_R8", "corr_mean_D4_R8",
    "dissi_mean_D4_R8", "homo_mean_D4_R8", "entro_rng_D4_R8", "corr_rng_D4_R8", "dissi_rng_D4_R8",
    "homo_rng_D4_R8", "entro_mad_D4_R8", "corr_mad_D4_R8", "dissi_mad_D4_R8", "homo_mad_D4_R8",
    "nrg",
];

/// One feature family: its name, the columns it fills (in the order its
/// `compute` returns them) and the function that computes them.
pub struct Family {
    /// Family name (the module that computes it).
    pub name: &'static str,
    /// Column names this family fills, in the order of `compute`'s output.
    pub columns: &'static [&'static str],
    /// Computes the family's values from the prepared image and mask.
    pub compute: fn(&Prepared) -> Vec<f64>,
}

/// Column slice of [`COLUMNS`] by 0-based range (columns 3.. of the CSV are index 0..).
const fn cols(start: usize, end: usize) -> &'static [&'static str] {
    COLUMNS.split_at(end).0.split_at(start).1
}

/// Fractal's columns: FD (column 20) first, then FD.1 and FBM1…FBM7.
const FRACTAL_COLUMNS: [&str; 9] = [
    "FD", "FD.1", "FBM1", "FBM2", "FBM3", "FBM4", "FBM5", "FBM6", "FBM7",
];

/// Every family in the order of its first column (handcrafted-features.md §4).
pub static FAMILIES: &[Family] = &[
    Family {
        name: "shape",
        columns: &shape::COLUMNS,
        compute: shape::compute,
    },
    Family {
        name: "fractal",
        columns: &FRACTAL_COLUMNS,
        compute: fractal::compute,
    },
    Family {
        name: "orientation",
        columns: &orientation::COLUMNS,
        compute: orientation::compute,
    },
    Family {
        name: "posterior",
        columns: &posterior::COLUMNS,
        compute: posterior::compute,
    },
    Family {
        name: "margin",
        columns: &margin::COLUMNS,
        compute: margin::compute,
    },
    Family {
        name: "boundary",
        columns: &boundary::COLUMNS,
        compute: boundary::compute,
    },
    Family {
        name: "histogram",
        columns: cols(30, 43),
        compute: histogram::compute,
    },
    Family {
        name: "autocorr",
        columns: cols(43, 44),
        compute: autocorr::compute,
    },
    Family {
        name: "average_mass",
        columns: cols(44, 48),
        compute: average_mass::compute,
    },
    Family {
        name: "lbp",
        columns: cols(48, 304),
        compute: lbp::compute,
    },
    Family {
        name: "complexity",
        columns: cols(304, 309),
        compute: complexity::compute,
    },
    Family {
        name: "glcm",
        columns: cols(317, 401),
        compute: glcm::compute,
    },
    Family {
        name: "laws",
        columns: cols(401, 471),
        compute: laws::compute,
    },
    Family {
        name: "ranklet",
        columns: cols(471, 543),
        compute: ranklet::compute,
    },
];

/// The family called `name`, if any.
pub fn family(name: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|f| f.name == name)
}

/// The 544 handcrafted values of one image, in [`COLUMNS`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    /// Values in [`COLUMNS`] order; NaN where BUSAT's formulas give NaN (§9).
    pub values: Vec<f64>,
}

impl Features {
    /// The column names, in the order of [`Features::values`].
    pub fn names(&self) -> &'static [&'static str] {
        &COLUMNS
    }
    /// The value of column `name`, if it is one of the 544.
    pub fn get(&self, name: &str) -> Option<f64> {
        COLUMNS
            .iter()
            .position(|&c| c == name)
            .map(|i| self.values[i])
    }
    /// Number of NaN values (the CLI reports them; MSD is NaN when the lesion
    /// spans both side borders, §5.2).
    pub fn nan_count(&self) -> usize {
        self.values.iter().filter(|v| v.is_nan()).count()
    }
}

/// Computes all families on a prepared input and places each value in its
/// released column.
pub fn extract_prepared(p: &Prepared) -> Features {
    // No clock here: `Instant` does not exist on wasm32-unknown-unknown (the
    // in-browser DLRN calls this).
    place(|f| (f.compute)(p))
}

/// [`extract_prepared`], calling `done(family, elapsed)` after each family
/// (for profiling: `dlrn extract handcrafted --timings`).
pub fn extract_prepared_timed(
    p: &Prepared,
    mut done: impl FnMut(&'static str, std::time::Duration),
) -> Features {
    place(|f| {
        let t0 = std::time::Instant::now();
        let v = (f.compute)(p);
        done(f.name, t0.elapsed());
        v
    })
}

/// Every family's values from `compute`, each placed in its released column.
fn place(mut compute: impl FnMut(&Family) -> Vec<f64>) -> Features {
    let mut values = vec![f64::NAN; COLUMNS.len()];
    for f in FAMILIES {
        let v = compute(f);
        debug_assert_eq!(v.len(), f.columns.len(), "family {}", f.name);
        // Columns are mostly consecutive: try the slot after the previous
        // one before searching (keeps placement linear in the column count).
        let mut next = 0usize;
        for (name, x) in f.columns.iter().zip(v) {
            let i = if COLUMNS.get(next) == Some(name) {
                Some(next)
            } else {
                COLUMNS.iter().position(|c| c == name)
            };
            if let Some(i) = i {
                values[i] = x;
                next = i + 1;
            }
        }
    }
    Features { values }
}

/// The one entry point: the 544 handcrafted features of a whole 8-bit grey
/// image (row-major, `width × height`) and its lesion mask (`true` =
/// lesion), with the released names and order (handcrafted-features.md).
///
/// Despeckles with ISF first (§2.4); errors on size mismatch, an empty mask
/// or several 8-connected lesion regions (§2.3).
pub fn extract(
    width: usize,
    height: usize,
    grey: &[u8],
    mask: &[bool],
) -> Result<Features, RadiomicsError> {
    Ok(extract_prepared(&Prepared::new(width, height, grey, mask)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_slices_agree_with_the_families_own_names() {
        assert_eq!(
            family("histogram").map(|f| f.columns),
            Some(&histogram::NAMES[..])
        );
        assert_eq!(family("shape").map(|f| f.columns), Some(&COLUMNS[..17]));
        assert_eq!(COLUMNS[17], "FD");
        assert_eq!(&COLUMNS[309..317], &FRACTAL_COLUMNS[1..]);
        assert_eq!(
            family("boundary").map(|f| &f.columns[..5]),
            Some(&COLUMNS[25..30])
        );
        assert_eq!(COLUMNS[543], "nrg");
    }
}

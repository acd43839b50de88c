//! Which extraction and feature family a feature column belongs to: the
//! one rule the reports, the published rerun and harmonisation share.

/// Where a feature column comes from, at both levels the reports name:
/// the extraction and the family within it. The one rule for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureFamily {
    /// `deep` for dlrn-deep's columns f_1..f_2048, else `handcrafted` (the
    /// published rerun's selected-feature table).
    pub extraction: &'static str,
    /// `deep`, else the handcrafted family that holds the column
    /// (dlrn-radiomics), else `other` (the study's ICC and selected-feature
    /// tables).
    pub family: &'static str,
}

/// The extraction and family of a feature column: `f_` followed by digits
/// is deep (the released tables' f_1..f_2048), anything else handcrafted,
/// in the dlrn-radiomics family that lists it or `other`.
pub fn feature_family(feature: &str) -> FeatureFamily {
    if dlrn_bundle::is_deep_feature(feature) {
        return FeatureFamily {
            extraction: "deep",
            family: "deep",
        };
    }
    FeatureFamily {
        extraction: "handcrafted",
        family: dlrn_radiomics::FAMILIES
            .iter()
            .find(|f| f.columns.contains(&feature))
            .map_or("other", |f| f.name),
    }
}

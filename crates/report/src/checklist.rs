//! The reporting checklist page: TRIPOD+AI (Collins et al., BMJ 2024;385:
//! e078378; 27 items, 52 with their sub-items) and the Radiomics Quality
//! Score (Lambin et al., Nat Rev Clin Oncol 2017;14:749–762; 16 components,
//! −8 to 36 points).
//!
//! Each TRIPOD+AI item says which of the run's outputs answer it (relative
//! links, given by the caller in [`Outputs`]) and what is the authors' to
//! answer (ethics, registration, funding, …). The RQS points are computed
//! from [`RqsFacts`], a description of what the run actually did; nothing
//! here reads a file or recomputes a statistic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cells::{csv_header, csv_records};
use crate::error::ReportError;
use crate::format::escape;
use crate::tables::{ReportTable, TextTable};

/// An output of the run that can answer a checklist item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Artefact {
    /// The study configuration (its text and hash are on index.html).
    Config,
    /// manifest.json: inputs' hashes, seed, version.
    Manifest,
    /// index.html, the report itself.
    Index,
    /// Table 1, baseline characteristics with the tests.
    Table1,
    /// Table 2, performance of every model on every cohort.
    Table2,
    /// Table 3, the multivariable clinical model.
    Table3,
    /// The radiologists' rows and Supplementary Table 4.
    Radiologists,
    /// The rescue counts (the model against the radiologists' errors).
    Rescue,
    /// Inter-/intra-observer kappa table.
    Kappa,
    /// The ICC table (feature reproducibility over repeated outlines).
    Icc,
    /// The univariate screen of the clinical variables.
    Screen,
    /// The LASSO-selected features and coefficients.
    SelectedFeatures,
    /// The cut-offs of each model.
    Cutoffs,
    /// Calibration statistics.
    Calibration,
    /// ROC figures.
    Roc,
    /// Decision curves.
    DecisionCurve,
    /// IDI, NRI and C-index comparisons.
    Comparisons,
    /// AUC per molecular subtype.
    Subgroups,
    /// The nomogram figure.
    Nomogram,
    /// The offline calculator.
    Calculator,
    /// Per-patient predictions.
    Predictions,
    /// The frozen model bundle (`dlrn predict` applies it).
    Bundle,
    /// Supplementary Table 6: the DLRN's ICC over repeated outlines.
    Reproducibility,
    /// The clinical model refitted in each cohort.
    ClinicalByCohort,
    /// Bootstrap internal validation of the whole procedure (optimism).
    InternalValidation,
    /// The minimum sample size (pmsampsize) for the training cohort.
    SampleSize,
}

impl Artefact {
    /// The link text.
    pub fn label(self) -> &'static str {
        match self {
            Artefact::Config => "configuration",
            Artefact::Manifest => "manifest",
            Artefact::Index => "report",
            Artefact::Table1 => "Table 1",
            Artefact::Table2 => "Table 2",
            Artefact::Table3 => "Table 3",
            Artefact::Radiologists => "radiologists",
            Artefact::Rescue => "rescue counts",
            Artefact::Kappa => "kappa",
            Artefact::Icc => "ICC",
            Artefact::Screen => "univariate screen",
            Artefact::SelectedFeatures => "selected features",
            Artefact::Cutoffs => "cut-offs",
            Artefact::Calibration => "calibration",
            Artefact::Roc => "ROC curves",
            Artefact::DecisionCurve => "decision curves",
            Artefact::Comparisons => "IDI/NRI",
            Artefact::Subgroups => "subgroup AUCs",
            Artefact::Nomogram => "nomogram",
            Artefact::Calculator => "calculator",
            Artefact::Predictions => "predictions",
            Artefact::Bundle => "model bundle",
            Artefact::Reproducibility => "DLRN reproducibility",
            Artefact::ClinicalByCohort => "clinical model per cohort",
            Artefact::InternalValidation => "bootstrap internal validation",
            Artefact::SampleSize => "sample size",
        }
    }
}

/// The run's outputs by kind, as links relative to the checklist page.
/// An artefact the run did not write is absent.
pub type Outputs = BTreeMap<Artefact, String>;

/// One TRIPOD+AI item as published.
#[derive(Debug, Clone, Copy)]
struct TripodItem {
    section: &'static str,
    number: &'static str,
    topic: &'static str,
    text: &'static str,
    /// Outputs of a run that answer (part of) it.
    answered_by: &'static [Artefact],
    /// What the run's outputs say, or what is left to the authors.
    note: &'static str,
    /// Whether the authors must still answer (part of) it.
    authors: bool,
}

use Artefact as A;

const TRIPOD_AI: &[TripodItem] = &[
    TripodItem {
        section: "Title",
        number: "1",
        topic: "Title",
        text: "Identify the study as developing or evaluating the performance of a multivariable prediction model, the target population, and the outcome to be predicted.",
        answered_by: &[A::Index],
        note: "The report's title names the model and outcome; the article title is the authors'.",
        authors: true,
    },
    TripodItem {
        section: "Abstract",
        number: "2",
        topic: "Abstract",
        text: "See TRIPOD+AI for Abstracts checklist.",
        answered_by: &[],
        note: "The authors'.",
        authors: true,
    },
    TripodItem {
        section: "Introduction",
        number: "3a",
        topic: "Background",
        text: "Explain the healthcare context (including whether diagnostic or prognostic) and rationale for developing or evaluating the prediction model, including references to existing models.",
        answered_by: &[],
        note: "The authors'.",
        authors: true,
    },
    TripodItem {
        section: "Introduction",
        number: "3b",
        topic: "Background",
        text: "Describe the target population and the intended purpose of the prediction model in the care pathway, including its intended users (e.g., healthcare professionals, patients, public).",
        answered_by: &[],
        note: "The authors'.",
        authors: true,
    },
    TripodItem {
        section: "Introduction",
        number: "3c",
        topic: "Background",
        text: "Describe any known health inequalities between sociodemographic groups.",
        answered_by: &[],
        note: "The authors'.",
        authors: true,
    },
    TripodItem {
        section: "Introduction",
        number: "4",
        topic: "Objectives",
        text: "Specify the study objectives, including whether the study describes the development or validation of a prediction model (or both).",
        answered_by: &[A::Config],
        note: "The configuration fixes the training and validation cohorts; the objectives are the authors'.",
        authors: true,
    },
    TripodItem {
        section: "Methods",
        number: "5a",
        topic: "Data",
        text: "Describe the sources of data separately for the development and evaluation datasets (e.g., randomised trial, cohort, routine care or registry data), the rationale for using these data, and representativeness of the data.",
        answered_by: &[A::Manifest, A::Table1],
        note: "Cohort folders and their hashes are in the manifest; sources and rationale are the authors'.",
        authors: true,
    },
    TripodItem {
        section: "Methods",
        number: "5b",
        topic: "Data",
        text: "Specify the dates of the collected participant data, including start and end of participant accrual; and, if applicable, end of follow-up.",
        answered_by: &[],
        note: "The authors' (the cohort contract holds no dates).",
        authors: true,
    },
    TripodItem {
        section: "Methods",
        number: "6a",
        topic: "Participants",
        text: "Specify key elements of the study setting (e.g., primary care, secondary care, general population) including the number and location of centres.",
        answered_by: &[A::Table1],
        note: "One column per cohort (centre); the setting is the authors'.",
        authors: true,
    },
    TripodItem {
        section: "Methods",
        number: "6b",
        topic: "Participants",
        text: "Describe the eligibility criteria for study participants.",
        answered_by: &[],
        note: "The authors'.",
        authors: true,
    },
    TripodItem {
        section: "Methods",
        number: "6c",
        topic: "Participants",
        text: "Give details of any treatments received, and how they were handled during model development or evaluation, if relevant.",
        answered_by: &[],
        note: "The authors'.",
        authors: true,
    },
    TripodItem {
        section: "Methods",
        number: "7",
        topic: "Data preparation",
        text: "Describe any data pre-processing and quality checking, including whether this was similar across relevant sociodemographic groups.",
        answered_by: &[A::Config, A::Icc],
        note: "Despeckling, cropping, resizing and normalisation are set in the configuration; `dlrn validate` checks every input; the ICC filter is tabulated.",
        authors: false,
    },
    TripodItem {
        section: "Methods",
        number: "8a",
        topic: "Outcome",
        text: "Clearly define the outcome that is being predicted and the time horizon, including how and when assessed, the rationale for choosing this outcome, and whether the method of outcome assessment is consistent across sociodemographic groups.",
        answered_by: &[A::Table1],
        note: "ALN status (0/1) per patient; how and when it was assessed is the authors'.",
        authors: true,
    },
    TripodItem {
        section: "Methods",
        number: "8b",
        topic: "Outcome",
        text: "If outcome assessment requires subjective interpretation, describe the qualifications and demographic characteristics of the outcome assessors.",
        answered_by: &[],
        note: "The authors'.",
        authors: true,
    },
    TripodItem {
        section: "Methods",
        number: "8c",
        topic: "Outcome",
        text: "Report any actions to blind assessment of the outcome to be predicted.",
        answered_by: &[],
        note: "The authors'.",
        authors: true,
    },
    TripodItem {
        section: "Methods",
        number: "9a",
        topic: "Predictors",
        text: "Describe the choice of initial predictors (e.g., literature, previous models, all available predictors) and any pre-selection of predictors before model building.",
        answered_by: &[A::Config, A::Screen, A::Icc],
        note: "The clinical variables are declared in the schema; the univariate screen and ICC filter are tabulated.",
        authors: false,
    },
    TripodItem {
        section: "Methods",
        number: "9b",
        topic: "Predictors",
        text: "Clearly define all predictors, including how and when they were measured (and any actions to blind assessment of predictors for the outcome and other predictors).",
        answered_by: &[A::Config, A::SelectedFeatures, A::Table3],
        note: "Feature definitions follow the released column names; blinding of the clinical reads is the authors'.",
        authors: true,
    },
    TripodItem {
        section: "Methods",
        number: "9c",
        topic: "Predictors",
        text: "If predictor measurement requires subjective interpretation, describe the qualifications and demographic characteristics of the predictor assessors.",
        answered_by: &[A::Kappa, A::Icc, A::Reproducibility],
        note: "Observer agreement is tabulated, and the model's own reproducibility over re-outlines; the assessors' qualifications are the authors'.",
        authors: true,
    },
    TripodItem {
        section: "Methods",
        number: "10",
        topic: "Sample size",
        text: "Explain how the study size was arrived at (separately for development and evaluation), and justify that the study size was sufficient to answer the research question. Include details of any sample size calculation.",
        answered_by: &[A::Table1, A::SampleSize],
        note: "Cohort sizes and events are in Table 1; the justification is the authors'.",
        authors: true,
    },
    TripodItem {
        section: "Methods",
        number: "11",
        topic: "Missing data",
        text: "Describe how missing data were handled. Provide reasons for omitting any data.",
        answered_by: &[A::Config, A::Table1],
        note: "The schema's missing-value policy is in the configuration; reasons for missingness are the authors'.",
        authors: true,
    },
    TripodItem {
        section: "Methods",
        number: "12a",
        topic: "Analytical methods",
        text: "Describe how the data were used (e.g., for development and evaluation of model performance) in the analysis, including whether the data were partitioned, considering any sample size requirements.",
        answered_by: &[A::Config],
        note: "Training cohort for development, each external cohort for evaluation.",
        authors: false,
    },
    TripodItem {
        section: "Methods",
        number: "12b",
        topic: "Analytical methods",
        text: "Depending on the type of model, describe how predictors were handled in the analyses (functional form, rescaling, transformation, or any standardisation).",
        answered_by: &[A::Config, A::Table3],
        note: "Factor coding and the LASSO's standardisation are in the configuration.",
        authors: false,
    },
    TripodItem {
        section: "Methods",
        number: "12c",
        topic: "Analytical methods",
        text: "Specify the type of model, rationale, all model-building steps, including any hyperparameter tuning, and method for internal validation.",
        answered_by: &[
            A::Config,
            A::SelectedFeatures,
            A::Screen,
            A::Table3,
            A::InternalValidation,
        ],
        note: "LASSO-logistic with cross-validated lambda, univariate screen and backward elimination, logistic DLRN; the rationale is the authors'.",
        authors: true,
    },
    TripodItem {
        section: "Methods",
        number: "12d",
        topic: "Analytical methods",
        text: "Describe if and how any heterogeneity in estimates of model parameter values and model performance was handled and quantified across clusters (e.g., hospitals, countries).",
        answered_by: &[A::Table2],
        note: "Performance is reported per centre; heterogeneity is not modelled.",
        authors: true,
    },
    TripodItem {
        section: "Methods",
        number: "12e",
        topic: "Analytical methods",
        text: "Specify all measures and plots used (and their rationale) to evaluate model performance (e.g., discrimination, calibration, clinical utility) and, if relevant, to compare multiple models.",
        answered_by: &[
            A::Table2,
            A::Roc,
            A::Calibration,
            A::DecisionCurve,
            A::Comparisons,
        ],
        note: "AUC with DeLong CI, Clopper–Pearson CIs, DeLong tests, calibration, decision curves, IDI/NRI.",
        authors: false,
    },
    TripodItem {
        section: "Methods",
        number: "12f",
        topic: "Analytical methods",
        text: "Describe any model updating (e.g., recalibration) arising from the model evaluation, either overall or for particular sociodemographic groups or settings.",
        answered_by: &[],
        note: "No updating: the frozen model is applied to every validation cohort.",
        authors: false,
    },
    TripodItem {
        section: "Methods",
        number: "12g",
        topic: "Analytical methods",
        text: "For model evaluation, describe how the model predictions were calculated (e.g., formula, code, object, application programming interface).",
        answered_by: &[A::Bundle, A::Nomogram, A::Calculator, A::Predictions],
        note: "The frozen bundle and the nomogram give each prediction.",
        authors: false,
    },
    TripodItem {
        section: "Methods",
        number: "13",
        topic: "Class imbalance",
        text: "If class imbalance methods were used, state why and how this was done, and any subsequent methods to recalibrate the model or the model predictions.",
        answered_by: &[A::Config],
        note: "None used.",
        authors: false,
    },
    TripodItem {
        section: "Methods",
        number: "14",
        topic: "Fairness",
        text: "Describe any approaches that were used to address model fairness and their rationale.",
        answered_by: &[A::Subgroups],
        note: "Performance per molecular subtype; fairness across sociodemographic groups is the authors'.",
        authors: true,
    },
    TripodItem {
        section: "Methods",
        number: "15",
        topic: "Model output",
        text: "Specify the output of the prediction model (e.g., probabilities, classification). Provide details and rationale for any classification and how the thresholds were identified.",
        answered_by: &[A::Cutoffs, A::Predictions],
        note: "Probabilities; classification at the training cohort's Youden cut-off.",
        authors: false,
    },
    TripodItem {
        section: "Methods",
        number: "16",
        topic: "Training versus evaluation",
        text: "Identify any differences between the development and evaluation data in healthcare setting, eligibility criteria, outcome, and predictors.",
        answered_by: &[A::Table1],
        note: "Predictors and outcome compared by cohort with tests; setting and eligibility are the authors'.",
        authors: true,
    },
    TripodItem {
        section: "Methods",
        number: "17",
        topic: "Ethical approval",
        text: "Name the institutional research board or ethics committee that approved the study and describe the participant-informed consent or the ethics committee waiver of informed consent.",
        answered_by: &[],
        note: "The authors'.",
        authors: true,
    },
    TripodItem {
        section: "Open science",
        number: "18a",
        topic: "Funding",
        text: "Give the source of funding and the role of the funders for the present study.",
        answered_by: &[],
        note: "The authors'.",
        authors: true,
    },
    TripodItem {
        section: "Open science",
        number: "18b",
        topic: "Conflicts of interest",
        text: "Declare any conflicts of interest and financial disclosures for all authors.",
        answered_by: &[],
        note: "The authors'.",
        authors: true,
    },
    TripodItem {
        section: "Open science",
        number: "18c",
        topic: "Protocol",
        text: "Indicate where the study protocol can be accessed or state that a protocol was not prepared.",
        answered_by: &[A::Config],
        note: "The analysis protocol is the configuration; a study protocol is the authors'.",
        authors: true,
    },
    TripodItem {
        section: "Open science",
        number: "18d",
        topic: "Registration",
        text: "Provide registration information for the study, including register name and registration number, or state that the study was not registered.",
        answered_by: &[],
        note: "The authors'.",
        authors: true,
    },
    TripodItem {
        section: "Open science",
        number: "18e",
        topic: "Data sharing",
        text: "Provide details of the availability of the study data.",
        answered_by: &[A::Manifest],
        note: "Input hashes identify the data; its availability is the authors'.",
        authors: true,
    },
    TripodItem {
        section: "Open science",
        number: "18f",
        topic: "Code sharing",
        text: "Provide details of the availability of the analytical code.",
        answered_by: &[A::Manifest],
        note: "The manifest names the dlrn version that made every number.",
        authors: false,
    },
    TripodItem {
        section: "Patient and public involvement",
        number: "19",
        topic: "Patient and public involvement",
        text: "Provide details of any patient and public involvement during the design, conduct, reporting, interpretation, or dissemination of the study or state no involvement.",
        answered_by: &[],
        note: "The authors'.",
        authors: true,
    },
    TripodItem {
        section: "Results",
        number: "20a",
        topic: "Participants",
        text: "Describe the flow of participants through the study, including the number of participants with and without the outcome and, if applicable, a summary of the follow-up time. A diagram may be helpful.",
        answered_by: &[A::Table1],
        note: "Patients and events per cohort; exclusions before the cohort folders are the authors'.",
        authors: true,
    },
    TripodItem {
        section: "Results",
        number: "20b",
        topic: "Participants",
        text: "Report the characteristics overall and, where applicable, for each data source or setting, including the key dates, key predictors (including demographics), treatments received, sample size, number of outcome events, follow-up time, and amount of missing data.",
        answered_by: &[A::Table1],
        note: "Per cohort; dates and treatments are the authors'.",
        authors: true,
    },
    TripodItem {
        section: "Results",
        number: "20c",
        topic: "Participants",
        text: "For model evaluation, show a comparison with the development data of the distribution of important predictors (demographics, predictors, and outcome).",
        answered_by: &[A::Table1],
        note: "P of the training cohort against each validation cohort.",
        authors: false,
    },
    TripodItem {
        section: "Results",
        number: "21",
        topic: "Model development",
        text: "Specify the number of participants and outcome events in each analysis (e.g., for model development, hyperparameter tuning, model evaluation).",
        answered_by: &[A::Table1, A::Table2],
        note: "",
        authors: false,
    },
    TripodItem {
        section: "Results",
        number: "22",
        topic: "Model specification",
        text: "Provide details of the full prediction model (e.g., formula, code, object, application programming interface) to allow predictions in new individuals and to enable third-party evaluation and implementation, including any restrictions to access or re-use (e.g., freely available, proprietary).",
        answered_by: &[
            A::SelectedFeatures,
            A::Table3,
            A::Nomogram,
            A::Calculator,
            A::Bundle,
        ],
        note: "",
        authors: false,
    },
    TripodItem {
        section: "Results",
        number: "23a",
        topic: "Model performance",
        text: "Report model performance estimates with confidence intervals, including for any key subgroups (e.g., sociodemographic). Consider plots to aid presentation.",
        answered_by: &[
            A::Table2,
            A::Roc,
            A::Calibration,
            A::DecisionCurve,
            A::Subgroups,
            A::Radiologists,
            A::InternalValidation,
        ],
        note: "",
        authors: false,
    },
    TripodItem {
        section: "Results",
        number: "23b",
        topic: "Model performance",
        text: "If examined, report results of any heterogeneity in model performance across clusters.",
        answered_by: &[A::Table2, A::ClinicalByCohort],
        note: "Per centre, and the clinical model refitted in each centre.",
        authors: false,
    },
    TripodItem {
        section: "Results",
        number: "24",
        topic: "Model updating",
        text: "Report the results from any model updating, including the updated model and subsequent performance.",
        answered_by: &[],
        note: "No updating.",
        authors: false,
    },
    TripodItem {
        section: "Discussion",
        number: "25",
        topic: "Interpretation",
        text: "Give an overall interpretation of the main results, including issues of fairness in the context of the objectives and previous studies.",
        answered_by: &[],
        note: "The authors'.",
        authors: true,
    },
    TripodItem {
        section: "Discussion",
        number: "26",
        topic: "Limitations",
        text: "Discuss any limitations of the study (such as a non-representative sample, sample size, overfitting, missing data) and their effects on any biases, statistical uncertainty, and generalisability.",
        answered_by: &[],
        note: "The authors'.",
        authors: true,
    },
    TripodItem {
        section: "Discussion",
        number: "27a",
        topic: "Usability of the model in the context of current care",
        text: "Describe how poor quality or unavailable input data (e.g., predictor values) should be assessed and handled when implementing the prediction model.",
        answered_by: &[A::Bundle],
        note: "`dlrn predict` refuses and names a patient whose inputs are missing or outside the coding.",
        authors: true,
    },
    TripodItem {
        section: "Discussion",
        number: "27b",
        topic: "Usability of the model in the context of current care",
        text: "Specify whether users will be required to interact in the handling of the input data or use of the model, and what level of expertise is required of users.",
        answered_by: &[A::Calculator],
        note: "A lesion outline is needed; the expertise required is the authors'.",
        authors: true,
    },
    TripodItem {
        section: "Discussion",
        number: "27c",
        topic: "Usability of the model in the context of current care",
        text: "Discuss any next steps for future research, with a specific view to applicability and generalisability of the model.",
        answered_by: &[],
        note: "The authors'.",
        authors: true,
    },
];

/// One TRIPOD+AI item with its answer for this run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TripodRow {
    /// Section (Title, Methods, …).
    pub section: String,
    /// Item number (`12c`).
    pub item: String,
    /// Topic.
    pub topic: String,
    /// The item as published.
    pub text: String,
    /// (link text, relative href) of the run's outputs that answer it.
    pub links: Vec<(String, String)>,
    /// What the run says, or what is the authors'.
    pub note: String,
    /// Whether (part of) the item is the authors' to answer.
    pub authors: bool,
}

/// How a run was validated (RQS item 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Validation {
    /// No validation.
    None,
    /// Internal validation only (same institute).
    Internal,
    /// External validation on datasets from `institutes` distinct other institutes.
    External {
        /// Distinct external institutes (1, 2, 3 or more).
        institutes: usize,
    },
    /// Validation of a previously published signature.
    PublishedSignature,
}

/// What a run did, as the RQS asks it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RqsFacts {
    /// 1: the imaging protocol is documented.
    pub protocol_documented: bool,
    /// 1: the imaging protocol is public.
    pub protocol_public: bool,
    /// 2: features were computed over repeated segmentations (ICC subset).
    pub multiple_segmentations: bool,
    /// 3: a phantom study on all scanners.
    pub phantom_study: bool,
    /// 4: imaging at multiple time points (test–retest).
    pub multiple_time_points: bool,
    /// 5: feature reduction or adjustment for multiple testing.
    pub feature_reduction: bool,
    /// 6: a multivariable model with non-radiomic features.
    pub non_radiomic_features: bool,
    /// 7: biological correlates detected and discussed.
    pub biological_correlates: bool,
    /// 8: cut-off analysis (risk groups by a stated cut-off).
    pub cut_off: bool,
    /// 9: discrimination with its statistical significance.
    pub discrimination: bool,
    /// 9: … and a resampling technique (bootstrap, cross-validation).
    pub discrimination_resampling: bool,
    /// 10: calibration with its statistical significance.
    pub calibration: bool,
    /// 10: … and a resampling technique.
    pub calibration_resampling: bool,
    /// 11: a prospective study registered in a trial database.
    pub prospective_registered: bool,
    /// 12: validation.
    pub validation: Validation,
    /// 13: compared with the current gold standard (e.g. the radiologists).
    pub gold_standard: bool,
    /// 14: potential clinical utility (decision curve analysis).
    pub decision_curve: bool,
    /// 15: a cost-effectiveness analysis.
    pub cost_effectiveness: bool,
    /// 16: the scans are open.
    pub open_scans: bool,
    /// 16: the segmentations are open.
    pub open_segmentations: bool,
    /// 16: the code is open.
    pub open_code: bool,
    /// 16: the features and representative ROIs are open.
    pub open_features: bool,
}

/// One RQS component's points.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RqsRow {
    /// Component number (1–16).
    pub number: u8,
    /// Component.
    pub component: String,
    /// Points earned.
    pub points: i32,
    /// Lowest possible.
    pub min: i32,
    /// Highest possible.
    pub max: i32,
    /// Why these points.
    pub reason: String,
}

/// The Radiomics Quality Score of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rqs {
    /// The 16 components in order.
    pub rows: Vec<RqsRow>,
    /// Sum of the points.
    pub total: i32,
}

/// Highest RQS total (Lambin et al. 2017).
pub const RQS_MAX: i32 = 36;

fn yes(b: bool, text: &str) -> String {
    if b {
        text.to_string()
    } else {
        format!("not done: {text}")
    }
}

/// The RQS of a run (Lambin et al. 2017, Table 1): each component's points
/// from `facts`, and their sum (−8 to [`RQS_MAX`]).
pub fn rqs(f: &RqsFacts) -> Rqs {
    let b = |x: bool, p: i32| if x { p } else { 0 };
    let (validation, why) = match f.validation {
        Validation::None => (-5, "no validation".to_string()),
        Validation::Internal => (2, "internal validation only".to_string()),
        Validation::External { institutes: 0 } => (-5, "no validation".to_string()),
        Validation::External { institutes: 1 } => (
            3,
            "external validation on one dataset from another institute".to_string(),
        ),
        Validation::External { institutes: 2 } => (
            4,
            "external validation on two datasets from two distinct institutes".to_string(),
        ),
        Validation::External { institutes } => (
            5,
            format!("external validation on {institutes} datasets from distinct institutes"),
        ),
        Validation::PublishedSignature => (
            4,
            "validation of a previously published signature".to_string(),
        ),
    };
    let rows = vec![
        RqsRow {
            number: 1,
            component: "Image protocol quality".into(),
            points: b(f.protocol_documented, 1) + b(f.protocol_public, 1),
            min: 0,
            max: 2,
            reason: format!(
                "{}; {}",
                yes(f.protocol_documented, "protocol documented"),
                yes(f.protocol_public, "protocol public")
            ),
        },
        RqsRow {
            number: 2,
            component: "Multiple segmentations".into(),
            points: b(f.multiple_segmentations, 1),
            min: 0,
            max: 1,
            reason: yes(
                f.multiple_segmentations,
                "features from repeated outlines (ICC)",
            ),
        },
        RqsRow {
            number: 3,
            component: "Phantom study on all scanners".into(),
            points: b(f.phantom_study, 1),
            min: 0,
            max: 1,
            reason: yes(f.phantom_study, "phantom study"),
        },
        RqsRow {
            number: 4,
            component: "Imaging at multiple time points".into(),
            points: b(f.multiple_time_points, 1),
            min: 0,
            max: 1,
            reason: yes(f.multiple_time_points, "test–retest imaging"),
        },
        RqsRow {
            number: 5,
            component: "Feature reduction or adjustment for multiple testing".into(),
            points: if f.feature_reduction { 3 } else { -3 },
            min: -3,
            max: 3,
            reason: yes(f.feature_reduction, "feature reduction (ICC filter, LASSO)"),
        },
        RqsRow {
            number: 6,
            component: "Multivariable analysis with non-radiomics features".into(),
            points: b(f.non_radiomic_features, 1),
            min: 0,
            max: 1,
            reason: yes(f.non_radiomic_features, "clinical factors in the DLRN"),
        },
        RqsRow {
            number: 7,
            component: "Detect and discuss biological correlates".into(),
            points: b(f.biological_correlates, 1),
            min: 0,
            max: 1,
            reason: yes(f.biological_correlates, "biological correlates"),
        },
        RqsRow {
            number: 8,
            component: "Cut-off analyses".into(),
            points: b(f.cut_off, 1),
            min: 0,
            max: 1,
            reason: yes(f.cut_off, "risk groups at a stated cut-off"),
        },
        RqsRow {
            number: 9,
            component: "Discrimination statistics".into(),
            points: b(f.discrimination, 1) + b(f.discrimination && f.discrimination_resampling, 1),
            min: 0,
            max: 2,
            reason: format!(
                "{}; {}",
                yes(f.discrimination, "AUC with CI and test"),
                yes(f.discrimination_resampling, "resampling")
            ),
        },
        RqsRow {
            number: 10,
            component: "Calibration statistics".into(),
            points: b(f.calibration, 1) + b(f.calibration && f.calibration_resampling, 1),
            min: 0,
            max: 2,
            reason: format!(
                "{}; {}",
                yes(f.calibration, "calibration with a test"),
                yes(f.calibration_resampling, "resampling")
            ),
        },
        RqsRow {
            number: 11,
            component: "Prospective study registered in a trial database".into(),
            points: b(f.prospective_registered, 7),
            min: 0,
            max: 7,
            reason: yes(f.prospective_registered, "prospective, registered"),
        },
        RqsRow {
            number: 12,
            component: "Validation".into(),
            points: validation,
            min: -5,
            max: 5,
            reason: why,
        },
        RqsRow {
            number: 13,
            component: "Comparison to 'gold standard'".into(),
            points: b(f.gold_standard, 2),
            min: 0,
            max: 2,
            reason: yes(f.gold_standard, "compared with the radiologists"),
        },
        RqsRow {
            number: 14,
            component: "Potential clinical utility".into(),
            points: b(f.decision_curve, 2),
            min: 0,
            max: 2,
            reason: yes(f.decision_curve, "decision curve analysis"),
        },
        RqsRow {
            number: 15,
            component: "Cost-effectiveness analysis".into(),
            points: b(f.cost_effectiveness, 1),
            min: 0,
            max: 1,
            reason: yes(f.cost_effectiveness, "cost-effectiveness analysis"),
        },
        RqsRow {
            number: 16,
            component: "Open science and data".into(),
            points: b(f.open_scans, 1)
                + b(f.open_segmentations, 1)
                + b(f.open_code, 1)
                + b(f.open_features, 1),
            min: 0,
            max: 4,
            reason: [
                yes(f.open_scans, "scans"),
                yes(f.open_segmentations, "segmentations"),
                yes(f.open_code, "code"),
                yes(f.open_features, "features and representative ROIs"),
            ]
            .join("; "),
        },
    ];
    Rqs {
        total: rows.iter().map(|r| r.points).sum(),
        rows,
    }
}

/// The TRIPOD+AI table of a run: every item with the links of `outputs`
/// that answer it (absent artefacts are left out; an item with none of its
/// outputs present becomes the authors').
pub fn tripod_ai(outputs: &Outputs) -> TripodTable {
    TripodTable {
        rows: TRIPOD_AI
            .iter()
            .map(|i| {
                let links: Vec<(String, String)> = i
                    .answered_by
                    .iter()
                    .filter_map(|a| outputs.get(a).map(|h| (a.label().to_string(), h.clone())))
                    .collect();
                let lost = !i.answered_by.is_empty() && links.is_empty();
                TripodRow {
                    section: i.section.into(),
                    item: i.number.into(),
                    topic: i.topic.into(),
                    text: i.text.into(),
                    note: if lost {
                        "The authors' (this run wrote none of its outputs).".into()
                    } else {
                        i.note.into()
                    },
                    authors: i.authors || lost,
                    links,
                }
            })
            .collect(),
    }
}

/// The TRIPOD+AI checklist of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TripodTable {
    /// Every item and sub-item, in published order.
    pub rows: Vec<TripodRow>,
}

/// A tripod_ai.csv record: the links' targets joined by spaces, `authors` as yes/no.
#[derive(Default, Serialize)]
struct TripodRecord<'a> {
    section: &'a str,
    item: &'a str,
    topic: &'a str,
    text: &'a str,
    answered_by: String,
    note: &'a str,
    authors: &'a str,
}

impl ReportTable for TripodTable {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<TripodRecord<'_>>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        let records: Vec<TripodRecord<'_>> = self
            .rows
            .iter()
            .map(|r| TripodRecord {
                section: &r.section,
                item: &r.item,
                topic: &r.topic,
                text: &r.text,
                answered_by: r
                    .links
                    .iter()
                    .map(|(_, h)| h.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                note: &r.note,
                authors: if r.authors { "yes" } else { "no" },
            })
            .collect();
        csv_records(&records)
    }
    fn display(&self) -> TextTable {
        TextTable {
            header: ["Item", "Topic", "Answered by", "Note"]
                .map(String::from)
                .to_vec(),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.item.clone(),
                        r.topic.clone(),
                        r.links
                            .iter()
                            .map(|(t, h)| format!("[{t}]({h})"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        r.note.clone(),
                    ]
                })
                .collect(),
        }
    }
}

impl ReportTable for Rqs {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<RqsRow>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        // The rows' own fields, then the total (not a row of the table).
        let mut v = csv_records(&self.rows);
        v.push(vec![
            String::new(),
            "Total".into(),
            self.total.to_string(),
            "-8".into(),
            RQS_MAX.to_string(),
            String::new(),
        ]);
        v
    }
    fn display(&self) -> TextTable {
        let mut rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.number.to_string(),
                    r.component.clone(),
                    format!("{} ({} to {})", r.points, r.min, r.max),
                    r.reason.clone(),
                ]
            })
            .collect();
        rows.push(vec![
            String::new(),
            "Total".into(),
            format!("{} / {RQS_MAX}", self.total),
            crate::format::fixed(100.0 * f64::from(self.total) / f64::from(RQS_MAX), 1) + "%",
        ]);
        TextTable {
            header: ["#", "Component", "Points (range)", "Why"]
                .map(String::from)
                .to_vec(),
            rows,
        }
    }
}

/// The checklist page: TRIPOD+AI and the RQS of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checklist {
    /// Page title.
    pub title: String,
    /// The simulated-data statement, when the cohorts are simulated.
    pub simulated: Option<String>,
    /// TRIPOD+AI.
    pub tripod: TripodTable,
    /// The RQS.
    pub rqs: Rqs,
}

/// The files the checklist was written to.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistFiles {
    /// The HTML page.
    pub html: PathBuf,
    /// TRIPOD+AI as CSV and Markdown.
    pub tripod: crate::tables::TableFiles,
    /// The RQS as CSV and Markdown.
    pub rqs: crate::tables::TableFiles,
}

impl Checklist {
    /// The checklist of a run with `outputs` (links relative to the page) and `facts`.
    pub fn new(
        title: &str,
        simulated: Option<String>,
        outputs: &Outputs,
        facts: &RqsFacts,
    ) -> Self {
        Checklist {
            title: title.into(),
            simulated,
            tripod: tripod_ai(outputs),
            rqs: rqs(facts),
        }
    }

    /// The page as HTML, in the report's style. Deterministic.
    pub fn to_html(&self) -> String {
        let e = escape;
        let mut o = String::new();
        o.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        o.push_str(&format!(
            "<title>{}</title>\n<style>{}td.text {{ white-space: normal; min-width: 28em; }} td.note {{ white-space: normal; }}</style>\n</head>\n<body>\n<main>\n",
            e(&self.title),
            crate::html::CSS
        ));
        o.push_str(&format!("<h1>{}</h1>\n", e(&self.title)));
        if let Some(s) = &self.simulated {
            o.push_str(&format!("<p class=\"banner\" role=\"note\">{}</p>\n", e(s)));
        }
        o.push_str("<p><a href=\"index.html\">Back to the report</a></p>\n");
        o.push_str(
            "<section id=\"tripod\">\n<h2>TRIPOD+AI (Collins et al., BMJ 2024;385:e078378)</h2>\n",
        );
        o.push_str("<p>Each item links the outputs of this run that answer it; items marked “authors” need the authors' own statement (ethics, registration, funding, …).</p>\n");
        o.push_str("<div class=\"tablewrap\">\n<table>\n<thead><tr><th scope=\"col\">Item</th><th scope=\"col\">Topic</th><th scope=\"col\">Checklist item</th><th scope=\"col\">Answered by</th><th scope=\"col\">Note</th><th scope=\"col\">Authors</th></tr></thead>\n<tbody>\n");
        let mut section = "";
        for r in &self.tripod.rows {
            if r.section != section {
                section = &r.section;
                o.push_str(&format!(
                    "<tr><th scope=\"rowgroup\" colspan=\"6\">{}</th></tr>\n",
                    e(section)
                ));
            }
            let links = r
                .links
                .iter()
                .map(|(t, h)| format!("<a href=\"{}\">{}</a>", e(h), e(t)))
                .collect::<Vec<_>>()
                .join(", ");
            o.push_str(&format!(
                "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"text\">{}</td><td>{}</td><td class=\"note\">{}</td><td>{}</td></tr>\n",
                e(&r.item),
                e(&r.topic),
                e(&r.text),
                links,
                e(&r.note),
                if r.authors { "authors" } else { "" }
            ));
        }
        o.push_str("</tbody>\n</table>\n</div>\n<p class=\"csv\">As CSV: <a href=\"tripod_ai.csv\">tripod_ai.csv</a></p>\n</section>\n");
        o.push_str("<section id=\"rqs\">\n<h2>Radiomics Quality Score (Lambin et al., Nat Rev Clin Oncol 2017)</h2>\n");
        o.push_str("<p>Points computed from what this run did; a component this run cannot show (phantom study, cost-effectiveness, …) scores as not done.</p>\n<div class=\"tablewrap\">\n");
        o.push_str(&self.rqs.display().to_html(""));
        o.push_str(
            "</div>\n<p class=\"csv\">As CSV: <a href=\"rqs.csv\">rqs.csv</a></p>\n</section>\n",
        );
        if let Some(s) = &self.simulated {
            o.push_str(&format!("<footer>{}</footer>\n", e(s)));
        }
        o.push_str("</main>\n</body>\n</html>\n");
        o
    }

    /// Writes `dir/checklist.html`, `dir/tripod_ai.{csv,md}` and `dir/rqs.{csv,md}`.
    pub fn write(&self, dir: &Path) -> Result<ChecklistFiles, ReportError> {
        let html = dir.join("checklist.html");
        std::fs::write(&html, self.to_html()).map_err(|source| ReportError::Io {
            path: html.clone(),
            source,
        })?;
        Ok(ChecklistFiles {
            html,
            tripod: crate::tables::write_table(&self.tripod, dir, "tripod_ai")?,
            rqs: crate::tables::write_table(&self.rqs, dir, "rqs")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn this_study() -> RqsFacts {
        RqsFacts {
            protocol_documented: true,
            protocol_public: false,
            multiple_segmentations: true,
            phantom_study: false,
            multiple_time_points: false,
            feature_reduction: true,
            non_radiomic_features: true,
            biological_correlates: false,
            cut_off: true,
            discrimination: true,
            discrimination_resampling: true,
            calibration: true,
            calibration_resampling: false,
            prospective_registered: false,
            validation: Validation::External { institutes: 3 },
            gold_standard: true,
            decision_curve: true,
            cost_effectiveness: false,
            open_scans: false,
            open_segmentations: false,
            open_code: true,
            open_features: false,
        }
    }

    #[test]
    fn rqs_of_this_study_by_hand() {
        // 1 protocol documented + 1 ICC + 3 reduction + 1 clinical factors
        // + 1 cut-off + 2 AUC with CV + 1 calibration + 5 (three external
        // centres) + 2 radiologists + 2 decision curve + 1 code = 20.
        let r = rqs(&this_study());
        assert_eq!(r.rows.len(), 16);
        assert_eq!(r.total, 20);
        assert_eq!(r.rows.iter().map(|r| r.max).sum::<i32>(), RQS_MAX);
        assert_eq!(r.rows.iter().map(|r| r.min).sum::<i32>(), -8);
        assert_eq!(r.rows[11].points, 5);
    }

    #[test]
    fn rqs_without_external_validation_or_icc_by_hand() {
        let f = RqsFacts {
            multiple_segmentations: false,
            validation: Validation::Internal,
            ..this_study()
        };
        // 20 − 1 (ICC) − 5 + 2 (internal instead of three centres) = 16.
        assert_eq!(rqs(&f).total, 16);
        let none = RqsFacts {
            protocol_documented: false,
            multiple_segmentations: false,
            feature_reduction: false,
            cut_off: false,
            discrimination_resampling: false,
            calibration: false,
            validation: Validation::None,
            gold_standard: false,
            decision_curve: false,
            open_code: false,
            ..this_study()
        };
        // −3 (no reduction) + 1 (clinical factors) + 1 (AUC) − 5 (no validation) = −6.
        assert_eq!(rqs(&none).total, -6);
        let one = RqsFacts {
            validation: Validation::External { institutes: 1 },
            ..this_study()
        };
        assert_eq!(rqs(&one).total, 18);
    }

    #[test]
    fn tripod_has_the_published_items_and_links_only_what_exists() {
        let t = tripod_ai(&Outputs::from([(
            Artefact::Table1,
            "table1.md".to_string(),
        )]));
        assert_eq!(t.rows.len(), 52);
        let mains: std::collections::BTreeSet<String> = t
            .rows
            .iter()
            .map(|r| {
                r.item
                    .trim_end_matches(|c: char| c.is_ascii_lowercase())
                    .to_string()
            })
            .collect();
        assert_eq!(mains.len(), 27);
        let i20c = t.rows.iter().find(|r| r.item == "20c").unwrap();
        assert_eq!(
            i20c.links,
            [("Table 1".to_string(), "table1.md".to_string())]
        );
        assert!(!i20c.authors);
        // Table 2 was not written: item 23b falls to the authors.
        let i23b = t.rows.iter().find(|r| r.item == "23b").unwrap();
        assert!(i23b.links.is_empty() && i23b.authors);
        assert!(t.rows.iter().find(|r| r.item == "17").unwrap().authors);
    }

    #[test]
    fn page_is_deterministic_and_links_relative() {
        let outputs = Outputs::from([
            (Artefact::Table2, "table2.md".to_string()),
            (Artefact::Roc, "figures/roc_EVC1.svg".to_string()),
        ]);
        let c = Checklist::new(
            "Checklist",
            Some("Simulated.".into()),
            &outputs,
            &this_study(),
        );
        let a = c.to_html();
        assert_eq!(a, c.to_html());
        assert!(
            a.contains("<a href=\"figures/roc_EVC1.svg\">ROC curves</a>"),
            "{a}"
        );
        assert!(a.contains("20 / 36"));
        let dir = tempfile::tempdir().unwrap();
        let f = c.write(dir.path()).unwrap();
        let csv = std::fs::read_to_string(f.rqs.csv).unwrap();
        assert!(csv.ends_with(",Total,20,-8,36,\n"), "{csv}");
    }
}

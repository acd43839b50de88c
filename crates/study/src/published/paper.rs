//! What the paper prints: the signature rows of Table 2 (study.md), the
//! reference the findings compare the computed rows with.

/// The signature rows of the paper's Table 2 as printed (study.md), used
/// for the report's finding: cohort, AUC (DeLong CI), and ACC, SENS, SPE,
/// PPV, NPV in % (exact CI).
pub const PAPER_TABLE2: [(&str, [&str; 6]); 3] = [
    (
        "EVC1",
        [
            "0.886 (0.815–0.958)",
            "87 (79–92)",
            "87 (73–95)",
            "87 (76–94)",
            "81 (67–91)",
            "91 (81–96)",
        ],
    ),
    (
        "EVC2",
        [
            "0.854 (0.778–0.931)",
            "72 (62–81)",
            "100 (90–100)",
            "54 (39–68)",
            "59 (46–72)",
            "100 (88–100)",
        ],
    ),
    (
        "EVC3",
        [
            "0.917 (0.854–0.980)",
            "83 (71–91)",
            "91 (75–98)",
            "74 (55–88)",
            "78 (62–90)",
            "88 (70–98)",
        ],
    ),
];

/// Short names of the five metrics, in Table 2's order.
pub const METRICS: [&str; 5] = ["ACC", "SENS", "SPE", "PPV", "NPV"];

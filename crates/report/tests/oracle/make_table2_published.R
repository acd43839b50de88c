# Oracle for dlrn-report's Table 2 formatting: the published signature rows of
# EVC1 and EVC2 (Liu et al. 2024, Table 2) at full precision, written to
# ../fixtures/table2_published.json.
#
# R 4.2.2 Patched (2022-11-10 r83330), pROC 1.18 (Debian r-cran-proc), jsonlite.
# No randomness. AUC and its DeLong CI: pROC::roc(ALN_status, signature,
# direction = "<", levels = c(0, 1)); ci.auc(method = "delong"), on the released
# feature tables (../shared/data/aln-paper/EVC{1,2}.csv) scored with the
# published coefficients. Cut-off counts are derived by hand from the printed
# percentages (EVC1: 45 ALN+, 67 ALN-; sensitivity 39/45, specificity 58/67;
# EVC2: 35 ALN+, 52 ALN-; 35/35 and 28/52); their CIs are exact Clopper-Pearson
# intervals from binom.test(x, n)$conf.int.
# Run from the crate folder: Rscript tests/oracle/make_table2_published.R
suppressPackageStartupMessages({ library(pROC); library(jsonlite) })
dir <- "../../../shared/data/aln-paper"
sig <- read.csv(file.path(dir, "published_signature.csv"))
row <- function(cohort, tp, fn, tn, fp, printed) {
  d <- read.csv(file.path(dir, paste0(cohort, ".csv")), check.names = FALSE)
  score <- as.vector(as.matrix(d[, sig$feature]) %*% sig$coefficient)
  r <- roc(d$ALN_status, score, direction = "<", levels = c(0, 1), quiet = TRUE)
  ci <- as.numeric(ci.auc(r, method = "delong"))
  m <- function(x, n) { b <- binom.test(x, n); list(value = x / n, ci_low = b$conf.int[1], ci_high = b$conf.int[2]) }
  list(cohort = cohort, model = "signature", auc = ci[2], auc_ci_low = ci[1], auc_ci_high = ci[3],
       accuracy = m(tp + tn, tp + fn + tn + fp), sensitivity = m(tp, tp + fn),
       specificity = m(tn, tn + fp), ppv = m(tp, tp + fp), npv = m(tn, tn + fn),
       delong_p = NULL, printed = printed)
}
out <- list(
  header = list(r = R.version.string, pROC = as.character(packageVersion("pROC"))),
  rows = list(
    row("EVC1", 39, 6, 58, 9, "| EVC1 | signature | 0.886 (0.815–0.958) | 87 (79–92) | 87 (73–95) | 87 (76–94) | 81 (67–91) | 91 (81–96) |"),
    row("EVC2", 35, 0, 28, 24, "| EVC2 | signature | 0.854 (0.778–0.931) | 72 (62–81) | 100 (90–100) | 54 (39–68) | 59 (46–72) | 100 (88–100) |")
  ))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null"), "tests/fixtures/table2_published.json")

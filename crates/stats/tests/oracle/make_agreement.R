# Oracle for ICC and Cohen's kappa.
# Run: Rscript crates/stats/tests/oracle/make_agreement.R
# Writes crates/stats/tests/fixtures/agreement.json.
# Made with R 4.2.2, psych 2.2.9, jsonlite 1.8.4 (recorded in the fixture).
# Data: seeded (set.seed(20240122)) subjects x raters matrices (60 x 3 as the
# study's reproducibility subset, 10 x 2, and 60 x 3 with a rater offset),
# and two raters' 1-5 ratings of 80 subjects.
# Calls: psych::ICC(m, lmer = FALSE) (alpha = 0.05); psych::cohen.kappa(cbind(a, b)).
source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))), "common.R"))
suppressPackageStartupMessages(library(psych))

set.seed(20240122)
truth <- rnorm(60, 10, 2)
m1 <- cbind(truth + rnorm(60, 0, 0.7), truth + rnorm(60, 0, 0.7), truth + rnorm(60, 0, 0.9))
m2 <- matrix(round(rnorm(20, 5, 1), 1), 10, 2)
m3 <- cbind(truth + rnorm(60, 0, 1), truth + 1.5 + rnorm(60, 0, 1), truth - 0.5 + rnorm(60, 0, 1))

icc_entry <- function(name, m) {
  r <- ICC(m, lmer = FALSE)$results
  list(name = name, raters = lapply(seq_len(ncol(m)), function(j) m[, j]),
       type = r$type, icc = r$ICC, f = r$F, df1 = r$df1, df2 = r$df2, p_value = r$p,
       ci_low = r[["lower bound"]], ci_high = r[["upper bound"]])
}

a <- sample(1:5, 80, replace = TRUE)
b <- ifelse(runif(80) < 0.6, a, pmin(5, pmax(1, a + sample(c(-1, 1, 2), 80, replace = TRUE))))
k <- suppressWarnings(cohen.kappa(cbind(a, b)))

write_fixture(list(
  versions = versions(c("psych", "jsonlite")), seed = 20240122,
  icc = list(icc_entry("reproducibility_60x3", m1), icc_entry("small_10x2", m2), icc_entry("rater_offset_60x3", m3)),
  kappa = list(a = a, b = b, kappa = k$kappa, weighted_kappa = k$weighted.kappa,
               kappa_ci_low = k$confid[1, 1], kappa_ci_high = k$confid[1, 3],
               weighted_ci_low = k$confid[2, 1], weighted_ci_high = k$confid[2, 3])), "agreement.json")

# Oracle for Cohen's kappa with unweighted, linear and quadratic weights.
# Run: Rscript crates/stats/tests/oracle/make_kappa.R
#      (then python3 crates/stats/tests/oracle/make_kappa_z.py for z and p)
# Writes crates/stats/tests/fixtures/kappa.json.
# Made with R 4.2.2, psych 2.2.9, jsonlite 1.8.4 (recorded in the fixture).
# Data: seeded (set.seed(20241130)) ratings of two raters: binary ALN calls
# (150 patients), BI-RADS steps 1-4 (120 patients; rater 2 shifts some by one
# step), 1-5 ratings (80), and a small 3-level table with an unused level by
# one rater (12), and 40 BI-RADS pairs without 4A rated over all four levels.
# Calls: psych::cohen.kappa(cbind(a, b)) (unweighted row, and the default
# quadratic weights 1 - (i - j)^2/(k - 1)^2) and
# psych::cohen.kappa(cbind(a, b), w = 1 - abs(outer(1:k, 1:k, "-"))/(k - 1))
# (linear weights); alpha = 0.05; the last case adds levels = 1:4. irr (kappa2) is not packaged for Debian
# bookworm, so its z and p come from statsmodels (make_kappa_z.py), which
# codes the same null variance (Fleiss, Cohen & Everitt 1969).
source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))), "common.R"))
suppressPackageStartupMessages(library(psych))

set.seed(20241130)
lat <- rnorm(150) + rep(c(0, 1.1), c(90, 60))
calls_a <- as.integer(lat + rnorm(150, 0, 0.35) > 0.7)
calls_b <- as.integer(lat + rnorm(150, 0, 0.35) > 0.6)
step <- sample(1:4, 120, replace = TRUE, prob = c(0.25, 0.25, 0.2, 0.3))
bi_a <- pmin(4, pmax(1, step + sample(c(-1, 0, 0, 0, 0, 0, 1), 120, replace = TRUE)))
bi_b <- pmin(4, pmax(1, step + sample(c(-1, 0, 0, 0, 0, 1), 120, replace = TRUE)))
five_a <- sample(1:5, 80, replace = TRUE)
five_b <- ifelse(runif(80) < 0.6, five_a, pmin(5, pmax(1, five_a + sample(c(-1, 1, 2), 80, replace = TRUE))))
small_a <- c(1, 1, 2, 2, 2, 3, 3, 3, 1, 2, 3, 3)
small_b <- c(1, 2, 2, 2, 3, 3, 3, 2, 1, 2, 3, 2)

entry <- function(name, a, b, levels = NULL) {
  k <- if (is.null(levels)) length(sort(unique(c(a, b)))) else length(levels)
  q <- suppressWarnings(cohen.kappa(cbind(a, b), levels = levels))
  wl <- 1 - abs(outer(1:k, 1:k, "-")) / (k - 1)
  l <- suppressWarnings(cohen.kappa(cbind(a, b), w = wl, levels = levels))
  list(name = name, a = a, b = b, levels = levels,
       unweighted = list(kappa = q$kappa, var = q$var.kappa, ci_low = q$confid[1, 1], ci_high = q$confid[1, 3]),
       quadratic = list(kappa = q$weighted.kappa, var = q$var.weighted, ci_low = q$confid[2, 1], ci_high = q$confid[2, 3]),
       linear = list(kappa = l$weighted.kappa, var = l$var.weighted, ci_low = l$confid[2, 1], ci_high = l$confid[2, 3]))
}

write_fixture(list(
  versions = versions(c("psych", "jsonlite")), seed = 20241130,
  cases = list(entry("aln_calls_150", calls_a, calls_b), entry("birads_120", bi_a, bi_b),
               entry("five_level_80", five_a, five_b), entry("small_3_level_12", small_a, small_b),
               entry("birads_no_4A_levels_1_4", bi_a[bi_a > 1 & bi_b > 1][1:40], bi_b[bi_a > 1 & bi_b > 1][1:40], levels = 1:4))), "kappa.json")

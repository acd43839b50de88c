# Oracle for the radiologists' rows: AUC of binary calls with DeLong CI and
# paired DeLong tests of a model against the calls and of two readers.
# Run: Rscript crates/stats/tests/oracle/make_readers_roc.R
# Writes crates/stats/tests/fixtures/readers_roc.json.
# Made with R 4.2.2, pROC 1.18.0, jsonlite 1.8.4 (recorded in the fixture).
# Data: seeded (set.seed(20241130)) 262 patients (112 ALN+, as EVC1-3),
# a continuous model probability, five readers' 0/1 calls and their majority.
# Calls: r <- pROC::roc(y, s, direction = "<", levels = c(0, 1));
# pROC::ci.auc(r, method = "delong"), var(r); pROC::roc.test(r1, r2,
# method = "delong", paired = TRUE).
source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))), "common.R"))
suppressPackageStartupMessages(library(pROC))

set.seed(20241130)
y <- rep(c(0L, 1L), c(150, 112))
lat <- rnorm(262) + 1.08 * y
calls <- sapply(c(-0.2, -0.1, 0, 0.1, 0.2), function(o) as.integer(lat + rnorm(262, 0, 0.4) > 0.74 + o))
pooled <- as.integer(rowSums(calls) >= 3)
model <- plogis(-0.5 + 2.2 * (lat + rnorm(262, 0, 0.6)) - 1.2)
mk_roc <- function(y, s) roc(y, s, direction = "<", levels = c(0, 1), quiet = TRUE)
auc_entry <- function(name, s) { r <- mk_roc(y, s); ci <- ci.auc(r, method = "delong")
  list(name = name, scores = s, auc = as.numeric(auc(r)), variance = var(r), ci_low = ci[1], ci_high = ci[3]) }
test_entry <- function(name, a, b) { t <- roc.test(mk_roc(y, a), mk_roc(y, b), method = "delong", paired = TRUE)
  list(name = name, a = a, b = b, auc_a = unname(t$estimate[1]), auc_b = unname(t$estimate[2]),
       z = unname(t$statistic), p_value = t$p.value, ci_low = t$conf.int[1], ci_high = t$conf.int[2]) }

write_fixture(list(
  versions = versions(c("pROC", "jsonlite")), seed = 20241130, labels = y,
  aucs = list(auc_entry("pooled", pooled), auc_entry("reader1", calls[, 1]), auc_entry("reader5", calls[, 5]), auc_entry("model", model)),
  tests = list(test_entry("model_vs_pooled", model, pooled), test_entry("reader1_vs_reader5", calls[, 1], calls[, 5]),
               test_entry("pooled_vs_reader3", pooled, calls[, 3]))), "readers_roc.json")

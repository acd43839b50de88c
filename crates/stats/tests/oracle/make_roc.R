# Oracle for ROC/AUC/DeLong, Youden, diagnostic accuracy and binomial CIs.
# Run from anywhere: Rscript crates/stats/tests/oracle/make_roc.R
# Writes crates/stats/tests/fixtures/roc.json.
# Made with R 4.2.2, pROC 1.18.0, jsonlite 1.8.4 (recorded in the fixture).
# Data: ../shared/data/aln-paper/EVC1.csv, EVC2.csv and published_signature.csv
# (signature score = sum of coefficient x feature, no intercept), plus seeded
# edge cases (set.seed(20240122)).
# Calls: pROC::roc(labels, scores, direction = "<", levels = c(0, 1));
# pROC::ci.auc(r, method = "delong"); pROC::roc.test(r1, r2, method = "delong",
# paired = TRUE / FALSE); pROC::coords(r, "best", best.method = "youden");
# binom.test(x, n)$conf.int.
source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))), "common.R"))
suppressPackageStartupMessages(library(pROC))

sig <- read.csv(file.path(data_dir, "published_signature.csv"))
score_table <- function(file) {
  d <- read.csv(file.path(data_dir, file), check.names = FALSE)
  s <- as.vector(as.matrix(d[, sig$feature]) %*% sig$coefficient)
  list(id = as.character(d$id), y = d$ALN_status, score = s,
       lbp172 = d[["LBP_172"]], f135 = d[["f_135"]])
}

mk_roc <- function(y, s) roc(y, s, direction = "<", levels = c(0, 1), quiet = TRUE)

roc_entry <- function(name, y, s, curve = FALSE) {
  r <- mk_roc(y, s)
  ci <- as.numeric(ci.auc(r, method = "delong"))
  # DeLong variance as pROC computes it
  v <- pROC::var(r, method = "delong")
  best <- coords(r, "best", best.method = "youden", ret = c("threshold", "sensitivity", "specificity"), transpose = FALSE)
  cut <- best$threshold[1]
  pred <- s >= cut
  tp <- sum(pred & y == 1); fp <- sum(pred & y == 0); tn <- sum(!pred & y == 0); fn <- sum(!pred & y == 1)
  bt <- function(x, n) if (n == 0) NULL else { b <- binom.test(x, n); list(value = x / n, ci_low = b$conf.int[1], ci_high = b$conf.int[2]) }
  e <- list(name = name, labels = y, scores = s,
            auc = as.numeric(auc(r)), variance = v, ci_low = ci[1], ci_high = ci[3],
            youden = list(threshold = best$threshold, sensitivity = best$sensitivity, specificity = best$specificity),
            cutoff = cut, tp = tp, fp = fp, tn = tn, fn = fn,
            accuracy = bt(tp + tn, length(y)), sensitivity = bt(tp, tp + fn),
            specificity = bt(tn, tn + fp), ppv = bt(tp, tp + fp), npv = bt(tn, tn + fn))
  if (curve) {
    e$thresholds <- r$thresholds
    e$sensitivities <- r$sensitivities
    e$specificities <- r$specificities
  }
  e
}

paired_entry <- function(name, y, a, b) {
  t <- roc.test(mk_roc(y, a), mk_roc(y, b), method = "delong", paired = TRUE)
  list(name = name, labels = y, a = a, b = b, z = unname(t$statistic), p_value = t$p.value,
       ci_low = t$conf.int[1], ci_high = t$conf.int[2], auc_a = unname(t$estimate[1]), auc_b = unname(t$estimate[2]))
}

evc1 <- score_table("EVC1.csv")
evc2 <- score_table("EVC2.csv")

set.seed(20240122)
n <- 200
y_r <- rbinom(n, 1, 0.4)
s_r <- round(rnorm(n, mean = y_r), 1)              # many ties
s_r2 <- round(0.6 * s_r + rnorm(n, sd = 0.8), 1)   # a correlated second score
y_small <- c(0, 0, 1, 1)
s_small <- c(0.2, 0.7, 0.5, 0.9)
y_eq <- c(0, 1, 0, 1, 1, 0)
s_eq <- rep(3, 6)
y_sep <- c(0, 0, 0, 1, 1, 1)
s_sep <- c(1, 2, 3, 4, 5, 6)
y_tie <- c(0, 0, 0, 1, 1, 1, 1, 0)
s_tie <- c(1, 2, 2, 2, 3, 3, 1, 3)

rocs <- list(
  roc_entry("evc1_signature", evc1$y, evc1$score, curve = FALSE),
  roc_entry("evc2_signature", evc2$y, evc2$score),
  roc_entry("seeded_ties_n200", y_r, s_r, curve = TRUE),
  roc_entry("two_per_class", y_small, s_small, curve = TRUE),
  roc_entry("perfect_separation", y_sep, s_sep, curve = TRUE),
  roc_entry("small_ties", y_tie, s_tie, curve = TRUE)
)
# All scores equal: AUC 0.5; pROC's DeLong variance is 0 here.
r_eq <- mk_roc(y_eq, s_eq)
equal <- list(name = "all_equal", labels = y_eq, scores = s_eq, auc = as.numeric(auc(r_eq)),
              ci = as.numeric(ci.auc(r_eq, method = "delong")))

paired <- list(
  paired_entry("evc1_signature_vs_LBP_172", evc1$y, evc1$score, evc1$lbp172),
  paired_entry("evc2_signature_vs_f_135", evc2$y, evc2$score, evc2$f135),
  paired_entry("seeded_correlated", y_r, s_r, s_r2)
)
ut <- roc.test(mk_roc(evc1$y, evc1$score), mk_roc(evc2$y, evc2$score), method = "delong", paired = FALSE)
unpaired <- list(statistic = unname(ut$statistic), df = unname(ut$parameter), p_value = ut$p.value)

binoms <- lapply(list(c(0, 10), c(10, 10), c(39, 45), c(1, 1), c(17, 112), c(500, 1000)), function(xn) {
  b <- binom.test(xn[1], xn[2])
  list(x = xn[1], n = xn[2], ci_low = b$conf.int[1], ci_high = b$conf.int[2])
})

write_fixture(list(
  versions = versions(c("pROC", "jsonlite")),
  seed = 20240122,
  evc1_ids = evc1$id, evc2_ids = evc2$id,
  rocs = rocs, all_equal = equal, paired = paired,
  unpaired_evc1_vs_evc2 = unpaired, binom = binoms), "roc.json")

# Oracle for the Table 1 tests.
# Run: Rscript crates/stats/tests/oracle/make_tests.R
# Writes crates/stats/tests/fixtures/hypothesis.json.
# Made with R 4.2.2, jsonlite 1.8.4 (recorded in the fixture).
# Data: seeded (set.seed(20240122)) samples and small tables.
# Calls: t.test(x, y) and t.test(x, y, var.equal = TRUE); wilcox.test(x, y)
# (exact: small, no ties; normal with corrections: ties or n >= 50);
# chisq.test(t) (Yates on 2 x 2) and chisq.test(t, correct = FALSE);
# fisher.test(t)$p.value.
source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))), "common.R"))

set.seed(20240122)
x <- rnorm(40, 54.5, 11.5); y <- rnorm(55, 51, 9)
xs <- c(1.1, 2.3, 0.4, 5.2, 3.3, 2.9, 4.4); ys <- c(0.2, 1.5, 0.9, 2.2, 0.1, 3.05)
xt <- round(rnorm(60, 2.2, 1), 1); yt <- round(rnorm(70, 2.5, 1), 1)
tt <- function(a, b, eq) { r <- t.test(a, b, var.equal = eq); list(t = unname(r$statistic), df = unname(r$parameter), p_value = r$p.value, ci_low = r$conf.int[1], ci_high = r$conf.int[2]) }
wt <- function(a, b) { r <- suppressWarnings(wilcox.test(a, b)); list(w = unname(r$statistic), p_value = r$p.value) }
t22 <- matrix(c(12, 5, 7, 15), 2)
t32 <- matrix(c(20, 15, 8, 10, 22, 12), 3)
tf <- matrix(c(3, 1, 1, 3), 2)
tf2 <- matrix(c(10, 2, 3, 15), 2)
chi <- function(t, correct) { r <- chisq.test(t, correct = correct); list(statistic = unname(r$statistic), df = unname(r$parameter), p_value = r$p.value) }
write_fixture(list(
  versions = versions("jsonlite"), seed = 20240122,
  x = x, y = y, xs = xs, ys = ys, xt = xt, yt = yt,
  welch = tt(x, y, FALSE), student = tt(x, y, TRUE),
  wilcox_exact = wt(xs, ys), wilcox_ties = wt(xt, yt), wilcox_large = wt(x, y),
  t22 = t22, t32 = t32, tf = tf, tf2 = tf2,
  chi22_yates = chi(t22, TRUE), chi22 = chi(t22, FALSE), chi32 = chi(t32, TRUE),
  fisher = fisher.test(tf)$p.value, fisher2 = fisher.test(tf2)$p.value), "hypothesis.json")

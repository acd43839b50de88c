# The same work as benches/stats.rs, in R (pROC 1.18.0, glm), for the
# speed ratios `cargo xtask bench stats` reports. Data are simulated the same
# way (labels ~ Bernoulli(0.4), scores ~ N(label, 1); logistic 621 x 6), with
# R's RNG (set.seed(1)). Prints one line per benchmark: name, median seconds
# over the repeats, repeats.
# Run: Rscript crates/stats/benches/bench_r.R
suppressPackageStartupMessages(library(pROC))
set.seed(1)
time_median <- function(expr_fun, reps) {
  t <- vapply(seq_len(reps), function(i) system.time(expr_fun())[["elapsed"]], numeric(1))
  median(t)
}
report <- function(name, secs, reps) cat(sprintf("%s %.6f %d\n", name, secs, reps))
for (n in c(1e5, 1e6)) {
  y <- rbinom(n, 1, 0.4); s <- y + rnorm(n)
  reps <- if (n == 1e5) 10 else 3
  report(sprintf("delong/auc_ci_n%d", n), time_median(function() {
    r <- roc(y, s, direction = "<", levels = c(0, 1), quiet = TRUE)
    ci.auc(r, method = "delong")
  }, reps), reps)
}
y <- rbinom(200, 1, 0.4); s <- y + rnorm(200)
r <- roc(y, s, direction = "<", levels = c(0, 1), quiet = TRUE)
report("bootstrap/auc_2000_n200", time_median(function() {
  ci.auc(r, method = "bootstrap", boot.n = 2000, boot.stratified = TRUE, progress = "none")
}, 3), 3)
n <- 621
X <- matrix(rnorm(n * 6), n, 6)
y <- rbinom(n, 1, plogis(-0.6 + 0.5 * X[, 1] - 0.3 * X[, 2] + 0.2 * X[, 3]))
d <- data.frame(X, y)
report("logistic/fit_621x6", time_median(function() {
  for (i in 1:20) glm(y ~ ., family = binomial, data = d)
}, 5) / 20, 100)

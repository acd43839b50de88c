# Oracle for calibration (rms::val.prob), lowess, Hosmer-Lemeshow, decision
# curves, IDI/NRI (Hmisc::improveProb) and the categorical NRI.
# Run: Rscript crates/stats/tests/oracle/make_calibration.R
# Writes crates/stats/tests/fixtures/calibration.json.
# Made with R 4.2.2, rms 6.5.0, Hmisc 4.8.0, jsonlite 1.8.4 (in the fixture).
# Data: seeded (set.seed(20240122)) predicted probabilities and outcomes
# (n = 300, a miscalibrated model and an improved one), and lowess inputs
# with ties.
# Calls: rms::val.prob(p, y, pl = FALSE); glm(y ~ offset(qlogis(p)),
# binomial) for calibration-in-the-large; lowess(x, y) (iter = 3) and
# lowess(x, y, iter = 0); Hmisc::improveProb(old, new, y).
# ResourceSelection and dcurves are not installed here: hoslem_test below is
# ResourceSelection 0.3-5's hoslem.test body verbatim in logic (quantile
# groups, cut(include.lowest = TRUE), df = g - 2), and net benefit is the
# formula dcurves::dca documents (TP/n - FP/n * pt/(1 - pt), p >= pt treated).
# The categorical NRI is Pencina et al. (2008) with improveProb's variance.
source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))), "common.R"))
suppressPackageStartupMessages({ library(rms); library(Hmisc) })

set.seed(20240122)
n <- 300
x <- rnorm(n)
y <- rbinom(n, 1, plogis(-0.4 + 1.2 * x))
p_old <- plogis(-0.1 + 0.7 * x + rnorm(n, 0, 0.6))      # miscalibrated, noisier
p_new <- plogis(-0.4 + 1.1 * x + rnorm(n, 0, 0.3))      # closer to the truth

v <- val.prob(p_new, y, pl = FALSE)
citl <- unname(coef(glm(y ~ offset(qlogis(p_new)), family = binomial, control = glm.control(epsilon = 1e-14, maxit = 100))))

hoslem_test <- function(x, y, g = 10) {
  qq <- unique(quantile(y, probs = seq(0, 1, 1 / g)))
  cutyhat <- cut(y, breaks = qq, include.lowest = TRUE)
  observed <- xtabs(cbind(y0 = 1 - x, y1 = x) ~ cutyhat)
  expected <- xtabs(cbind(yhat0 = 1 - y, yhat1 = y) ~ cutyhat)
  chisq <- sum((observed - expected)^2 / expected)
  list(statistic = chisq, df = g - 2, p_value = 1 - pchisq(chisq, g - 2),
       n = as.vector(table(cutyhat)), observed = as.vector(observed[, 2]) / as.vector(table(cutyhat)),
       predicted = as.vector(expected[, 2]) / as.vector(table(cutyhat)))
}
hl <- hoslem_test(y, p_new, 10)

lx <- c(round(runif(60, 0, 10), 0), 2.5, 7.25)
ly <- sin(lx) + rnorm(length(lx), 0, 0.4)
lw3 <- lowess(lx, ly)
lw0 <- lowess(lx, ly, iter = 0)
lwf <- lowess(lx, ly, f = 0.3, iter = 2)
lwp <- lowess(p_new, y, iter = 0)

thresholds <- seq(0.01, 0.99, by = 0.01)
nb <- sapply(thresholds, function(pt) {
  tp <- sum(p_new >= pt & y == 1); fp <- sum(p_new >= pt & y == 0)
  tp / n - fp / n * pt / (1 - pt)
})
prev <- mean(y)
nb_all <- prev - (1 - prev) * thresholds / (1 - thresholds)

ip <- improveProb(p_old, p_new, y)

cuts <- c(0.2, 0.5)
cat_old <- cut(p_old, c(0, cuts, 1), right = FALSE, include.lowest = TRUE, labels = FALSE)
cat_new <- cut(p_new, c(0, cuts, 1), right = FALSE, include.lowest = TRUE, labels = FALSE)
moves <- function(cls) {
  s <- y == cls
  up <- sum(cat_new[s] > cat_old[s]); down <- sum(cat_new[s] < cat_old[s]); m <- sum(s)
  list(up = up, down = down, n = m, v = (up + down) / m^2 - (up - down)^2 / m^3,
       table = unname(unclass(table(factor(cat_old[s], 1:3), factor(cat_new[s], 1:3)))))
}
me <- moves(1); mn <- moves(0)
cat_nri <- list(cutoffs = cuts, nri_events = (me$up - me$down) / me$n, nri_nonevents = (mn$down - mn$up) / mn$n,
                se = sqrt(me$v + mn$v), table_events = me$table, table_nonevents = mn$table)
cat_nri$nri <- cat_nri$nri_events + cat_nri$nri_nonevents

write_fixture(list(
  versions = versions(c("rms", "Hmisc", "jsonlite")), seed = 20240122,
  y = y, p_old = p_old, p_new = p_new,
  val_prob = list(intercept = unname(v["Intercept"]), slope = unname(v["Slope"]), brier = unname(v["Brier"]),
                  eavg = unname(v["Eavg"]), emax = unname(v["Emax"]), e90 = unname(v["E90"]), citl = citl),
  hosmer_lemeshow = hl,
  lowess = list(x = lx, y = ly, iter3 = lw3$y, iter0 = lw0$y, f03_iter2 = lwf$y, sorted_x = lw3$x,
                p_new_iter0 = lwp$y),
  decision = list(thresholds = thresholds, net_benefit = nb, treat_all = nb_all),
  improve_prob = list(nri = ip$nri, se_nri = ip$se.nri, z_nri = ip$z.nri, nri_ev = ip$nri.ev, se_nri_ev = ip$se.nri.ev,
                      nri_ne = ip$nri.ne, se_nri_ne = ip$se.nri.ne, idi = ip$idi, se_idi = ip$se.idi, z_idi = ip$z.idi,
                      improve_sens = ip$improveSens, improve_spec = ip$improveSpec,
                      pup_ev = ip$pup.ev, pup_ne = ip$pup.ne, pdown_ev = ip$pdown.ev, pdown_ne = ip$pdown.ne),
  categorical_nri = cat_nri), "calibration.json")

# Oracle for validation statistics of a probability (rms::val.prob plus the
# calibration-in-the-large and slope CIs of CalibrationCurves::val.prob.ci.2),
# bootstrap validation (rms::validate, rms::calibrate) of a fixed logistic
# model, R's bootstrap resamples, and pmsampsize's C-statistic -> R2cs step.
# Run: Rscript crates/stats/tests/oracle/make_valprob.R
# Writes crates/stats/tests/fixtures/valprob.json.
# Made with R 4.2.2, rms 6.5.0, Hmisc 4.8.0, jsonlite 1.8.4 (in the fixture).
# Data (seeded, set.seed(20261207)): a DLRN-shaped training cohort (n = 240:
# a signature score, us_aln 0/1, tumour size in cm, BI-RADS score 1-4) and
# an external cohort from a shifted generator; the model is
# lrm(y ~ signature + us_aln + size + birads, x = TRUE, y = TRUE).
# Calls:
#   val.prob(p, y, pl = FALSE) on three cohorts: the model's external
#   probabilities, the same rounded to 2 decimals (ties), and the
#   make_calibration.R cohort (set.seed(20240122));
#   Hmisc::somers2(p, y) (exact C and Dxy);
#   glm(y ~ offset(qlogis(p)), binomial) and glm(y ~ qlogis(p), binomial)
#   with glm.control(epsilon = 1e-14) and confint.default (Wald, level 0.95):
#   CalibrationCurves 3.1.0's val.prob.ci.2 computes its "Intercept" (the
#   offset model) and "Slope" CIs with confint() on lrm.fit objects, which
#   dispatches to confint.default, i.e. Wald intervals;
#   set.seed(7); validate(fit, B = 200); set.seed(11); calibrate(fit, B = 200);
#   set.seed(7); sample(n, replace = TRUE) x 3 (the first resamples).
# CalibrationCurves and pmsampsize are not installable here. cstat2rsq below
# is pmsampsize 1.1.3's documented C -> R2cs approximation written out in base
# R (set.seed(seed); LP ~ N(0,1) for prevalence*1e6 patients with y = 0 and
# N(sqrt(2) qnorm(C), 1) for the rest with y = 1; glm(y ~ LP, binomial);
# 1 - exp(-LR / 1e6)), at pmsampsize's default seed 123456.
source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))), "common.R"))
suppressPackageStartupMessages({ library(rms); library(Hmisc) })

ctl <- glm.control(epsilon = 1e-14, maxit = 100)

make_cohort <- function(n, shift) {
  signature <- rnorm(n, shift, 1.2)
  us_aln <- rbinom(n, 1, 0.35)
  size <- round(rlnorm(n, log(2.2) + shift / 4, 0.35), 1)
  birads <- sample(1:4, n, replace = TRUE, prob = c(0.3, 0.3, 0.25, 0.15))
  lp <- -1.6 + 1.1 * signature + 0.9 * us_aln + 0.35 * size + 0.25 * birads
  y <- rbinom(n, 1, plogis(lp))
  data.frame(signature, us_aln, size, birads, y)
}

set.seed(20261207)
train <- make_cohort(240, 0)
ext <- make_cohort(180, 0.4)
fit <- lrm(y ~ signature + us_aln + size + birads, data = train, x = TRUE, y = TRUE)
p_ext <- plogis(predict(fit, newdata = ext))

set.seed(20240122)
n0 <- 300
x0 <- rnorm(n0)
y0 <- rbinom(n0, 1, plogis(-0.4 + 1.2 * x0))
p_old0 <- plogis(-0.1 + 0.7 * x0 + rnorm(n0, 0, 0.6))
p_new0 <- plogis(-0.4 + 1.1 * x0 + rnorm(n0, 0, 0.3))

valprob_case <- function(name, p, y) {
  v <- val.prob(p, y, pl = FALSE)
  s <- somers2(p, y)
  citl <- glm(y ~ offset(qlogis(p)), family = binomial, control = ctl)
  slope <- glm(y ~ qlogis(p), family = binomial, control = ctl)
  ci_citl <- confint.default(citl)
  ci_slope <- confint.default(slope)
  list(name = name, y = y, p = p,
       val_prob = as.list(v),
       exact = list(C = unname(s["C"]), Dxy = unname(s["Dxy"])),
       d_p = unname(1 - pchisq(v["D:Chi-sq"], 1)),
       citl = list(estimate = unname(coef(citl)[1]), se = unname(sqrt(diag(vcov(citl)))[1]),
                   ci_low = ci_citl[1, 1], ci_high = ci_citl[1, 2]),
       slope = list(estimate = unname(coef(slope)[2]), se = unname(sqrt(diag(vcov(slope)))[2]),
                    ci_low = ci_slope[2, 1], ci_high = ci_slope[2, 2]))
}

cases <- list(
  valprob_case("external", p_ext, ext$y),
  valprob_case("external_rounded", round(p_ext, 2), ext$y),
  valprob_case("calibration_cohort", p_new0, y0)
)

table_list <- function(z) {
  lapply(seq_len(nrow(z)), function(i) c(list(index = rownames(z)[i]), as.list(z[i, ])))
}

set.seed(7)
val <- validate(fit, B = 200)
set.seed(11)
cal <- calibrate(fit, B = 200)
set.seed(7)
first <- lapply(1:3, function(i) sample(nrow(train), replace = TRUE))

cal_tab <- unclass(cal)
cal_rows <- lapply(seq_len(nrow(cal_tab)), function(i) as.list(cal_tab[i, ]))

cstat2rsq <- function(cstatistic, prevalence, seed = 123456) {
  n <- 1e6
  mu <- sqrt(2) * qnorm(cstatistic)
  set.seed(seed)
  LP <- c(rnorm(prevalence * n, 0, 1), rnorm((1 - prevalence) * n, mu, 1))
  y <- c(rep(0, prevalence * n), rep(1, (1 - prevalence) * n))
  m <- glm(y ~ LP, family = binomial)
  1 - exp(-(m$null.deviance - m$deviance) / n)
}
cstat <- lapply(list(c(0.89, 0.174), c(0.81, 0.77), c(0.75, 0.3)), function(a) {
  r <- cstat2rsq(a[1], a[2])
  list(cstatistic = a[1], prevalence = a[2], r2cs = r, r2cs_rounded = round(r, 4))
})

write_fixture(list(
  versions = versions(c("rms", "Hmisc", "jsonlite")),
  seed = 20261207,
  valprob = cases,
  model = list(
    columns = list(signature = train$signature, us_aln = train$us_aln, size = train$size,
                   birads = train$birads),
    y = train$y,
    coefficients = unname(coef(fit)),
    deviance = unname(fit$deviance),
    stats = as.list(fit$stats)),
  validate = list(seed = 7, B = 200, rows = table_list(unclass(val))),
  calibrate = list(seed = 11, B = 200, rows = cal_rows),
  resamples = list(seed = 7, n = nrow(train), first = first),
  cstat2rsq = cstat
), "valprob.json")

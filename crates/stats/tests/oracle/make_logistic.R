# Oracle for logistic regression (Table 3 output) and univariate screening.
# Run: Rscript crates/stats/tests/oracle/make_logistic.R
# Writes crates/stats/tests/fixtures/logistic.json.
# Made with R 4.2.2, rms 6.5.0, jsonlite 1.8.4 (recorded in the fixture).
# Data: a seeded (set.seed(20240122)) simulated training cohort of 621 rows
# with Table 1-like predictors and ALN status drawn from the Table 3 model;
# 12 values of bmi set to NA (glm's na.omit). Also the EVC1 signature score
# (published coefficients) as a single predictor.
# Calls: glm(y ~ ., family = binomial, control = glm.control(epsilon = 1e-14,
# maxit = 100)) (tighter than the default so the oracle is the exact MLE);
# exp(confint.default(fit)); rms::lrm(y ~ .) for Model L.R., R2, Brier;
# C-index = pROC::auc of the fitted probabilities (lrm's C bins them).
source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))), "common.R"))
suppressPackageStartupMessages(library(rms))

set.seed(20240122)
n <- 621
age <- round(rnorm(n, 54.5, 11.5))
birads <- sample(1:4, n, replace = TRUE, prob = c(0.277, 0.232, 0.214, 0.277))
grade <- sample(1:3, n, replace = TRUE, prob = c(0.155, 0.48, 0.366))
us_aln <- rbinom(n, 1, 0.39)
size <- round(pmax(0.3, rnorm(n, 2.24, 1.06)), 2)
bmi <- round(rnorm(n, 25, 4), 1)
lp <- -1.2 - 0.0184 * (age - 54.5) + 0.3811 * (birads - 2.5) + 0.3896 * (grade - 2.2) + 0.7001 * us_aln + 0.1 * (size - 2.24)
y <- rbinom(n, 1, plogis(lp))
bmi[sample(n, 12)] <- NA
d <- data.frame(age, birads, grade, us_aln, size, bmi, y)
ctl <- glm.control(epsilon = 1e-14, maxit = 100)

fit_entry <- function(formula, data) {
  f <- glm(formula, family = binomial, data = data, control = ctl)
  s <- summary(f)$coefficients
  ci <- exp(confint.default(f))
  l <- lrm(formula, data = data)
  list(names = rownames(s), estimate = unname(s[, 1]), std_error = unname(s[, 2]), z = unname(s[, 3]),
       p_value = unname(s[, 4]), odds_ratio = unname(exp(s[, 1])), or_ci_low = unname(ci[, 1]), or_ci_high = unname(ci[, 2]),
       n = nobs(f), deviance = f$deviance, null_deviance = f$null.deviance, df_residual = f$df.residual, aic = f$aic,
       lr_chisq = unname(l$stats["Model L.R."]), lr_p_value = unname(l$stats["P"]), nagelkerke_r2 = unname(l$stats["R2"]),
       c_index_lrm = unname(l$stats["C"]), brier = unname(l$stats["Brier"]),
       # lrm's C bins the predictions; the exact concordance is pROC's AUC of the fitted values
       c_index = as.numeric(pROC::auc(pROC::roc(f$y, fitted(f), direction = "<", levels = c(0, 1), quiet = TRUE))))
}

multi <- fit_entry(y ~ age + birads + grade + us_aln + size + bmi, d)
screen <- lapply(c("age", "birads", "grade", "us_aln", "size", "bmi"), function(v) {
  f <- glm(as.formula(paste("y ~", v)), family = binomial, data = d, control = ctl)
  s <- summary(f)$coefficients
  ci <- exp(confint.default(f))
  list(predictor = v, n = nobs(f), estimate = s[2, 1], std_error = s[2, 2], z = s[2, 3], p_value = s[2, 4],
       or_ci_low = ci[2, 1], or_ci_high = ci[2, 2])
})

sig <- read.csv(file.path(data_dir, "published_signature.csv"))
e1 <- read.csv(file.path(data_dir, "EVC1.csv"), check.names = FALSE)
e1d <- data.frame(y = e1$ALN_status, signature = as.vector(as.matrix(e1[, sig$feature]) %*% sig$coefficient))
evc1 <- fit_entry(y ~ signature, e1d)

write_fixture(list(
  versions = versions(c("rms", "pROC", "jsonlite")), seed = 20240122,
  data = list(age = age, birads = birads, grade = grade, us_aln = us_aln, size = size, bmi = bmi, y = y),
  multivariable = multi, univariate = screen,
  evc1_signature = c(list(y = e1d$y, signature = e1d$signature), evc1)), "logistic.json")

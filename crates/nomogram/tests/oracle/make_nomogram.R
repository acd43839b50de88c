# Oracle for dlrn-nomogram: rms::nomogram points scales and the total points
# <-> probability mapping, written to ../fixtures/nomogram.json.
#
# R 4.2.2 Patched (2022-11-10 r83330), rms 6.5-0, jsonlite (Debian r-cran-*).
# Seed: set.seed(20240322) (R's default Mersenne-Twister / Inversion).
# Data: 300 simulated patients with the DLRN's predictor kinds: age (years,
# continuous), BI-RADS 4A/4B/4C/5 coded 1-4, nuclear grade I/II/III coded 1-3,
# US-ALN non-suspicious/suspicious coded 0/1, and a continuous signature score.
# Calls:
#   dd <- datadist(d); options(datadist = "dd")
#   fit <- lrm(y ~ age + birads + grade + us_aln + signature, data = d)
#   nomogram(fit, fun = plogis, funlabel = "Risk")                    # "default"
#   nomogram(fit, fun = plogis, fun.at = c(.05, .1, .2, ..., .9, .95),
#            age = seq(25, 85, by = 5), signature = seq(-4, 4, by = 1)) # "explicit"
#   nomogram(fit, fun = plogis, funlabel = "Risk", lp.at = seq(-4, 2, by = 0.5),
#            maxscale = 10)                                          # "lp_at"
# Run from the crate folder: Rscript tests/oracle/make_nomogram.R
suppressPackageStartupMessages({ library(rms); library(jsonlite) })
set.seed(20240322)
n <- 300
d <- data.frame(
  age = round(rnorm(n, 54.5, 11.5)),
  birads = sample(1:4, n, replace = TRUE, prob = c(.28, .23, .21, .28)),
  grade = sample(1:3, n, replace = TRUE, prob = c(.16, .48, .36)),
  us_aln = rbinom(n, 1, 0.39),
  signature = rnorm(n, 0, 1.3)
)
eta <- -0.9 - 0.018 * (d$age - 54.5) + 0.38 * (d$birads - 2.5) +
  0.39 * (d$grade - 2.2) + 0.70 * d$us_aln + 1.1 * d$signature
d$y <- rbinom(n, 1, plogis(eta))
dd <- datadist(d); options(datadist = "dd")
fit <- lrm(y ~ age + birads + grade + us_aln + signature, data = d)

preds <- c("age", "birads", "grade", "us_aln", "signature")
axis_tables <- function(nom) {
  out <- list()
  for (p in preds) out[[p]] <- list(x = as.numeric(nom[[p]][[p]]), points = as.numeric(nom[[p]]$points))
  out
}
dump_nom <- function(nom) {
  info <- attr(nom, "info")
  list(
    predictors = axis_tables(nom),
    total_points = as.numeric(nom$total.points$x),
    lp = list(x = as.numeric(nom$lp$x), x_real = as.numeric(nom$lp$x.real)),
    probability = list(x = as.numeric(nom$Risk$x), x_real = as.numeric(nom$Risk$x.real)),
    sc = info$sc, axis_intercept = unname(info$Intercept), lp_at = as.numeric(info$lp.at)
  )
}
nom_default <- nomogram(fit, fun = plogis, funlabel = "Risk")
fun_at <- c(.05, .1, .2, .3, .4, .5, .6, .7, .8, .9, .95)
nom_explicit <- nomogram(fit, fun = plogis, funlabel = "Risk", fun.at = fun_at,
                         age = seq(25, 85, by = 5), signature = seq(-4, 4, by = 1))

nom_lp_at <- nomogram(fit, fun = plogis, funlabel = "Risk", lp.at = seq(-4, 2, by = 0.5), maxscale = 10)

# Patients scored with R's own arithmetic on the default nomogram: points per
# predictor from the nomogram's scale factor and per-predictor minima, the
# linear predictor and probability from predict.lrm.
info <- attr(nom_default, "info")
patients <- data.frame(age = c(35, 48, 61, 72, 54), birads = c(1, 2, 3, 4, 4),
                       grade = c(1, 3, 2, 3, 1), us_aln = c(0, 1, 0, 1, 1),
                       signature = c(-1.7, 0.25, 1.4, 2.9, -0.3))
b <- coef(fit)
pts <- sapply(preds, function(p) (b[[p]] * patients[[p]] - info$R[1, p]) * info$sc)
lp <- predict(fit, newdata = patients, type = "lp")
scored <- lapply(seq_len(nrow(patients)), function(i) list(
  values = as.list(patients[i, ]), points = as.list(pts[i, ]), total = sum(pts[i, ]),
  lp = unname(lp[i]), probability = unname(plogis(lp[i]))))

out <- list(
  header = list(r = R.version.string, rms = as.character(packageVersion("rms")),
                seed = 20240322, n = n),
  intercept = unname(b[["Intercept"]]),
  coefficients = as.list(b[preds]),
  lp_range = range(fit$linear.predictors),
  # datadist's "Low"/"High" rows (the data's min and max): rms's default axis
  # for a continuous predictor is pretty(c(Low, High), n = nint).
  full_range = list(age = range(d$age), signature = range(d$signature)),
  default = dump_nom(nom_default),
  explicit = c(dump_nom(nom_explicit), list(fun_at = fun_at)),
  lp_at = dump_nom(nom_lp_at),
  patients = scored
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/fixtures/nomogram.json")

# Oracle for dlrn-lasso: glmnet / cv.glmnet (family binomial, alpha 1) on the
# released EVC1 + EVC2 tables stacked in that order (199 rows x 2591 features;
# MSD dropped because it holds NaN).
#
# R 4.2.2, glmnet 4.1-6, jsonlite. No randomness: folds are foldid = (row mod 10) + 1
# with 0-based rows. (type.measure = "auc" breaks tied predictions with runif
# inside glmnet:::auc; set.seed(1) makes that reproducible. Ties only occur
# where every fold's fit is the null model, i.e. the first lambdas.)
#
# Calls:
#   fit   <- glmnet(x, y, family = "binomial")                       # defaults, thresh 1e-7
#   tight <- glmnet(x, y, family = "binomial", thresh = 1e-14)
#   cv    <- cv.glmnet(x, y, family = "binomial", foldid = foldid, type.measure = m)
#   small <- cv.glmnet(x[seq(1, 199, 5), 1:200], ..., foldid = (k %% 15) + 1, type.measure = m)
#   gauss <- glmnet(xs, y, family = "gaussian", standardize = FALSE, thresh = 1e-14, lambda = ...)
#
# Run from the repository root:
#   Rscript crates/lasso/tests/oracle/make_glmnet_evc.R
# Writes crates/lasso/tests/fixtures/glmnet_evc.json (non-zero coefficients only).
suppressPackageStartupMessages({ library(glmnet); library(jsonlite) })
data_dir <- Sys.getenv("DLRN_ALN_PAPER", "../shared/data/aln-paper")
out <- "crates/lasso/tests/fixtures/glmnet_evc.json"

read_one <- function(f) read.csv(file.path(data_dir, f), check.names = FALSE, stringsAsFactors = FALSE)
d <- rbind(read_one("EVC1.csv"), read_one("EVC2.csv"))
d$MSD <- NULL
features <- setdiff(names(d), c("id", "ALN_status"))
x <- as.matrix(d[, features])
storage.mode(x) <- "double"
y <- d$ALN_status
stopifnot(!anyNA(x), nrow(x) == 199, ncol(x) == 2591)
foldid <- (seq_len(nrow(x)) - 1) %% 10 + 1

nonzero <- function(fit, k) {
  b <- as.matrix(coef(fit))[, k]
  nz <- which(b[-1] != 0)
  list(lambda = fit$lambda[k], index = k, intercept = unname(b[1]),
       features = features[nz], coefficients = unname(b[-1][nz]))
}

fit <- glmnet(x, y, family = "binomial")
tight <- glmnet(x, y, family = "binomial", thresh = 1e-14)
stopifnot(isTRUE(all.equal(fit$lambda[seq_along(tight$lambda)], tight$lambda[seq_along(fit$lambda)])))
path_idx <- unique(pmin(c(2, 5, 10, 15, 20, 25, 30, 40, 50, length(tight$lambda)), length(tight$lambda)))

cvs <- list()
for (m in c("deviance", "mse", "class", "auc")) {
  set.seed(1)
  cv <- cv.glmnet(x, y, family = "binomial", foldid = foldid, type.measure = m)
  imin <- cv$index["min", 1]; i1se <- cv$index["1se", 1]
  cvs[[m]] <- list(
    measure = m, cvm = unname(cv$cvm), cvsd = unname(cv$cvsd), nzero = unname(cv$nzero),
    lambda_min = cv$lambda.min, lambda_1se = cv$lambda.1se,
    index_min = unname(imin), index_1se = unname(i1se),
    min = nonzero(cv$glmnet.fit, imin), one_se = nonzero(cv$glmnet.fit, i1se),
    tight_min = nonzero(tight, imin), tight_1se = nonzero(tight, i1se))
}

# Gaussian elastic net for the linfa-elasticnet comparison: the first 20 features,
# standardised with the 1/n standard deviation, response = ALN_status.
xs <- x[, 1:20]
xs <- sweep(xs, 2, colMeans(xs))
xs <- sweep(xs, 2, sqrt(colMeans(xs^2)), "/")
glam <- c(0.05, 0.02, 0.01, 0.005)
gfit <- glmnet(xs, y, family = "gaussian", standardize = FALSE, thresh = 1e-14, lambda = glam)
gb <- as.matrix(coef(gfit))
gauss <- list(features = features[1:20], lambda = glam,
              intercept = unname(gb[1, ]), coefficients = unname(lapply(seq_along(glam), function(k) gb[-1, k])))

# Small folds: every 5th row (40 rows) and the first 200 features, 15 folds
# of 2-3 rows, where cv.glmnet does not group the losses by fold (< 3 rows
# per fold). foldid = (k mod 15) + 1 for the k-th (0-based) kept row.
# (type.measure deviance, and auc, which falls back to deviance below 10 rows
# per fold, stop with an error inside glmnet 4.1-6's cv.lognet here.)
rs <- seq(1, 199, by = 5)
xsm <- x[rs, 1:200]; ysm <- y[rs]; fsm <- (seq_along(rs) - 1) %% 15 + 1
small <- list()
for (m in c("mse", "class")) {
  cv <- suppressWarnings(cv.glmnet(xsm, ysm, family = "binomial", foldid = fsm, type.measure = m))
  small[[m]] <- list(measure = unname(cv$name), cvm = unname(cv$cvm), cvsd = unname(cv$cvsd),
                     index_min = unname(cv$index["min", 1]), index_1se = unname(cv$index["1se", 1]))
}

res <- list(
  meta = list(R = R.version.string, glmnet = as.character(packageVersion("glmnet")),
              data = "EVC1.csv + EVC2.csv stacked, MSD dropped", n = nrow(x), p = ncol(x),
              n_positive = sum(y), foldid = "(row0 %% 10) + 1"),
  lambda = fit$lambda, df = unname(fit$df), dev_ratio = fit$dev.ratio, nulldev = fit$nulldev,
  tight_lambda_len = length(tight$lambda),
  tight_path = lapply(path_idx, function(k) nonzero(tight, k)),
  cv = cvs, gaussian = gauss, small = small)
writeLines(toJSON(res, auto_unbox = TRUE, digits = I(17), pretty = FALSE), out)
cat("wrote", out, "\n")

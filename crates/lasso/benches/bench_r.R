# Times cv.glmnet (family binomial, type.measure deviance, defaults) on the
# benchmark tables of benches/cv.rs, for the ratio it reports.
# R 4.2.2, glmnet 4.1-6. Usage:
#   Rscript crates/lasso/benches/bench_r.R <aln-paper dir> <simulated.csv> <reps>
# Prints one line per case: <case> <median seconds> <lambda.min> <n selected>.
suppressPackageStartupMessages(library(glmnet))
args <- commandArgs(trailingOnly = TRUE)
data_dir <- args[1]; sim <- args[2]; reps <- as.integer(args[3])

time_cv <- function(name, x, y) {
  foldid <- (seq_len(nrow(x)) - 1) %% 10 + 1
  secs <- numeric(reps)
  for (r in seq_len(reps)) {
    t0 <- proc.time()[["elapsed"]]
    cv <- cv.glmnet(x, y, family = "binomial", foldid = foldid, type.measure = "deviance")
    secs[r] <- proc.time()[["elapsed"]] - t0
  }
  nsel <- sum(as.matrix(coef(cv, s = "lambda.min"))[-1, 1] != 0)
  cat(name, median(secs), cv$lambda.min, nsel, "\n")
}

rd <- function(f) read.csv(file.path(data_dir, f), check.names = FALSE)
d <- rbind(rd("EVC1.csv"), rd("EVC2.csv")); d$MSD <- NULL
x <- as.matrix(d[, setdiff(names(d), c("id", "ALN_status"))])
time_cv("evc", x, d$ALN_status)

s <- read.csv(sim, check.names = FALSE)
xs <- as.matrix(s[, setdiff(names(s), c("id", "ALN_status"))])
time_cv("simulated", xs, s$ALN_status)

# Times cv.glmnet (family binomial, type.measure deviance, defaults, foldid =
# (row mod 10) + 1) on the benchmark tables of benches/cv.rs, one run per
# request, so that the Rust and R sides can alternate run by run.
# R 4.2.2, glmnet 4.1-6. Usage (benches/cv.rs starts it):
#   Rscript crates/lasso/benches/bench_r.R <aln-paper dir> <simulated.csv>
# Prints "ready" once both tables are read, then answers each line read on
# stdin ("evc" or "simulated") with
#   <case> <seconds> <lambda.min> <1-based columns selected at lambda.min, comma-separated>
# timing only the cv.glmnet call (elapsed time). "quit" ends it.
suppressPackageStartupMessages(library(glmnet))
args <- commandArgs(trailingOnly = TRUE)
data_dir <- args[1]; sim <- args[2]

rd <- function(f) read.csv(file.path(data_dir, f), check.names = FALSE)
d <- rbind(rd("EVC1.csv"), rd("EVC2.csv")); d$MSD <- NULL
s <- read.csv(sim, check.names = FALSE)
cases <- list(
  evc = list(x = as.matrix(d[, setdiff(names(d), c("id", "ALN_status"))]), y = d$ALN_status),
  simulated = list(x = as.matrix(s[, setdiff(names(s), c("id", "ALN_status"))]), y = s$ALN_status))
rm(d, s)

cat("ready\n"); flush(stdout())
con <- file("stdin", open = "r")
repeat {
  line <- readLines(con, n = 1)
  if (length(line) == 0 || line == "quit") break
  case <- cases[[line]]
  foldid <- (seq_len(nrow(case$x)) - 1) %% 10 + 1
  t0 <- proc.time()[["elapsed"]]
  cv <- cv.glmnet(case$x, case$y, family = "binomial", foldid = foldid, type.measure = "deviance")
  secs <- proc.time()[["elapsed"]] - t0
  sel <- which(as.matrix(coef(cv, s = "lambda.min"))[-1, 1] != 0)
  cat(line, sprintf("%.6f", secs), sprintf("%.17g", cv$lambda.min), paste(sel, collapse = ","), "\n")
  flush(stdout())
}

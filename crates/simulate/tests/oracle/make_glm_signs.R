# Oracle for the Table 3 signs check of the simulated training cohort.
#
# Makes: crates/simulate/tests/fixtures/glm_signs.csv
# Input: the simulated TC clinical.csv for seed 3, scale 1, written by
#   cargo run -p dlrn-simulate --example clinical -- /tmp/sim3 3 1
#   Rscript crates/simulate/tests/oracle/make_glm_signs.R /tmp/sim3/TC/clinical.csv
# Made with: R 4.2.2 (stats::glm), digest 0.6.x for the SHA-256 of the input.
# Call: glm(ALN_status ~ age + birads_step + grade + us_aln_suspicious,
#           family = binomial), birads_step 4A=0,4B=1,4C=2,5=3, grade 1..3,
#           us_aln_suspicious 0/1 — the multivariable model of the paper's
#           Table 3 (age -0.0184, BI-RADS 0.3811, grade 0.3896, US-ALN 0.7001).
# Also records the full model with every clinical column (no assertion: the
# other factors carry no effect in the simulation, so they should be small).

args <- commandArgs(trailingOnly = TRUE)
path <- if (length(args) >= 1) args[1] else "/tmp/sim3/TC/clinical.csv"
out <- if (length(args) >= 2) args[2] else "crates/simulate/tests/fixtures/glm_signs.csv"

d <- read.csv(path, colClasses = "character", na.strings = "")
d$ALN_status <- as.integer(d$ALN_status)
d$age <- as.numeric(d$age)
d$bmi <- as.numeric(d$bmi)
d$us_size_cm <- as.numeric(d$us_size_cm)
d$birads_step <- match(d$birads, c("4A", "4B", "4C", "5")) - 1
d$grade <- as.integer(d$nuclear_grade)
d$us_aln_suspicious <- as.integer(d$us_aln == "suspicious")

fit <- glm(ALN_status ~ age + birads_step + grade + us_aln_suspicious,
           family = binomial, data = d)
co <- summary(fit)$coefficients

full <- glm(ALN_status ~ age + birads_step + grade + us_aln_suspicious + bmi +
              location + tumour_type + er + pr + her2 + ki67 + subtype + us_size_cm,
            family = binomial, data = d)
cf <- summary(full)$coefficients

sha <- digest::digest(file = path, algo = "sha256")
con <- file(out, "w")
writeLines(c(
  sprintf("# made by crates/simulate/tests/oracle/make_glm_signs.R with %s, digest %s",
          R.version.string, as.character(packageVersion("digest"))),
  "# input: simulated TC clinical.csv, seed 3, scale 1",
  sprintf("# input_sha256: %s", sha),
  sprintf("# n: %d, positives: %d", nrow(d), sum(d$ALN_status)),
  "# model,term,estimate,std_error,p_value"), con)
rows <- c(
  sprintf("table3,%s,%.10g,%.10g,%.10g", rownames(co), co[, 1], co[, 2], co[, 4]),
  sprintf("full,%s,%.10g,%.10g,%.10g", rownames(cf), cf[, 1], cf[, 2], cf[, 4]))
writeLines(rows, con)
close(con)
print(co)
print(cf)

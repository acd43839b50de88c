# Oracle for dlrn-nomogram's port of R's pretty() (base::pretty.default with
# its defaults except n), written to ../fixtures/pretty.json.
# R 4.2.2 Patched (2022-11-10 r83330), jsonlite; no randomness.
# Run from the crate folder: Rscript tests/oracle/make_pretty.R
suppressPackageStartupMessages(library(jsonlite))
cases <- list(
  c(23, 81, 10), c(30, 76.0333333333334, 10), c(-2.44793187154252, 2.13007311824925, 10),
  c(-4.50227449448361, 2.97235322300771, 10), c(0, 137.5, 10), c(0, 100, 10),
  c(0.0110, 0.9512, 10), c(0.00669285092428486, 0.952574126822433, 10),
  c(0.2, 0.35, 5), c(-0.5, 0.5, 10), c(1, 1, 10), c(0, 0, 10), c(1234, 98765, 10),
  c(0.001, 0.0043, 10), c(-7.1, -0.2, 10), c(0.48, 0.52, 10), c(1e-3, 1e5, 10),
  c(0, 27.3, 10), c(3, 7, 10), c(0, 1, 10)
)
out <- lapply(cases, function(cs) list(lo = cs[1], hi = cs[2], n = cs[3],
                                        pretty = pretty(c(cs[1], cs[2]), n = cs[3])))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = FALSE), "tests/fixtures/pretty.json")

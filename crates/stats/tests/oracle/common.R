# Shared helpers of the oracle scripts: versions header and exact JSON output.
suppressPackageStartupMessages({
  library(jsonlite)
})
versions <- function(pkgs) {
  c(list(R = R.version.string),
    setNames(lapply(pkgs, function(p) as.character(packageVersion(p))), pkgs))
}
# 17 significant digits: every double round-trips exactly through the JSON.
write_fixture <- function(x, name) {
  here <- dirname(sys.frame(1)$ofile %||% ".")
  path <- file.path(fixture_dir, name)
  writeLines(toJSON(x, digits = I(17), auto_unbox = TRUE, null = "null", na = "null", pretty = TRUE), path)
  cat("wrote", path, "\n")
}
`%||%` <- function(a, b) if (is.null(a)) b else a
args <- commandArgs(trailingOnly = FALSE)
script_dir <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
fixture_dir <- normalizePath(file.path(script_dir, "..", "fixtures"))
data_dir <- normalizePath(file.path(script_dir, "..", "..", "..", "..", "..", "shared", "data", "aln-paper"))

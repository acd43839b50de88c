# Oracle for the Table 1 tests added with the reader/agreement work: Fisher's
# exact test on r x c tables, Shapiro-Wilk, Welch's one-way ANOVA,
# Kruskal-Wallis, more Mann-Whitney branches, and the test-choice rule.
# Run: Rscript crates/stats/tests/oracle/make_table1.R
# Writes crates/stats/tests/fixtures/table1.json.
# Made with R 4.2.2, jsonlite 1.8.4 (recorded in the fixture).
# Data: Table 1 counts of study.md (paper percentages x cohort sizes) and
# seeded (set.seed(20241130)) samples.
# Calls: fisher.test(t)$p.value (workspace = 2e7 for the large tables);
# shapiro.test(x); oneway.test(v ~ g, var.equal = FALSE);
# kruskal.test(list(...)); wilcox.test(x, y) (R's default branch choice).
# Rule (independently coded here in R): continuous -> t.test when every group
# has shapiro.test p > 0.05, else wilcox.test (two groups) / oneway.test vs
# kruskal.test (more groups); categorical -> chisq.test(t) unless an expected
# count < 5, then fisher.test(t).
source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))), "common.R"))

set.seed(20241130)
ft <- function(name, t) list(name = name, table = t, p_value = fisher.test(t, workspace = 2e7)$p.value)
# Location (UOQ/LOQ/UIQ/LIQ/central) counts, TC vs EVC3 (Table 1 percentages).
loc_tc_evc3 <- cbind(c(130, 61, 163, 66, 201), c(31, 12, 6, 13, 1))
# Tumour type, EVC1 vs EVC3 (invasive ST is 0 in EVC3).
type_evc1_evc3 <- cbind(c(4, 97, 8, 3), c(2, 60, 0, 1))
# Nuclear grade across EVC1/EVC2/EVC3.
grade_evcs <- cbind(c(5, 67, 40), c(13, 49, 25), c(10, 37, 16))
# BI-RADS across the three EVCs (n = 262). (Across all four cohorts, n = 883,
# R's FEXACT stops with error 501 whatever the workspace.)
birads_evcs <- cbind(c(18, 35, 8, 51), c(6, 12, 12, 57), c(13, 21, 18, 11))
small_3x3 <- matrix(c(3, 1, 4, 1, 5, 9, 2, 6, 5), 3, byrow = TRUE)
sparse_2x4 <- matrix(c(0, 2, 7, 1, 4, 0, 1, 3), 2, byrow = TRUE)
fisher <- list(ft("small_3x3", small_3x3), ft("sparse_2x4", sparse_2x4), ft("type_evc1_evc3", type_evc1_evc3),
               ft("grade_evcs", grade_evcs), ft("loc_tc_evc3", loc_tc_evc3), ft("birads_evcs", birads_evcs))

sw <- function(name, x) { r <- shapiro.test(x); list(name = name, x = x, w = unname(r$statistic), p_value = r$p.value) }
shapiro <- list(sw("n3", c(2.1, 3.7, 3.9)), sw("n5", rnorm(5)), sw("n9", round(rnorm(9, 50, 10), 1)),
                sw("n40", rnorm(40, 54.5, 11.5)), sw("lognormal_200", rlnorm(200, 0.7, 0.45)),
                sw("uniform_621", runif(621, 18, 90)))

g3 <- list(rnorm(40, 54, 11), rnorm(30, 57, 8), rnorm(25, 52, 14))
g3t <- list(round(rnorm(40, 2.2, 1), 1), round(rnorm(30, 2.6, 1.1), 1), round(rnorm(25, 2.1, 0.9), 1))
ow <- function(gs) { v <- unlist(gs); g <- factor(rep(seq_along(gs), lengths(gs))); r <- oneway.test(v ~ g, var.equal = FALSE)
  list(groups = gs, f = unname(r$statistic), df1 = unname(r$parameter[1]), df2 = unname(r$parameter[2]), p_value = r$p.value) }
kw <- function(gs) { r <- kruskal.test(gs); list(groups = gs, h = unname(r$statistic), df = unname(r$parameter), p_value = r$p.value) }

wt <- function(name, a, b) { r <- suppressWarnings(wilcox.test(a, b)); list(name = name, x = a, y = b, w = unname(r$statistic), p_value = r$p.value,
  exact = length(a) < 50 && length(b) < 50 && !anyDuplicated(c(a, b))) }
wilcox <- list(wt("exact_49_49", rnorm(49), rnorm(49, 0.3)), wt("normal_50_12", rnorm(50), rnorm(12, 0.5)),
               wt("exact_low_w", rnorm(8, -1), rnorm(11)), wt("ties_small", c(1, 2, 2, 3, 5), c(2, 4, 4, 6, 7, 8)))

rule_cont <- function(name, gs) {
  normal <- all(sapply(gs, function(v) length(v) >= 3 && shapiro.test(v)$p.value > 0.05))
  if (length(gs) == 2) {
    if (normal) list(name = name, groups = gs, test = "welch_t", p_value = t.test(gs[[1]], gs[[2]])$p.value)
    else list(name = name, groups = gs, test = "mann_whitney", p_value = suppressWarnings(wilcox.test(gs[[1]], gs[[2]]))$p.value)
  } else {
    v <- unlist(gs); g <- factor(rep(seq_along(gs), lengths(gs)))
    if (normal) list(name = name, groups = gs, test = "welch_anova", p_value = oneway.test(v ~ g, var.equal = FALSE)$p.value)
    else list(name = name, groups = gs, test = "kruskal_wallis", p_value = kruskal.test(gs)$p.value)
  }
}
rule_cat <- function(name, t) {
  t2 <- t[rowSums(t) > 0, , drop = FALSE]
  e <- suppressWarnings(chisq.test(t2))
  if (min(e$expected) >= 5) list(name = name, table = t, test = "chi_square", p_value = e$p.value)
  else list(name = name, table = t, test = "fisher_exact", p_value = fisher.test(t2, workspace = 2e7)$p.value)
}
age <- list(rnorm(621, 54.5, 11.51), rnorm(63, 54.78, 9.83))
size <- list(rlnorm(621, log(2.0), 0.45), rlnorm(112, log(2.0), 0.47))
rule <- list(
  continuous = list(rule_cont("age_tc_evc3", age), rule_cont("size_tc_evc1", size),
                    rule_cont("age_three", g3), rule_cont("size_three", list(size[[1]][1:80], size[[2]], rlnorm(40, log(2.2), 0.5)))),
  categorical = list(rule_cat("loc_tc_evc3", loc_tc_evc3), rule_cat("us_aln_tc_evc1", cbind(c(379, 242), c(75, 37))),
                     rule_cat("type_evc1_evc3_empty_level", rbind(type_evc1_evc3, c(0, 0)))))

write_fixture(list(
  versions = versions("jsonlite"), seed = 20241130,
  fisher = fisher, shapiro = shapiro, welch_anova = ow(g3), kruskal = kw(g3t), kruskal_plain = kw(g3), wilcox = wilcox,
  rule = rule), "table1.json")

//! The published signature: read from a feature,coefficient CSV or parsed
//! from the authors' R script (`a$sig <- a$NAME*COEF + ...`), and compared
//! with a rerun LASSO's coefficients.

use std::collections::BTreeMap;
use std::path::Path;

use dlrn_cohort::Table;
use dlrn_lasso::SignatureModel;
use dlrn_report::CoefficientTable;

use super::table_error;
use crate::error::{Result, StudyError};

/// The published signature: optional intercept and (feature, coefficient) in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    /// The intercept (0 when the file has none).
    pub intercept: f64,
    /// (feature, coefficient), in the file's order.
    pub terms: Vec<(String, f64)>,
}

/// Reads the signature from the authors' R script (`*.R`) or a
/// feature,coefficient CSV.
pub fn read_signature(path: &Path) -> Result<Signature> {
    let is_r = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("r"));
    if is_r {
        let bytes = std::fs::read(path).map_err(|e| StudyError::During {
            context: format!("reading the signature {}", path.display()),
            source: Box::new(e),
        })?;
        let text = String::from_utf8_lossy(&bytes);
        parse_r_signature(&text).map_err(|message| StudyError::Input {
            path: path.to_path_buf(),
            message,
        })
    } else {
        read_signature_csv(path)
    }
}

/// One token of the R signature expression, with its 1-based line.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// `obj$name`: (object, column).
    Column(String, String),
    /// A numeric literal.
    Number(f64),
    /// `+`, `-` or `*`.
    Op(char),
}

/// Parses the authors' R script: the assignment `OBJ$sig <- OBJ$NAME*COEF +
/// ...` (or `=`), continued over lines while a line ends with an operator,
/// as R reads it. Each term is a column of OBJ times a number (either
/// order; signs allowed); a bare number is the intercept. Errors name the
/// 1-based line and what was found.
pub fn parse_r_signature(text: &str) -> std::result::Result<Signature, String> {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    // R comments: the lines of interest hold no strings, so `#` starts one.
    let code = |l: &'_ str| -> String { l.split('#').next().unwrap_or("").to_string() };
    let mut start = None;
    for (i, line) in lines.iter().enumerate() {
        let c = code(line);
        let Some((lhs, rhs)) = split_assignment(&c) else {
            continue;
        };
        if let Some(obj) = lhs.strip_suffix("$sig") {
            if !is_r_name(obj) {
                return Err(format!(
                    "line {}: `{lhs}`: expected `NAME$sig` on the left of the assignment",
                    i + 1
                ));
            }
            start = Some((i, obj.to_string(), rhs.to_string()));
            break;
        }
    }
    let Some((first, obj, rhs)) = start else {
        return Err(
            "no `a$sig <- a$NAME*COEF + ...` assignment (the signature's terms) was found".into(),
        );
    };
    // Tokens with their lines, over as many lines as the expression continues.
    let mut tokens: Vec<(Token, usize)> = Vec::new();
    let mut line_no = first;
    let mut text_now = rhs;
    loop {
        for t in tokenize(&text_now, line_no + 1, &obj)? {
            tokens.push((t, line_no + 1));
        }
        let open = matches!(tokens.last(), None | Some((Token::Op(_), _)));
        if !open {
            break;
        }
        line_no += 1;
        if line_no >= lines.len() {
            let at = tokens.last().map_or(first + 1, |(_, l)| *l);
            return Err(format!(
                "line {at}: the signature expression continues (ends with an operator or is empty) but the file ends"
            ));
        }
        text_now = code(lines[line_no]);
    }
    let last_line = line_no + 1;

    // term := [+-]* factor [* [+-]* factor], terms joined by + or -.
    let mut terms: Vec<(String, f64)> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut intercept = 0.0;
    let mut i = 0;
    let mut sign = 1.0;
    let unexpected = |t: Option<&(Token, usize)>, what: &str| -> String {
        match t {
            Some((tok, l)) => format!("line {l}: expected {what}, found {}", describe(tok)),
            None => format!("line {last_line}: expected {what}, found the end of the expression"),
        }
    };
    loop {
        let mut factors: Vec<(Token, usize)> = Vec::new();
        loop {
            // Unary signs before a factor.
            while let Some((Token::Op(c @ ('+' | '-')), _)) = tokens.get(i) {
                if *c == '-' {
                    sign = -sign;
                }
                i += 1;
            }
            match tokens.get(i) {
                Some((t @ (Token::Column(..) | Token::Number(_)), l)) => {
                    factors.push((t.clone(), *l));
                    i += 1;
                }
                other => {
                    return Err(unexpected(other, "a column `OBJ$NAME` or a number"));
                }
            }
            if let Some((Token::Op('*'), _)) = tokens.get(i) {
                i += 1;
                continue;
            }
            break;
        }
        let line = factors[0].1;
        let mut value = sign;
        let mut column: Option<String> = None;
        for (f, l) in &factors {
            match f {
                Token::Number(x) => value *= x,
                Token::Column(_, name) => {
                    if let Some(prev) = &column {
                        return Err(format!(
                            "line {l}: `{prev}` times `{name}` is not a linear term (one column times a coefficient)"
                        ));
                    }
                    column = Some(name.clone());
                }
                Token::Op(_) => {}
            }
        }
        if !value.is_finite() {
            return Err(format!(
                "line {line}: the coefficient {value} is not finite"
            ));
        }
        match column {
            Some(name) => {
                if let Some(prev) = seen.insert(name.clone(), line) {
                    return Err(format!(
                        "line {line}: feature `{name}` appears twice (first on line {prev})"
                    ));
                }
                terms.push((name, value));
            }
            None => intercept += value,
        }
        match tokens.get(i) {
            None => break,
            Some((Token::Op('+'), _)) => sign = 1.0,
            Some((Token::Op('-'), _)) => sign = -1.0,
            other => return Err(unexpected(other, "`+` or `-` between terms")),
        }
        i += 1;
    }
    if terms.is_empty() {
        return Err(format!(
            "line {}: the signature has no feature terms",
            first + 1
        ));
    }
    Ok(Signature { intercept, terms })
}

/// Splits `lhs <- rhs` or `lhs = rhs` (not `==`), both trimmed.
fn split_assignment(code: &str) -> Option<(&str, &str)> {
    if let Some(at) = code.find("<-") {
        return Some((code[..at].trim(), code[at + 2..].trim()));
    }
    let at = code.find('=')?;
    let next = code[at + 1..].chars().next();
    let prev = code[..at].chars().last();
    if next == Some('=') || matches!(prev, Some('<' | '>' | '!' | '=')) {
        return None;
    }
    Some((code[..at].trim(), code[at + 1..].trim()))
}

/// A syntactic R name: letters, digits, `.` and `_`, not starting with a digit or `_`.
fn is_r_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '.')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
}

/// How a token reads in an error message.
fn describe(t: &Token) -> String {
    match t {
        Token::Column(o, n) => format!("`{o}${n}`"),
        Token::Number(x) => format!("the number {x}"),
        Token::Op(c) => format!("`{c}`"),
    }
}

/// Tokens of one line of the signature expression; columns must belong to `obj`.
fn tokenize(text: &str, line: usize, obj: &str) -> std::result::Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if matches!(c, '+' | '-' | '*') {
            out.push(Token::Op(c));
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && matches!(chars[i], 'e' | 'E') {
                i += 1;
                if i < chars.len() && matches!(chars[i], '+' | '-') {
                    i += 1;
                }
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let lit: String = chars[start..i].iter().collect();
            let x: f64 = lit
                .parse()
                .map_err(|_| format!("line {line}: `{lit}` is not a number"))?;
            out.push(Token::Number(x));
        } else if c.is_ascii_alphabetic() || c == '.' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '.' | '_'))
            {
                i += 1;
            }
            let name: String = chars[start..i].iter().collect();
            if chars.get(i) != Some(&'$') {
                let rest: String = chars[start..].iter().take(30).collect();
                return Err(format!(
                    "line {line}: `{}`: expected a column `{obj}$NAME` or a number",
                    rest.trim_end()
                ));
            }
            i += 1;
            let col_start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '.' | '_'))
            {
                i += 1;
            }
            let column: String = chars[col_start..i].iter().collect();
            if column.is_empty() {
                return Err(format!("line {line}: `{name}$` has no column name"));
            }
            if name != obj {
                return Err(format!(
                    "line {line}: `{name}${column}` is a column of `{name}`, but the signature is assigned to `{obj}$sig`"
                ));
            }
            out.push(Token::Column(name, column));
        } else {
            return Err(format!(
                "line {line}: unexpected `{c}` in the signature expression (expected `{obj}$NAME*COEF` terms joined by `+`)"
            ));
        }
    }
    Ok(out)
}

/// Reads the signature CSV: columns `feature` and `coefficient`; a row named
/// `intercept` or `(Intercept)` (glmnet's `coef()` name) is the intercept.
fn read_signature_csv(path: &Path) -> Result<Signature> {
    let reading = |e| StudyError::During {
        context: format!("reading the signature {}", path.display()),
        source: Box::new(e),
    };
    let table = Table::read(path).map_err(reading)?;
    table
        .require_columns(&["feature", "coefficient"])
        .map_err(reading)?;
    let names = table.str_column("feature").map_err(table_error)?;
    let coefs = table.f64_column("coefficient").map_err(table_error)?;
    let mut intercept = None;
    let mut terms: Vec<(String, f64)> = Vec::with_capacity(names.len());
    for (i, (name, coef)) in names.into_iter().zip(coefs).enumerate() {
        let row = i + 1;
        let Some(name) = name else {
            return Err(StudyError::Input {
                path: path.to_path_buf(),
                message: format!("row {row}, column `feature`: empty; expected a feature name"),
            });
        };
        if !coef.is_finite() {
            return Err(StudyError::Input {
                path: path.to_path_buf(),
                message: format!(
                    "row {row}, column `coefficient`: {coef} for `{name}`; expected a finite number"
                ),
            });
        }
        if name.eq_ignore_ascii_case("intercept") || name == "(Intercept)" {
            if intercept.replace(coef).is_some() {
                return Err(StudyError::Input {
                    path: path.to_path_buf(),
                    message: format!("row {row}: a second intercept row"),
                });
            }
        } else {
            if terms.iter().any(|(n, _)| *n == name) {
                return Err(StudyError::Input {
                    path: path.to_path_buf(),
                    message: format!("row {row}: feature `{name}` appears twice"),
                });
            }
            terms.push((name, coef));
        }
    }
    if terms.is_empty() {
        return Err(StudyError::Input {
            path: path.to_path_buf(),
            message: "no feature rows".into(),
        });
    }
    Ok(Signature {
        intercept: intercept.unwrap_or(0.0),
        terms,
    })
}

/// The rerun LASSO's coefficients next to the published ones, one row per
/// feature in either (published order first, then the rerun's other features).
pub fn coefficient_table(sig: &Signature, model: &SignatureModel) -> CoefficientTable {
    let rerun: BTreeMap<&str, f64> = model
        .features
        .iter()
        .map(|f| (f.feature.as_str(), f.coefficient))
        .collect();
    let mut rows: Vec<(String, Option<f64>, Option<f64>)> = sig
        .terms
        .iter()
        .map(|(n, c)| (n.clone(), Some(*c), rerun.get(n.as_str()).copied()))
        .collect();
    for f in &model.features {
        if !sig.terms.iter().any(|(n, _)| *n == f.feature) {
            rows.push((f.feature.clone(), None, Some(f.coefficient)));
        }
    }
    CoefficientTable { rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> std::result::Result<Signature, String> {
        parse_r_signature(text)
    }

    /// The script's own layout: assignment on one line, one term per line
    /// with CRLF ends, a comment, negative coefficients and an exponent.
    #[test]
    fn parses_the_authors_layout() {
        let text = "x <- 1\r\n## compile\r\na$sig<-  \r\n  a$LBP_38*-261.05+\r\n  a$f_135*-0.44 + # note\r\n\r\n  a$f_2*1e-3+\r\n  0.5*a$f_9\r\n  \r\nwrite.csv(a, \"p\")\r\n";
        let s = parse(text).unwrap();
        assert_eq!(
            s.terms,
            vec![
                ("LBP_38".to_string(), -261.05),
                ("f_135".to_string(), -0.44),
                ("f_2".to_string(), 0.001),
                ("f_9".to_string(), 0.5),
            ]
        );
        assert_eq!(s.intercept, 0.0);
        // A binary minus, an intercept and `=` as the assignment.
        let s = parse("b$sig = 2 + b$u*3 - b$v*4\n").unwrap();
        assert_eq!(s.intercept, 2.0);
        assert_eq!(s.terms, vec![("u".into(), 3.0), ("v".into(), -4.0)]);
    }

    /// Malformed scripts: each error names the line and what is wrong.
    #[test]
    fn malformed_scripts_name_the_line() {
        let cases: [(&str, &str); 8] = [
            // The expression runs into the next statement (missing coefficient).
            (
                "a$sig <- a$f_1*0.5 +\n  a$f_2*\nwrite.csv(a, 'x')\n",
                "line 3: `write.csv(a, 'x')`",
            ),
            // A column of another data frame.
            (
                "a$sig <- a$f_1*0.5 +\n  b$f_2*0.3\n",
                "line 2: `b$f_2` is a column of `b`",
            ),
            // A coefficient that is not a number.
            ("a$sig <- a$f_1*0.5.3\n", "line 1: `0.5.3` is not a number"),
            // The same feature twice.
            (
                "a$sig <- a$f_1*0.5 +\n  a$f_2*1 +\n  a$f_1*2\n",
                "line 3: feature `f_1` appears twice (first on line 1)",
            ),
            // A trailing `+` at the end of the file.
            (
                "a$sig <- a$f_1*0.5 +\n  a$f_2*1 +\n",
                "line 2: the signature expression continues",
            ),
            // Two columns multiplied.
            (
                "a$sig <- a$f_1*a$f_2\n",
                "line 1: `f_1` times `f_2` is not a linear term",
            ),
            // Two terms without an operator between them.
            (
                "a$sig <- a$f_1*0.5 a$f_2*1\n",
                "line 1: expected `+` or `-` between terms",
            ),
            // Parentheses are not part of the format.
            ("a$sig <- (a$f_1*0.5)\n", "line 1: unexpected `(`"),
        ];
        for (text, want) in cases {
            let err = parse(text)
                .err()
                .unwrap_or_else(|| panic!("accepted: {text:?}"));
            assert!(err.contains(want), "{text:?}: {err}");
        }
        let err = parse("x <- 1\ny <- 2\n").err().unwrap();
        assert!(err.contains("no `a$sig <- a$NAME*COEF"), "{err}");
    }

    #[test]
    fn read_signature_names_the_file_for_scripts() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.R");
        std::fs::write(&p, "a$sig <- a$f_1*\n").unwrap();
        let err = read_signature(&p).err().unwrap().to_string();
        assert!(err.contains("bad.R: line 1:"), "{err}");
    }
}

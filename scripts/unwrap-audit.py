#!/usr/bin/env python3
"""Lists `unwrap()` / `expect(` in library and binary code (crates/*/src, src,
xtask/src) that no comment justifies.

A use is justified when a `//` comment on its line, anywhere in its
statement, or on the lines just above the statement says why it cannot
fail. `#[cfg(test)] mod` blocks are skipped. Exit status 1 when any
unjustified use remains, so the audit can run in CI.
"""
import pathlib
import re
import sys

ROOTS = ["crates", "src", "xtask/src"]
PATTERN = re.compile(r"\.unwrap\(\)|\.expect\(")
TEST_MOD = re.compile(r"\s*(pub(\([^)]*\))?\s+)?mod\s")


def module_end(lines, start):
    """Index of the line closing the module that opens at `start`."""
    depth = 0
    for j in range(start, len(lines)):
        code = lines[j].split("//", 1)[0]
        depth += code.count("{") - code.count("}")
        if depth <= 0 and "{" in "".join(lines[start : j + 1]):
            return j
    return len(lines)


def files(root: pathlib.Path):
    for base in ROOTS:
        p = root / base
        if base == "crates":
            yield from sorted(p.glob("*/src/**/*.rs"))
        else:
            yield from sorted(p.glob("**/*.rs"))


def main() -> int:
    root = pathlib.Path(__file__).resolve().parent.parent
    bad = justified = 0
    for f in files(root):
        lines = f.read_text(encoding="utf-8").splitlines()
        skip_to = -1
        for i, line in enumerate(lines):
            if i <= skip_to:
                continue
            if line.strip().startswith("#[cfg(test)]") and TEST_MOD.match(
                lines[i + 1] if i + 1 < len(lines) else ""
            ):
                skip_to = module_end(lines, i + 1)
                continue
            code = line.split("//", 1)[0]
            if not PATTERN.search(code):
                continue
            start = i
            while start > 0 and not lines[start - 1].rstrip().endswith((";", "{", "}")):
                start -= 1
            window = lines[max(0, start - 2) : i + 1]
            if any("//" in w for w in window):
                justified += 1
                continue
            bad += 1
            print(f"{f.relative_to(root)}:{i + 1}: {line.strip()}")
    print(f"{bad} unjustified, {justified} justified unwrap/expect", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Import circles between the files of one crate.

Usage: scripts/import-circles.py [crates/cohort/src more src dirs...]
(without a folder: every crates/*/src, src and xtask/src of the workspace)

Every `crate::a::b…` and `super::…` path in a file (use lines and inline
paths, test modules included) is an edge to the file that defines `a::b`; a
name the crate root re-exports (`pub use m::{X, …}` in lib.rs) resolves to
the file of `m`. The root's own `mod`/`pub use` declarations are not edges
(they name modules, they do not use them). Prints each file's edges with
--verbose, then every strongly connected component of more than one file;
exits 1 when there is one.
"""
import os
import re
import sys


def module_files(src):
    """Module path (tuple) -> file, for every .rs under src."""
    out = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(root, f), src)
            parts = rel[:-3].split(os.sep)
            if parts[-1] in ("mod", "lib", "main"):
                parts = parts[:-1]
            out[tuple(parts)] = os.path.join(src, rel)
    return out


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.split("//")[0] for line in text.splitlines())


def expand_use(text):
    """(path, nested) for each `use a::{b, c::{d}}` path (a::b, a::c::d) and
    each inline `crate::…`/`super::…` path; nested: the line is indented, i.e.
    inside an inline module such as `mod tests`, where `super` is the file."""
    paths = []
    for m in re.finditer(r"^([ \t]*)(?:pub(?:\([a-z]+\))?\s+)?use\s+([^;]+);", text, flags=re.S | re.M):
        nested = bool(m.group(1))
        paths.extend((p, nested) for p in _expand(re.sub(r"\s+", "", m.group(2))))
    for line in text.splitlines():
        if re.match(r"\s*(pub(\([a-z]+\))?\s+)?use\b", line):
            continue
        for m in re.finditer(r"(?<![A-Za-z0-9_:])((?:crate|super)(?:::[A-Za-z_][A-Za-z0-9_]*)+)", line):
            paths.append((m.group(1), line.startswith((" ", "\t"))))
    return paths


def _expand(tree):
    i = tree.find("{")
    if i < 0:
        return [tree.split(" as ")[0]]
    prefix, inner = tree[:i], tree[i + 1 : tree.rfind("}")]
    items, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    items.append(cur)
    out = []
    for it in filter(None, items):
        out.extend(_expand(prefix + it))
    return out


def root_reexports(root_text):
    """Name -> module path of the root's `pub use m::…::{Name}` lines."""
    out = {}
    for m in re.finditer(r"pub\s+use\s+([^;]+);", root_text):
        for path in _expand(re.sub(r"\s+", "", m.group(1))):
            parts = path.split("::")
            if parts[0] == "crate":
                parts = parts[1:]
            if len(parts) >= 2:
                out[parts[-1]] = tuple(parts[:-1])
    return out


def resolve(parts, mods):
    """The longest module prefix of parts that is a file."""
    for n in range(len(parts), -1, -1):
        if tuple(parts[:n]) in mods:
            return tuple(parts[:n])
    return ()


def edges(src):
    mods = module_files(src)
    root = mods[()]
    reexp = root_reexports(strip_comments(open(root).read()))
    graph = {m: set() for m in mods}
    for mod, path in mods.items():
        text = strip_comments(open(path).read())
        is_dir_mod = os.path.basename(path) in ("mod.rs", "lib.rs", "main.rs")
        for p, nested in expand_use(text):
            parts = p.split("::")
            if parts[0] == "crate":
                if mod == ():
                    continue  # the root's declarations
                rest = parts[1:]
                if rest and tuple(rest[:1]) not in mods and rest[0] in reexp:
                    rest = list(reexp[rest[0]]) + rest[1:]
            elif parts[0] in ("super", "self"):
                # the module `super` names: the file itself from an inline
                # module (`mod tests`), else the file's parent module
                here = list(mod) + (["<inline>"] if nested else [])
                base = here if is_dir_mod else here[:-1]
                if parts[0] == "self":
                    base = here
                rest = parts[1:]
                while rest and rest[0] == "super":
                    rest, base = rest[1:], base[:-1]
                rest = [b for b in base if b != "<inline>"] + rest
            else:
                continue  # another crate
            target = resolve(rest, mods)
            if target != mod:
                graph[mod].add(target)
    return mods, graph


def sccs(graph):
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    for v in graph:
        if v not in index:
            visit(v)
    return out


def main():
    verbose = "--verbose" in sys.argv
    dirs = [a for a in sys.argv[1:] if not a.startswith("--")]
    if not dirs:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        crates = os.path.join(root, "crates")
        dirs = [os.path.join(crates, c, "src") for c in sorted(os.listdir(crates))]
        dirs += [os.path.join(root, "src"), os.path.join(root, "xtask", "src")]
        dirs = [os.path.relpath(d) for d in dirs if os.path.isdir(d)]
    bad = False
    for src in dirs:
        mods, graph = edges(src)
        name = lambda m: os.path.relpath(mods[m], src)
        if verbose:
            for m in sorted(graph):
                print(f"{name(m)} -> {', '.join(sorted(name(t) for t in graph[m])) or '-'}")
        circles = [c for c in sccs(graph) if len(c) > 1]
        for c in circles:
            bad = True
            print(f"{src}: circle: {' <-> '.join(sorted(name(m) for m in c))}")
        if not circles:
            print(f"{src}: no import circles among {len(mods)} files")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

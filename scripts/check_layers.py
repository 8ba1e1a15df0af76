#!/usr/bin/env python3
"""Checks the rooms and the arrows between them (docs/architecture.md), file by file:

- core/ includes no Qt header, and nothing from ui/ or app/;
- ui/ includes nothing from app/;
- LibTorch headers are included only by .cpp files of core/learn and core/evaluate, and by
  headers under core/learn/internal/ (so no public header drags torch into ui/ or app/);
- a header under core/<module>/internal/ is included only by core/<module>/ itself, tests/ and
  bench/.

Prints each violation as FILE:LINE: what and exits 1 when there is one; `--self-test` runs it
on a made-up tree with one violation of each kind and checks that all are found.
"""
import os
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')
QT = re.compile(r'^(Q[A-Z]\w*|Qt\w*/|qcustomplot)')


def violations(root):
    found = []
    for top in ("core", "ui", "app"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith((".h", ".cpp")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                with open(path, encoding="utf-8", errors="replace") as f:
                    for no, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if m:
                            found += check(rel, m.group(1), f"{rel}:{no}")
    return found


def check(rel, inc, where):
    out = []
    if rel.startswith("core/"):
        if QT.match(inc):
            out.append(f"{where}: core includes Qt ({inc})")
        if inc.startswith(("ui/", "app/")):
            out.append(f"{where}: core includes {inc} (arrows point down only)")
    if rel.startswith("ui/") and inc.startswith("app/"):
        out.append(f"{where}: ui includes {inc}")
    if inc.startswith(("torch/", "ATen/", "c10/")):
        ok = (rel.startswith(("core/learn/", "core/evaluate/")) and rel.endswith(".cpp")) or \
            rel.startswith("core/learn/internal/")
        if not ok:
            out.append(f"{where}: LibTorch header {inc} outside core/learn and core/evaluate .cpp files")
    m = re.match(r"core/(\w+)/internal/", inc)
    if m and not rel.startswith(f"core/{m.group(1)}/"):
        out.append(f"{where}: {inc} is internal to core/{m.group(1)}")
    return out


def self_test():
    bad = {
        "core/a/x.cpp": '#include <QString>\n#include "ui/page.h"\n',
        "core/a/y.h": "#include <torch/torch.h>\n",
        "ui/page.cpp": '#include "app/cli/commands.h"\n#include "core/b/internal/z.h"\n',
        "core/learn/ok.cpp": '#include <torch/torch.h>\n#include "core/learn/internal/t.h"\n',
    }
    with tempfile.TemporaryDirectory() as root:
        for rel, text in bad.items():
            os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w") as f:
                f.write(text)
        found = violations(root)
    expected = ["core includes Qt", "core includes ui/page.h", "LibTorch header torch/torch.h",
                "ui includes app/cli/commands.h", "internal to core/b"]
    missing = [e for e in expected if not any(e in v for v in found)]
    if missing or len(found) != len(expected):
        print("check_layers self-test failed: found", found, "missing", missing)
        return 1
    print(f"check_layers self-test: all {len(expected)} planted violations found")
    return 0


def main():
    if "--self-test" in sys.argv:
        return self_test()
    root = next((a for a in sys.argv[1:] if not a.startswith("-")),
                os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    found = violations(root)
    for v in found:
        print(v)
    print(f"check_layers: {len(found)} violation(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Rejects an #include that crosses module boundaries the wrong way (docs/architecture.md).

Each module under src/ may include only itself and the modules listed for it below.
"""
import pathlib
import re
import sys

ALLOWED = {
    "base": set(),
    "model": {"base"},
    "protocol": {"base", "model"},
    "metrics": {"base"},
    "io": {"base"},
    "storage": {"base", "model", "io", "metrics"},
    "net": {"base"},
    "group": {"base", "model", "protocol", "storage", "io"},
    "txn": {"base", "model", "protocol", "storage", "io"},
    "quota": {"base", "model"},
    "security": {"base", "io", "model"},
    "broker": {"base", "model", "protocol", "storage", "io", "group", "txn", "quota", "metrics", "security"},
    "lag": {"base", "model", "protocol"},
    "admin": {"base", "model", "protocol", "io", "storage", "net", "group", "txn", "broker", "lag", "security"},
    "app": {"base", "model", "protocol", "io", "storage", "net", "group", "txn", "quota", "broker", "lag", "admin", "metrics", "security"},
    "cli": {"base", "model", "protocol", "net", "app", "admin", "broker", "lag", "metrics", "security"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')


def main():
    src = pathlib.Path(__file__).resolve().parents[1] / "src"
    problems = []
    for path in sorted(src.rglob("*")):
        if path.suffix not in {".h", ".cc"}:
            continue
        module = path.relative_to(src).parts[0]
        if module not in ALLOWED:
            problems.append(f"{path}: module '{module}' is not in tools/check_includes.py")
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = INCLUDE.match(line)
            if match and match.group(1) != module and match.group(1) not in ALLOWED[module]:
                problems.append(f"{path}:{number}: {module}/ may not include {match.group(1)}/")
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"module dependencies ok ({len(ALLOWED)} modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Runs the `spate` client commands (build/spate) and parses their tables and JSON."""
import json
import re
import subprocess

from conftest import SPATE

HEADER = re.compile(r"^[A-Z_]+(  +[A-Z_]+)*$")


def spate(*args, input=None, timeout=60, env=None):
    """Runs build/spate with `args`; returns the CompletedProcess (text mode)."""
    return subprocess.run([str(SPATE), *map(str, args)], input=input, capture_output=True, text=True,
                          timeout=timeout, env=env)


def ok(broker, *args, input=None, timeout=60):
    """Runs a client command against `broker`; asserts exit 0 and returns stdout."""
    result = spate(*args, "-b", broker.bootstrap, input=input, timeout=timeout)
    assert result.returncode == 0, f"spate {' '.join(map(str, args))} exited {result.returncode}: {result.stderr}"
    return result.stdout


def as_json(broker, *args, input=None):
    """Runs a client command with --json; returns the parsed document."""
    return json.loads(ok(broker, *args, "--json", input=input))


def failure(result, code=1):
    """Asserts `result` exited with `code` and printed one line on stderr; returns that line."""
    assert result.returncode == code, f"exit {result.returncode}, want {code}: {result.stdout}{result.stderr}"
    lines = result.stderr.splitlines()
    if code == 1:
        assert len(lines) == 1, f"want one line on stderr, got: {result.stderr!r}"
        assert lines[0].startswith("spate: "), lines[0]
    return lines[0] if lines else ""


def tables(text):
    """Every aligned table in `text`: a list of lists of rows, each row a dict keyed by header."""
    found = []
    current = None
    for line in text.splitlines():
        if HEADER.match(line):
            headers = re.split(r"  +", line)
            current = (headers, [])
            found.append(current)
        elif not line.strip():
            current = None
        elif current is not None:
            cells = re.split(r"  +", line.strip())
            current[1].append(dict(zip(current[0], cells + [""] * (len(current[0]) - len(cells)))))
    return [rows for _, rows in found]


def table(text):
    """The only table in `text`."""
    found = tables(text)
    assert len(found) == 1, f"want one table, got {len(found)}: {text}"
    return found[0]

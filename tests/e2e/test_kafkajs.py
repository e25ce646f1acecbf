"""Runs the kafkajs end-to-end tests (tests/e2e/js, `node --test`), each file against its own broker."""
import os
import pathlib
import shutil
import subprocess

import pytest

JS = pathlib.Path(__file__).resolve().parent / "js"
FILES = sorted(p.name for p in JS.glob("*.test.js"))


@pytest.mark.parametrize("test_file", FILES)
def test_kafkajs(start_broker, test_file):
    assert shutil.which("node"), "node is missing: run scripts/install-deps.sh"
    assert (JS / "node_modules" / "kafkajs").is_dir(), "kafkajs is missing: run scripts/install-deps.sh"
    b = start_broker("--set", "auto.create.topics.enable=false")
    result = subprocess.run(["node", "--test", "--test-reporter=spec", str(JS / test_file)], cwd=JS,
                            env={**os.environ, "SPATE_BOOTSTRAP": b.bootstrap},
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"node --test {test_file} failed:\n{result.stdout}\n{result.stderr}"

"""The code is ruff-clean, ruff-formatted and passes mypy --strict: CI checks it through pytest.

README's test command is ``pytest``; these tests make it run the linters too, with the
settings of pyproject.toml, so that a change that breaks them does not land.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=600
    )


@pytest.mark.parametrize(
    "command",
    [("ruff", "check", "."), ("ruff", "format", "--check", ".")],
    ids=["ruff-check", "ruff-format"],
)
def test_ruff(command: tuple[str, ...]) -> None:
    found = shutil.which(command[0])
    assert found is not None, "ruff is in the test extras: pip install -e '.[test]'"
    done = run(found, *command[1:])
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict() -> None:
    done = run(sys.executable, "-m", "mypy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("Success: no issues found")

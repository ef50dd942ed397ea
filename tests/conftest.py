"""Shared fixtures: a valid call folder to break, and ways to run gen on it."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from gen_cli.cli import main
from gen_cli.models import Dossier

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"

# gen keeps per-file results in the user's cache folder: the tests keep theirs apart.
os.environ["GEN_CACHE_DIR"] = tempfile.mkdtemp(prefix="gen-test-cache-")

#: The projects announced as laureates of the real call (and kept so in the example).
ANNOUNCED = (
    "digital-mixite-challenge",
    "lovelace",
    "mooc-femmes-numerique",
    "tech-my-ge",
    "declics-numeriques-inclusion-handicap",
    "get-into-tech-refugies",
    "formation-distance-realite-virtuelle",
)

# Hypothesis imports this module (and libcst, which warns on import) only to report a
# failing example; under filterwarnings=error that warning would replace the report
# with an INTERNALERROR. Import it once here, quietly.
with warnings.catch_warnings(), contextlib.suppress(ImportError):  # libcst is optional
    warnings.simplefilter("ignore", DeprecationWarning)
    import hypothesis.extra._patching  # noqa: F401

from hypothesis import HealthCheck, settings  # noqa: E402

# The default run stays fast; `pytest --hypothesis-profile=fuzz` tries far more examples
# (20,000 a test, or GEN_FUZZ_EXAMPLES).
settings.register_profile("default", deadline=None)
settings.register_profile(
    "fuzz",
    deadline=None,
    max_examples=int(os.environ.get("GEN_FUZZ_EXAMPLES", "20000")),
    suppress_health_check=[HealthCheck.too_slow],
)


def typed(value: object) -> object:
    """A value with the type of everything in it, so that 1, '1', Decimal(1) and
    QuotedNumber('1') differ."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    return (type(value).__name__, repr(value))


def examples(quick: int) -> settings:
    """Hypothesis settings: `quick` examples in the default run, the profile's count under fuzz."""
    if settings.get_current_profile_name() == "default":
        return settings(max_examples=quick)
    return settings()


class Result(NamedTuple):
    """What a run of gen did: exit status and both output streams."""

    code: int
    out: str
    err: str


def child_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"GEN_CALL", "NO_COLOR", "FORCE_COLOR", "SOURCE_DATE_EPOCH"}
    }
    env.update(PYTHONWARNINGS="error", PYTHONIOENCODING="utf-8", **extra)
    return env


def run_gen(*args: str | Path, script: bool = False, cwd: Path | None = None, **env: str) -> Result:
    """Run the installed gen in a real process.

    ``script=True`` runs the ``gen`` console script found on PATH; otherwise
    ``python -m gen_cli`` with this interpreter. Warnings are errors in the child too.
    """
    if script:
        found = shutil.which("gen")
        assert found is not None, "the gen console script is not installed"
        command = [found]
    else:
        command = [sys.executable, "-m", "gen_cli"]
    completed = subprocess.run(
        [*command, *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=child_env(**env),
        cwd=cwd,
        timeout=60,
        check=False,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)


def invoke(*args: str | Path) -> Result:
    """Run gen in this process through ``gen_cli.cli.main`` (fast; same code path)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in args])
    return Result(code, out.getvalue(), err.getvalue())


def write(path: Path, text: str | bytes) -> Path:
    """Write a file (making its folders) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def replace(path: Path, old: str, new: str) -> Path:
    """Replace the one occurrence of ``old`` in the file; fail if it is not exactly once."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """The 1-based number of the one line of ``path`` that contains ``needle``."""
    lines = [
        n
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if needle in line
    ]
    assert len(lines) == 1, f"{needle!r} is on lines {lines} of {path}"
    return lines[0]


@pytest.fixture
def clean_git_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No GIT_* variable from outside (GIT_DIR, GIT_INDEX_FILE...), no default branch or
    reproducible date from the environment, and no user configuration, here and in gen's
    children. Modules that build git repositories use it for every test."""
    for name in list(os.environ):
        if name.startswith("GIT_") or name in {"GEN_DEFAULT_BRANCH", "CI_DEFAULT_BRANCH"}:
            monkeypatch.delenv(name)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A result cache of the test's own (GEN_CACHE_DIR), empty at first."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("GEN_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def call_dir(tmp_path: Path) -> Path:
    """A fresh copy of the valid minimal call folder."""
    return Path(shutil.copytree(MINIMAL, tmp_path / "call"))


class _FailOnLogWarning(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


#: The TEST identity that opens the example's sealed review (public: never a real call's).
SECRETARIAT_KEY = Path(__file__).parent / "fixtures" / "sealing" / "secretariat-TEST-ONLY.key"


@pytest.fixture(autouse=True)
def no_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """No age identity from outside: a test opens sealed reviews only when it says so."""
    monkeypatch.delenv("GEN_AGE_IDENTITY", raising=False)


@pytest.fixture
def secretariat(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Act as the secretariat: gen opens sealed reviews, here and in its children."""
    monkeypatch.setenv("GEN_AGE_IDENTITY", str(SECRETARIAT_KEY))
    return SECRETARIAT_KEY


@pytest.fixture(autouse=True)
def no_warnings() -> Iterator[None]:
    """Fail the test if it emits any Python warning or logs at WARNING or above.

    pyproject's filterwarnings=error turns a warning into an exception where it is
    raised; this also catches warnings that code would swallow with a broad except.
    """
    handler = _FailOnLogWarning()
    root = logging.getLogger()
    root.addHandler(handler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    root.removeHandler(handler)
    messages = [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in caught]
    messages += [f"log {r.levelname} {r.name}: {r.getMessage()}" for r in handler.records]
    if messages:
        pytest.fail("unexpected warnings:\n" + "\n".join(messages), pytrace=False)


def make_dossier(ident: str, theme: str = "t", **changes: Any) -> Dossier:
    """A valid dossier of round R1; ``section__field=value`` changes one field."""
    data: dict[str, Any] = {
        "id": ident,
        "round": "R1",
        "title": ident,
        "summary": "",
        "themes": [theme],
        "porteur": {
            "name": f"Porteur {ident}",
            "siret": "83456789300013",
            "kind": "organisme-formation",
            "region": "bretagne",
            "gen_labelled": True,
        },
        "budget": {"total_cost": 20_000, "requested": 10_000, "other_funding": 10_000},
        "beneficiaries": {"people": 10, "women_percent": 45, "publics": ["femmes"]},
        "timeline": {"start": "2023-09-01", "end": "2024-06-30"},
        "submitted": "2023-02-01",
        "contact": {"name": "Contact", "email": "contact@example.org"},
    }
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            data[section] = {**data[section], field: value}
        else:
            data[section] = value
    return Dossier.model_validate(data)

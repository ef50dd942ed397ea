"""Templates come in pull requests: they are code, so gen reads them warily (part of #8)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import invoke, run_gen, write

EXAMPLE = Path(__file__).resolve().parent.parent / "dossiers"
SECRET = "GEN-TEST-SECRET-0123456789"


@pytest.fixture
def call(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EXAMPLE, tmp_path / "call"))


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the call, as /etc/passwd or /proc/self/environ would be."""
    return write(tmp_path / "outside" / "secret.txt", f"{SECRET}\n")


@pytest.mark.parametrize("name", ["style.css", "index.html", "base.html"])
def test_a_linked_template_is_refused_and_nothing_of_its_target_is_published(
    call: Path, secret: Path, tmp_path: Path, name: str
) -> None:
    (call / "templates").mkdir()
    (call / "templates" / name).symlink_to(secret)
    out = tmp_path / "out"
    result = run_gen("publish", "--call", call, "--out", out)
    assert result.code == 2
    assert f"{name} is a symbolic link or not a regular file in {call / 'templates'}" in result.err
    assert "gen does not follow links" in result.err
    assert not out.exists()
    assert SECRET not in result.out + result.err


def test_a_linked_templates_folder_is_refused(call: Path, tmp_path: Path) -> None:
    elsewhere = Path(shutil.copytree(Path(__file__).parent.parent / "templates", tmp_path / "t"))
    (call / "templates").symlink_to(elsewhere)
    result = invoke("publish", "--call", call, "--out", tmp_path / "out")
    assert result.code == 2
    assert result.err == (
        f"gen: error: {call / 'templates'} is a symbolic link: gen does not follow links\n"
    )


def test_a_template_larger_than_gen_accepts_is_refused(call: Path, tmp_path: Path) -> None:
    write(call / "templates" / "style.css", "a{}" * 400_000)
    result = invoke("publish", "--call", call, "--out", tmp_path / "out")
    assert result.code == 2
    assert result.err == (
        "gen: error: template style.css is larger than gen accepts (1,000,000 bytes)\n"
    )


def test_a_changed_template_is_a_warning_in_validate(call: Path, secretariat: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=Sec", "-c", "user.email=s@example.org", *args],
            cwd=call,
            env=env,
            check=True,
            capture_output=True,
        )

    write(call / "templates" / "index.html", '{% extends "base.html" %}\n')
    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "The call and its template")
    assert run_gen("validate", cwd=call).code == 0
    git("checkout", "-q", "-b", "pull-request")
    write(call / "templates" / "index.html", '{% extends "base.html" %}{# changed #}\n')
    write(call / "templates" / "round.html", '{% extends "base.html" %}\n')
    result = run_gen("validate", cwd=call)
    assert result.code == 0
    assert result.out.splitlines() == [
        f"templates/{name}:1:1: warning W011 this template differs from the default branch "
        "(main): templates are code that renders the published site; review the change as code"
        for name in ("index.html", "round.html")
    ] + ["checked 1 call file, 4 rounds, 125 dossiers, 19 reviews: 0 errors, 2 warnings"]


def test_a_template_that_calls_itself_without_end_is_refused_in_plain_words(
    call: Path, tmp_path: Path
) -> None:
    write(call / "templates" / "index.html", "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}\n")
    out = tmp_path / "out"
    result = invoke("publish", "--call", call, "--out", out)
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "gen: error: template index.html: it calls itself without end; "
        "a macro must stop calling itself\n"
    )
    assert not out.exists()

"""Templates come in pull requests: they are code, so gen reads them warily (part of #8)."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import invoke, run_gen, write
from hypothesis import given
from hypothesis import strategies as st
from jinja2.sandbox import ImmutableSandboxedEnvironment

from gen_cli.publication import PublicDossier
from gen_cli.publish import Sandbox

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


ATTRIBUTES = ["append", "clear", "keys", "mro", "upper", "format", "pop", "update", "title"]
ATTRIBUTES += ["__class__", "__globals__", "_private", "gi_frame", "__code__", "func_globals"]
OBJECTS = [[], {}, set(), "text", Decimal("1.5"), date(2022, 1, 1), len, str.upper, "".upper]
OBJECTS += [dict, (x for x in ()), PublicDossier, Sandbox]


@given(
    st.lists(
        st.tuples(st.sampled_from(OBJECTS), st.sampled_from(ATTRIBUTES)), min_size=1, max_size=40
    )
)
def test_the_sandbox_answers_each_attribute_as_jinja_does(
    reads: list[tuple[object, str]],
) -> None:
    # each answer is kept by type and name: asked again, in any order, it is still Jinja's
    jinja, sandbox = ImmutableSandboxedEnvironment(), Sandbox()
    for obj, attr in reads + reads[::-1]:
        value = getattr(obj, attr, None)
        assert sandbox.is_safe_attribute(obj, attr, value) == jinja.is_safe_attribute(
            obj, attr, value
        )


def test_a_list_method_that_modifies_it_stays_refused_once_a_string_method_was_read(
    call: Path, tmp_path: Path
) -> None:
    write(
        call / "templates" / "index.html",
        "{{ 'a'.upper() }}{{ [1].index(1) }}{{ [1].append(2) }}\n",
    )
    result = invoke("publish", "--call", call, "--out", tmp_path / "out")
    assert result.code == 2
    assert "access to attribute 'append' of 'list' object is unsafe" in result.err
    assert not (tmp_path / "out").exists()

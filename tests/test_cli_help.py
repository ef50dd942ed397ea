"""Every command's help says how to use it: an example, the exit statuses, metavars in the
user's words (#11)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MINIMAL, child_env, invoke, run_gen
from typer.main import get_command

from gen_cli.cli import app


def _commands() -> list[list[str]]:
    group = get_command(app)
    found: list[list[str]] = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            found += [[name, sub] for sub in subcommands]
        else:
            found.append([name])
    return sorted(found)


def test_every_command_is_listed() -> None:
    assert [" ".join(c) for c in _commands()] == [
        "amend", "assign", "close", "diff", "explain", "export", "init", "letters",
        "new dossier", "new review", "publish", "schema", "score", "seal", "show", "status",
        "unseal", "validate",
    ]  # fmt: skip


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_every_command_s_help_has_an_example_and_its_exit_statuses(command: list[str]) -> None:
    result = invoke(*command, "-h")
    assert result.code == 0
    text = " ".join(result.out.split())
    assert re.search(rf"Example: gen {' '.join(command)}\b", text), text
    assert "Exit status: 0 " in text
    # metavars name what the user gives, never a Python type
    assert not re.search(r"<(list\[|path>|str>|int>|float>)", result.out), result.out


def test_options_are_accepted_in_the_order_users_type_them() -> None:
    before = run_gen("score", "--dry-run", "--round", "2021Q3", "--call", "dossiers")
    after = run_gen("score", "--call", "dossiers", "--round", "2021Q3", "--dry-run")
    assert before.code == after.code
    assert before.out == after.out


def _imported(statement: str) -> set[str]:
    """The modules a fresh interpreter imports to run ``statement``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
    )
    return {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}


def test_the_command_line_starts_without_the_publication_libraries() -> None:
    # jinja2, Babel and markdown-it are imported by the commands that render documents
    loaded = _imported("import gen_cli.cli")
    assert "gen_cli.cli" in loaded
    assert not {m for m in loaded if m.split(".")[0] in {"jinja2", "babel", "markdown_it"}}


def test_help_starts_without_the_models_or_the_yaml_reader() -> None:
    # gen --help, and the shell's completion, need the commands' options, not the models:
    # each command imports what it needs when it runs (#13)
    loaded = _imported("import gen_cli.cli")
    assert not {m for m in loaded if m.split(".")[0] in {"pydantic", "yaml", "multiprocessing"}}
    assert "gen_cli.models" not in loaded


def test_the_pure_core_reads_no_file() -> None:
    # scoring and selection take models and return values: no YAML, no git, no folder
    loaded = _imported("import gen_cli.scoring, gen_cli.selection")
    assert {"gen_cli.scoring", "gen_cli.selection"} <= loaded
    readers = {"yaml", "gen_cli.yamlload", "gen_cli.loading", "gen_cli.git", "subprocess"}
    assert not loaded & readers


#: What a start-up that only prints the help, or a report kept from the last check, does
#: not need: the models (pydantic builds them in about 0.3 s), and what only failing or
#: writing gen uses (#13).
NOT_AT_START = ("pydantic.main", "gen_cli.models", "tempfile", "socket", "gen_cli.explain")


@pytest.mark.parametrize("args", [["--help"], ["validate"]], ids=" ".join)
def test_a_quick_command_imports_only_what_it_needs(args: list[str], tmp_path: Path) -> None:
    call = shutil.copytree(MINIMAL, tmp_path / "call")
    cache = str(tmp_path / "cache")
    assert run_gen("validate", "--call", call, GEN_CACHE_DIR=cache).code == 0  # kept
    script = (
        "import sys\n"
        "from gen_cli.cli import main\n"
        f"code = main({[*args, '--call', str(call)] if args != ['--help'] else args!r})\n"
        f"print(code, sorted(m for m in {NOT_AT_START!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=child_env(GEN_CACHE_DIR=cache),
        check=False,
    )
    assert done.stdout.splitlines()[-1] == "0 []", done.stderr

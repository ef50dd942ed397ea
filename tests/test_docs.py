"""README stays true: every code, every command, the CI command."""

import re
from pathlib import Path

from typer.testing import CliRunner

from gen_cli.cli import app
from gen_cli.diagnostics import CODES

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = [
    "validate",
    "score",
    "show",
    "publish",
    "schema",
    "init",
    "new",
    "diff",
    "status",
    "close",
    "amend",
]


def test_every_code_is_documented_with_its_severity_and_meaning() -> None:
    for code, (severity, meaning) in CODES.items():
        assert f"| {code} | {severity} | {meaning} |" in README, code


def test_readme_documents_no_code_that_does_not_exist() -> None:
    documented = set(re.findall(r"^\| ([EWN]\d{3}) \|", README, flags=re.MULTILINE))
    assert documented == set(CODES)


def test_every_command_has_help_and_a_readme_section() -> None:
    for command in COMMANDS:
        result = CliRunner().invoke(app, [command, "--help"])
        assert result.exit_code == 0, command
        assert "Usage:" in result.output
        assert f"### `gen {command}" in README or f"`gen {command} ROUND" in README, command


def test_ci_runs_the_readme_test_command() -> None:
    commands = re.findall(r"```sh\n(.*?)\n```", README, flags=re.DOTALL)
    assert len(commands) >= 2
    test_command = commands[1]
    assert test_command.endswith("pytest")
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_validate_example_is_real_output(tmp_path: Path, monkeypatch) -> None:
    """README's `gen validate --call broken`: a copy of the example with two mistakes."""
    import shutil

    from conftest import invoke, replace

    broken = tmp_path / "broken"
    shutil.copytree(ROOT / "dossiers", broken)
    replace(
        broken / "2022Q2" / "passerelle-entreprises-paris.yaml",
        "requested: 29500",
        "requested: 60000",
    )
    replace(
        broken / "2022Q1" / "reviews" / "amelie-roux.yaml",
        "      impact: 4\n      faisabilite: 3\n      partenariats: 3\n    comment: Projet pertinent",
        "      impact: 4\n      impact: 3\n      partenariats: 3\n    comment: Projet pertinent",
    )
    monkeypatch.chdir(tmp_path)
    block = README.split("$ gen validate --call broken\n", 1)[1].split("```", 1)[0]
    result = invoke("validate", "--call", "broken")
    assert result.out == block


def test_version_and_short_help() -> None:
    from conftest import run_gen

    from gen_cli import __version__

    assert run_gen("--version", script=True) == (0, f"gen {__version__}\n", "")
    for args in (("-h",), ("validate", "-h"), ("new", "review", "-h")):
        short, long = run_gen(*args), run_gen(*args[:-1], "--help")
        assert short.code == 0, args
        assert short.out == long.out
        assert short.out.startswith("Usage: gen")

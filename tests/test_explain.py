"""`gen explain CODE`: every code explained, its example triggered on the example call, in
plain words; README's table of codes is the module's (part of #11).

Each code's ``trigger`` (gen_cli/explain.py) is applied to a copy of the example call
(``dossiers/``): edits, new files, moves, and the named recipes below for what edits cannot
make (a git history, sealed files, a link, a huge file). The call is then checked as
``gen validate`` checks it (or, for E310, as ``gen publish`` does), and the code must be
reported, in words that owe nothing to pydantic or PyYAML.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke, replace, run_gen, write
from typer.testing import CliRunner

from gen_cli.cli import app
from gen_cli.diagnostics import CODES, Diagnostic
from gen_cli.errors import InvalidCall
from gen_cli.explain import (
    DOSSIER,
    EXPLANATIONS,
    OPEN_DOSSIER,
    Copy,
    Edit,
    Move,
    NewFile,
    Recipe,
    Step,
    code_list,
    codes_table,
    explain,
)
from gen_cli.history import submission_history
from gen_cli.loading import load_call_folder
from gen_cli.reviewing import seal_private
from gen_cli.rounds import (
    check_call,
    check_publishable,
    load_checked,
    records_for_publication,
)
from gen_cli.sealing import load_identities

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "dossiers"
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECRETARIAT_KEY = Path(__file__).parent / "fixtures" / "sealing" / "secretariat-TEST-ONLY.key"

#: Wording of pydantic and PyYAML that must never reach the user (compared ignoring case).
FORBIDDEN = (
    "Input should",
    "instance of",
    "String should",
    "should match pattern",
    "pattern '",
    "!!",
    "tag:yaml.org",
    "<unicode string>",
    "position ",
    "union_tag",
    "literal_error",
    "model_type",
    "dict_type",
    "Value error",
    "Assertion failed",
    "type=",
    "For further information",
    "pydantic",
    "Traceback",
    "tagged-union",
    "[type=",
    "ctx",
)
#: PyYAML's module names (yaml.constructor, yaml.org...), not a file name such as
#: lovelace.private.yaml.age or a sentence that ends with call.yaml.
YAML_MODULE = re.compile(r"\byaml\.(?!age\b)[a-z]", re.IGNORECASE)

pytestmark = pytest.mark.usefixtures("clean_git_env")


# --- (a) gen explain knows every code -----------------------------------------------------


def test_every_code_is_explained() -> None:
    assert set(EXPLANATIONS) == set(CODES)
    for code, (severity, meaning) in CODES.items():
        text = explain(code)
        assert text.startswith(f"{code} ({severity}): {meaning}\n\nExample:\n    "), code
        assert "\n\nFix:\n    " in text, code
        # the first line is the meaning, as CODES words it
        assert all(len(line) <= 88 for line in text.splitlines()[1:]), code
        entry = EXPLANATIONS[code]
        assert entry.example.strip() and entry.fix.strip(), code


def test_codes_are_case_insensitive() -> None:
    assert explain("e102") == explain("E102") == explain(" E102 ")


def test_cli_explains_a_code() -> None:
    result = CliRunner().invoke(app, ["explain", "e102"])
    assert result.exit_code == 0, result.output
    assert result.output == explain("E102") + "\n"
    assert "e-mail: julien.lefevre@example.org" in result.output


def test_cli_lists_every_code_without_one() -> None:
    result = CliRunner().invoke(app, ["explain"])
    assert result.exit_code == 0, result.output
    assert result.output == code_list() + "\n"
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == list(CODES)
    assert "E102  error    a field is not part of the format (often a typo)" in lines
    assert "N001  note     a sealed review is present but not checked: no identity was given" in (
        lines
    )


def test_the_installed_gen_explains_and_refuses_an_unknown_code() -> None:
    known = run_gen("explain", "W010", script=True)
    assert known == (0, explain("W010") + "\n", "")
    unknown = run_gen("explain", "E999", script=True)
    assert unknown == (
        2,
        "",
        "gen: error: unknown code 'E999': codes are like E102, W010 or N001; run gen explain "
        "without a code to list them all\n",
    )


def test_help_gives_an_example_and_the_exit_statuses() -> None:
    result = CliRunner().invoke(app, ["explain", "--help"])
    assert result.exit_code == 0
    assert "Usage: gen explain [OPTIONS] [CODE]" in " ".join(result.output.split())
    assert "gen explain E102" in result.output
    assert "Exit status: 0" in result.output


# --- README's table of codes ----------------------------------------------------------------


def test_readme_table_of_codes_is_generated_from_the_module() -> None:
    table = codes_table()
    assert table.count("\n") == len(CODES) + 1
    assert "\n" + table + "\n" in README


def test_readme_documents_gen_explain() -> None:
    assert "### `gen explain [CODE]`" in README
    assert "$ gen explain E102\n" + explain("E102") + "\n```" in README


# --- (b) every code's trigger, on a copy of the example call ----------------------------------

Diagnostics = list[Diagnostic]


def validated(root: Path, identities: Sequence[Any] = ()) -> Diagnostics:
    """What gen validate reports (messages of sealed files shown, as with --show-sealed)."""
    folder = load_call_folder(root, str(root), identities)
    folder.reveal_sealed = True
    return check_call(folder, submission_history(root, None)).report.diagnostics


def git(repo: Path, *args: str, date: str = "2022-01-05T10:00:00+01:00") -> str:
    """Run git with pinned identities and dates and no outside configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env |= {
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }
    completed = subprocess.run(
        ["git", "-c", "user.name=Secrétariat", "-c", "user.email=s@example.org", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def committed(root: Path) -> None:
    """The example call as a git repository, everything committed on main."""
    git(root, "init", "--quiet", "--template=", "-b", "main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "L'appel et ses relevés")


def late_dossier(root: Path) -> Path:
    """A new dossier of 2022Q1 submitted after the round closed (2022-03-31)."""
    text = (root / DOSSIER).read_text(encoding="utf-8")
    text = text.replace("passerelle-entreprises-saint-denis", "atelier-nantes")
    text = text.replace("submitted: 2022-03-03", "submitted: 2022-04-15")
    return write(root / "2022Q1/atelier-nantes.yaml", text)


def late_merge(root: Path) -> None:
    committed(root)
    late_dossier(root)
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "Dépose atelier-nantes", date="2022-04-20T10:00:00+02:00")


def dossier_after_closing(root: Path) -> None:
    committed(root)
    late_dossier(root)


def record_deleted(root: Path) -> None:
    committed(root)
    (root / "2022Q1/results.yaml").unlink()


def template_changed(root: Path) -> None:
    committed(root)
    write(root / "templates/index.html", '{% extends "base.html" %}\n')


def huge_file(root: Path) -> None:
    path = root / OPEN_DOSSIER
    pasted = "  " + "Rapport d'activité. " * 60_000 + "\n"
    path.write_text(path.read_text(encoding="utf-8") + f"notes: |\n{pasted}", encoding="utf-8")


def symlinked_dossier(root: Path) -> None:
    (root / "2022Q2/copie.yaml").symlink_to("mobilite-numerique-brest.yaml")


def tampered_sealed_review(root: Path) -> Diagnostics:
    path = root / "2022Q2/reviews/amelie-roux.yaml.age"
    data = bytearray(path.read_bytes())
    data[-20] ^= 0x01
    path.write_bytes(bytes(data))
    return validated(root, load_identities(SECRETARIAT_KEY))


def sealed_contact(root: Path) -> None:
    call = load_call_folder(root).call
    assert call is not None
    seal_private(call, root / OPEN_DOSSIER)


def publish_draft(root: Path) -> Diagnostics:
    scored = invoke("score", "--round", "2022Q1", "--no-git", "--call", root)
    assert scored.code == 0, scored.err
    checked = load_checked(root, str(root))
    chosen = records_for_publication(checked, [], draft=True)
    with pytest.raises(InvalidCall) as refused:
        check_publishable(checked, chosen.records)
    return refused.value.report.diagnostics


#: The recipes the triggers name. One that returns diagnostics is the check itself;
#: after the others, the call is validated.
RECIPES: dict[str, Callable[[Path], Diagnostics | None]] = {
    "late-merge": late_merge,
    "dossier-after-closing": dossier_after_closing,
    "record-deleted": record_deleted,
    "template-changed": template_changed,
    "huge-file": huge_file,
    "symlinked-dossier": symlinked_dossier,
    "tampered-sealed-review": tampered_sealed_review,
    "sealed-contact": sealed_contact,
    "publish-draft": publish_draft,
}


def apply(root: Path, steps: Sequence[Step]) -> Diagnostics:
    """Apply a trigger's steps to the call folder at ``root``; what gen reports then."""
    found: Diagnostics | None = None
    for step in steps:
        match step:
            case Edit(path, old, new):
                replace(root / path, old, new)
            case NewFile(path, content):
                write(root / path, content)
            case Move(path, to):
                (root / to).parent.mkdir(parents=True, exist_ok=True)
                (root / path).rename(root / to)
            case Copy(path, to):
                shutil.copyfile(root / path, root / to)
            case Recipe(name):
                found = RECIPES[name](root)
    return validated(root) if found is None else found


_OUTCOMES: dict[str, Diagnostics] = {}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("explain")


def outcome(code: str, workspace: Path) -> Diagnostics:
    """What gen reports once the code's trigger is applied to a copy of the example call
    (computed once for the module's tests)."""
    if code not in _OUTCOMES:
        root = Path(shutil.copytree(EXAMPLE, workspace / code / "call", symlinks=True))
        _OUTCOMES[code] = apply(root, EXPLANATIONS[code].trigger)
    return _OUTCOMES[code]


def test_every_recipe_is_implemented() -> None:
    named = {
        step.name
        for entry in EXPLANATIONS.values()
        for step in entry.trigger
        if isinstance(step, Recipe)
    }
    assert named == set(RECIPES)


@pytest.mark.parametrize("code", list(CODES))
def test_the_trigger_reports_its_code(code: str, workspace: Path) -> None:
    found = outcome(code, workspace)
    assert code in {d.code for d in found}, "\n".join(map(str, found))


# --- (c) in plain words ------------------------------------------------------------------------


def internal_wording(message: str) -> list[str]:
    """The fragments of pydantic's or PyYAML's wording a message holds."""
    lowered = message.lower()
    found = [fragment for fragment in FORBIDDEN if fragment.lower() in lowered]
    return found + YAML_MODULE.findall(message)


@pytest.mark.parametrize("code", list(CODES))
def test_the_messages_are_in_plain_words(code: str, workspace: Path) -> None:
    leaks = [
        f"{d.code} {d.message}  <- {internal_wording(d.message)}"
        for d in outcome(code, workspace)
        if internal_wording(d.message)
    ]
    assert not leaks, "\n".join(leaks)

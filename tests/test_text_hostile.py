"""Text that cannot fool a reader: no controls, no bidirectional overrides (part of #8)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from conftest import MINIMAL, child_env, examples, invoke, line_of, replace
from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from gen_cli.models import _DECEPTIVE, _honest

BORDEAUX = "2022Q2/passerelle-bordeaux.yaml"


@pytest.mark.parametrize(
    ("written", "code", "name"),
    [
        ('"Passerelle \\u202Egnp.exe"', "202E", "RIGHT-TO-LEFT OVERRIDE"),
        ('"Passerelle\\u2066 Bordeaux"', "2066", "LEFT-TO-RIGHT ISOLATE"),
        ('"Passe\\u200Brelle"', "200B", "ZERO WIDTH SPACE"),
        ('"Passerelle \\0"', "0000", "a control character"),
        ('"Passerelle \\e[31m"', "001B", "a control character"),
        ('"Passe\\x9Brelle"', "009B", "a control character"),  # C1: CSI
    ],
)
def test_a_title_with_a_hidden_character_is_located(
    tmp_path: Path, written: str, code: str, name: str
) -> None:
    call = Path(shutil.copytree(MINIMAL, tmp_path / "call"))
    path = call / BORDEAUX
    title = next(
        line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("title:")
    )
    replace(path, title + "\n", f"title: {written}\n")
    result = invoke("validate", "--call", call)
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"{path}:{line_of(path, 'title: ')}:8: error E104 title: U+{code} ({name}) is not "
        "allowed here: it can hide or reorder what a reader sees; remove it"
    )


def test_line_breaks_and_tabs_are_fine_in_a_summary(tmp_path: Path) -> None:
    call = Path(shutil.copytree(MINIMAL, tmp_path / "call"))
    path = call / BORDEAUX
    text = path.read_text(encoding="utf-8")
    start = text.index("summary:")
    end = text.index("\n", start)
    path.write_text(
        text[:start] + 'summary: "Un projet\\n\\n\\tsur deux lignes."' + text[end:],
        encoding="utf-8",
    )
    assert invoke("validate", "--call", call).code == 0


# --- bounded output: a flood of bad items costs twenty lines, not a flood ------------------


#: Runs gen, then writes the peak memory of this process alone (VmHWM, which a fork or
#: an exec does not inherit) to the file named by its first argument.
MEASURED = """
import atexit, sys
from pathlib import Path
from gen_cli.cli import main
target = Path(sys.argv[1])
def peak():
    status = Path("/proc/self/status").read_text()
    kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    target.write_text(kb)
atexit.register(peak)
sys.argv = ["gen", *sys.argv[2:]]
raise SystemExit(main())
"""


def run_measured(tmp_path: Path, *args: str | Path) -> tuple[int, str, int]:
    """Run gen in a real process; return its exit status, its output and its peak in MB."""
    peak = tmp_path / "peak"
    completed = subprocess.run(
        [sys.executable, "-c", MEASURED, str(peak), *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=child_env(),
    )
    return completed.returncode, completed.stdout + completed.stderr, int(peak.read_text()) // 1024


def test_a_flood_of_unknown_fields_is_shown_as_twenty_and_counted(tmp_path: Path) -> None:
    call = Path(shutil.copytree(MINIMAL, tmp_path / "call"))
    path = call / BORDEAUX
    first = len(path.read_text(encoding="utf-8").splitlines()) + 1
    with path.open("a", encoding="utf-8") as handle:
        handle.writelines(f"extra{i}: 1\n" for i in range(20_000))
    code, out, megabytes = run_measured(tmp_path, "validate", "--call", call)
    assert code == 1
    lines = [line for line in out.splitlines() if line.startswith(str(path))]
    assert lines[:2] == [
        f"{path}:{first}:1: error E102 extra0: unknown field; remove it, or correct its name",
        f"{path}:{first + 1}:1: error E102 extra1: unknown field; remove it, or correct its name",
    ]
    assert len(lines) == 21
    assert lines[20] == (
        f"{path}:{first + 20}:1: error E102 and 19,980 more E102 in this file, from here on; "
        "fix the ones above and run gen validate again to see them"
    )
    assert out.splitlines()[-1].endswith(": 20000 errors, 0 warnings")
    assert megabytes < 200


@pytest.mark.parametrize(
    ("shape", "item"),
    [
        ("keys", "x{i}: 1\n"),
        ("list", "- t{i}\n"),
        ("flow", "x{i}, "),
        ("deep", "- {i}\n"),  # then nesting past libyaml's limit: the values are counted first
    ],
)
def test_a_one_megabyte_file_of_100000_bad_items_is_refused_at_once(
    tmp_path: Path, shape: str, item: str
) -> None:
    call = Path(shutil.copytree(MINIMAL, tmp_path / "call"))
    path = call / BORDEAUX
    text = path.read_text(encoding="utf-8")
    items = "".join(item.format(i=i) for i in range(100_000))
    if shape == "deep":
        text += "x:\n" + items + "y: " + "[" * 1001 + "]" * 1001 + "\n"
    elif shape == "list":
        text = text.replace("themes:\n", "themes:\n" + items, 1)
    elif shape == "flow":
        text += f"publics: [{items}]\n"
    else:
        text += items
    path.write_text(text, encoding="utf-8")
    assert 600_000 < path.stat().st_size <= 1_000_000
    code, out, megabytes = run_measured(tmp_path, "validate", "--call", call)
    assert code == 1
    assert out.splitlines()[0] == (
        f"{path}:1:1: error E009 the file holds more than 50,000 values; gen reads at most "
        "that many in one file (a dossier holds about a hundred)"
    )
    assert out.splitlines()[-1].endswith(": 1 error, 0 warnings")
    assert megabytes < 200


@given(st.text(), st.booleans())
@examples(500)
def test_the_fast_check_of_text_refuses_exactly_what_the_character_rule_refuses(
    text: str, lines: bool
) -> None:
    refused = any(
        not (lines and c in "\n\t")
        and (ord(c) in _DECEPTIVE or unicodedata.category(c) in {"Cc", "Cf", "Cs"})
        for c in text
    )
    try:
        _honest(text, lines=lines)
    except PydanticCustomError:
        assert refused
    else:
        assert not refused

"""Text that cannot fool a reader: no controls, no bidirectional overrides (part of #8)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import MINIMAL, invoke, line_of, replace

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

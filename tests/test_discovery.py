"""The call folder is found as git finds .git: --call, GEN_CALL, the current folder or a parent."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import MINIMAL, replace, run_gen

BROKEN = "2022Q1/codeuses-lille.yaml"


def broken_call(tmp_path: Path) -> Path:
    call = Path(shutil.copytree(MINIMAL, tmp_path / "repo"))
    replace(call / BROKEN, "title: ", "titre: ")
    return call


def test_the_current_folder_holding_call_yaml(tmp_path: Path) -> None:
    call = broken_call(tmp_path)
    result = run_gen("validate", cwd=call, script=True)
    assert result.code == 1
    assert result.out.startswith(f"{BROKEN}:")


def test_a_parent_holding_call_yaml(tmp_path: Path) -> None:
    call = broken_call(tmp_path)
    result = run_gen("validate", cwd=call / "2022Q1" / "reviews")
    assert result.code == 1
    assert result.out.startswith(f"../../{BROKEN}:")


def test_gen_call_and_then_the_option_come_first(tmp_path: Path) -> None:
    call = broken_call(tmp_path)
    clean = Path(shutil.copytree(MINIMAL, tmp_path / "clean"))
    from_env = run_gen("validate", cwd=call, GEN_CALL=str(clean))
    assert from_env.code == 0, from_env.out
    from_option = run_gen("validate", "--call", call, cwd=clean, GEN_CALL=str(clean))
    assert from_option.code == 1


def test_otherwise_the_dossiers_folder(tmp_path: Path) -> None:
    shutil.copytree(MINIMAL, tmp_path / "dossiers")
    result = run_gen("validate", cwd=tmp_path)
    assert result.code == 0
    nothing = run_gen("validate", cwd=tmp_path / "dossiers" / "2022Q1" / "reviews" / "..")
    assert nothing.code == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = run_gen("validate", cwd=empty)
    assert missing.code == 2
    assert (
        missing.err
        == "gen: error: call folder dossiers not found (give --call DIR or set GEN_CALL)\n"
    )

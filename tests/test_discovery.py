"""The call folder is found as git finds .git: --call, GEN_CALL, the current folder or a parent."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import MINIMAL, replace, run_gen

from gen_cli.loading import find_files, load_call_folder

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


@pytest.mark.parametrize("shown", [".", "call", "../calls/call", "/srv/call"])
def test_each_file_listed_is_named_as_the_call_folder_is_shown(tmp_path: Path, shown: str) -> None:
    """Every kind of file a round holds, named from how the call folder is shown."""
    root = tmp_path / "call"
    reviews = root / "2022Q1" / "reviews"
    reviews.mkdir(parents=True)
    names = [
        "2022Q1/a.yaml",
        "2022Q1/b.private.yaml.age",
        "2022Q1/jury.yaml",
        "2022Q1/assignments.yaml",
        "2022Q1/reviews/amelie-roux.yaml",
        "2022Q1/reviews/jean-dupont.yaml.age",
    ]
    for name in names:
        (root / name).write_text("x: 1\n", encoding="utf-8")
    found = find_files(root, shown, frozenset({"2022Q1"}))
    listed = [
        *found.dossiers,
        *found.private_parts,
        *found.juries,
        *found.assignments,
        *found.reviews,
        *found.sealed_reviews,
    ]
    assert [source.path for source in listed] == [root / name for name in names]
    assert [source.relative for source in listed] == names
    prefix = "" if shown == "." else f"{Path(shown)}{os.sep}"
    assert [source.display for source in listed] == [
        prefix + name.replace("/", os.sep) for name in names
    ]
    assert found.problems == []


def test_each_dossier_s_stem_is_its_path_s(tmp_path: Path) -> None:
    """The walk names each dossier's stem from its file name as pathlib would."""
    root = tmp_path / "call"
    (root / "2022Q1").mkdir(parents=True)
    names = ["a.yaml", "a..yaml", "x.y.yaml", "é t.yaml", "yaml.yaml", "a.YAML.yaml"]
    for name in names:
        (root / "2022Q1" / name).write_text("x: 1\n", encoding="utf-8")
    found = find_files(root, "call", frozenset({"2022Q1"}))
    stems = {source.path.name: source.stem for source in found.dossiers}
    assert stems == {name: Path(name).stem for name in names}
    assert stems["a..yaml"] == "a." and stems["x.y.yaml"] == "x.y"


def test_each_file_s_path_in_the_call_folder_is_the_one_pathlib_gives(tmp_path: Path) -> None:
    """What the walk says of each file is what the folder's path says, for every kind."""
    root = tmp_path / "call"
    shutil.copytree(Path(__file__).resolve().parent.parent / "dossiers", root)
    folder = load_call_folder(root, "call")
    assert len(folder.sources) > 80
    for source in folder.sources.values():
        assert folder.relative(source) == source.path.relative_to(root).as_posix()
        assert source.stem == source.path.stem

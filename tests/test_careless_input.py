"""Careless and hostile input found in review: each gets a clear answer, never exit 3."""

import os
import shutil
from pathlib import Path

import pytest
from conftest import invoke, line_of, replace, run_gen, write

EXAMPLE = Path(__file__).resolve().parent.parent / "dossiers"
LOVELACE = "2021Q3/lovelace.yaml"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EXAMPLE, tmp_path / "call"))


def test_money_in_octal_hex_or_base_60_is_not_a_number(example: Path) -> None:
    path = replace(example / LOVELACE, "  requested: 38000", "  requested: 0x9470")
    result = invoke("validate", "--call", example)
    assert result.code == 1
    assert (
        f"{path}:{line_of(path, '0x9470')}:14: error E103 budget.requested: write the number "
        "with plain digits, like 38000 or 38000.50 (no _, no exponent, no 0x), not 0x9470"
        in result.out
    )


def test_a_leading_zero_is_read_as_decimal_not_octal(example: Path) -> None:
    # YAML 1.1 reads 038000 as text (8 is no octal digit) but 030000 as octal 12288.
    dossier = example / "2022Q1" / "du-code-a-l-emploi-fort-de-france.yaml"
    replace(dossier, "  requested: 37500", "  requested: 030000")
    result = invoke("show", "--call", example, dossier.stem, "--recompute")
    assert result.code == 0, result.err
    assert "Montant demandé\u00a0: 30\u202f000\u00a0€ (coût total" in result.out


def test_publish_refuses_a_round_that_is_not_closed(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("publish", "--call", example, "--round", "2022Q2", "--out", out)
    assert result.code == 2
    assert (
        result.err == "gen: error: round 2022Q2 is still open (it takes dossiers): score it first\n"
    )
    scored = invoke("publish", "--call", example, "--round", "2022Q1", "--out", out)
    assert scored.code == 2
    assert scored.err == (
        "gen: error: round 2022Q1 is scored but not closed: publish it with --draft, "
        "or close it with gen close\n"
    )
    assert not out.exists()
    draft = invoke("publish", "--call", example, "--round", "2022Q1", "--out", out, "--draft")
    assert draft.code == 0, draft.err
    assert not (example / "2022Q2" / "results.yaml").exists()


def test_a_record_with_a_nonsense_total_is_reported(example: Path, secretariat: Path) -> None:
    replace(
        example / "2022Q1" / "results.yaml",
        '  granted: "574500.00"\n  lapsed:',
        '  granted: "NaN"\n  lapsed:',
    )
    result = run_gen("score", "--call", example, "--round", "2022Q2", "--dry-run")
    assert result.code == 1
    assert result.err == (
        "gen: error: cannot read what round 2022Q1 granted from its record; "
        "run gen score --round 2022Q1 to rewrite it\n"
    )


def test_a_closed_record_edited_by_hand_stops_the_later_rounds(example: Path) -> None:
    record = replace(
        example / "2021Q3" / "results.yaml",
        '  granted: "723500.00"\n  lapsed:',
        '  granted: "1.00"\n  lapsed:',
    )
    result = run_gen("score", "--call", example, "--round", "2022Q1", "--dry-run")
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        f"{record}:1:1: error E403 round 2021Q3 is closed and its decision record was edited "
        "by hand (its seal no longer matches); restore it from git"
    )
    assert result.err.endswith(
        "gen: error: refusing to score: gen validate finds 1 error(s) that concern round(s) "
        "2021Q3; fix them first\n"
    )
    assert "Traceback" not in result.err


def test_a_folder_where_a_record_goes_is_reported(example: Path) -> None:
    record = example / "2022Q1" / "results.yaml"
    record.unlink()
    record.mkdir()
    validated = run_gen("validate", "--call", example)
    assert validated.code == 1
    assert f"{record}:1:1: error E404 {record} is not a regular file" in validated.out
    checked = run_gen("score", "--check", "--call", example)
    assert checked.code == 1
    assert (
        checked.err == "round 2022Q1: not checked: gen validate finds 1 error(s) that concern it\n"
    )
    # the other records are checked all the same
    assert checked.out == "every other decision record matches its inputs\n"
    scored = run_gen("score", "--round", "2022Q1", "--call", example)
    assert scored.code == 2
    assert "results.yaml is not a regular file" in scored.err
    assert not list((example / "2022Q1").glob(".results.yaml.*"))


def test_a_results_file_gen_did_not_write_is_never_overwritten(example: Path) -> None:
    record = example / "2022Q1" / "results.yaml"
    write(record, "id: results\ntitle: a dossier saved under the wrong name\n")
    validated = invoke("validate", "--call", example)
    assert validated.code == 0
    assert f"{record}:1:1: warning W002 results.yaml is where gen score writes" in validated.out
    result = invoke("score", "--call", example, "--round", "2022Q1")
    assert result.code == 2
    assert "is not a decision record written by gen: move it away first" in result.err
    assert record.read_text(encoding="utf-8").startswith("id: results")


def test_a_hand_edited_record_is_named_as_such(example: Path) -> None:
    record = example / "2022Q1" / "results.yaml"
    record.write_text(record.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    result = invoke("score", "--check", "--call", example)
    assert result.code == 1
    assert "it differs from what its inputs give (edited by hand, or by another gen)" in result.out


def test_unwritable_output_and_bad_epoch_are_usage_errors(example: Path) -> None:
    result = run_gen("publish", "--call", example, "--out", "/proc/gen-cannot-write-here")
    assert result.code == 2
    assert result.err == (
        "gen: error: cannot write in /proc: No such file or directory (gen keeps its lock "
        ".gen-cannot-write-here.lock there while it writes)\n"
    )
    result = run_gen(
        "publish", "--call", example, "--out", example.parent / "o", SOURCE_DATE_EPOCH="9" * 17
    )
    assert result.code == 2
    assert "is not a Unix time" in result.err


def test_a_missing_templates_folder_is_a_usage_error(example: Path, tmp_path: Path) -> None:
    result = invoke("publish", "--call", example, "--out", tmp_path / "o", "--templates", "/nope")
    assert result.code == 2
    assert result.err == "gen: error: --templates /nope: no such folder\n"


def test_a_template_error_names_the_file_with_a_relative_templates_folder(
    example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path / "tpl" / "project.html",
        '{% extends "base.html" %}{% block content %}\n<h1>x</h1>{{ project.titel }}{% endblock %}\n',
    )
    monkeypatch.chdir(tmp_path)
    result = invoke("publish", "--call", example, "--out", "o", "--templates", "tpl")
    assert result.code == 2
    assert result.err.startswith("gen: error: template project.html:2: ")
    assert "has no attribute 'titel'" in result.err


def test_validate_paths_must_exist_inside_the_call(example: Path) -> None:
    missing = invoke("validate", "--call", example, example / "2021Q3" / "nope.yaml")
    assert missing.code == 2
    assert (
        missing.err == f"gen: error: {example / '2021Q3' / 'nope.yaml'}: no such file or folder\n"
    )
    outside = invoke("validate", "--call", example, "/etc")
    assert outside.code == 2
    assert outside.err == f"gen: error: /etc is not inside the call folder {example}\n"


def test_files_gen_does_not_read_are_warned_about(example: Path) -> None:
    nested = write(example / "2021Q3" / "old" / "x.yaml", "id: x\n")
    upper = write(example / "2021Q3" / "Y.YAML", "id: y\n")
    result = invoke("validate", "--call", example)
    assert result.code == 0
    assert (
        f"{nested.parent}:1:1: warning W002 ignored: gen does not look in subfolders" in result.out
    )
    assert f"{upper}:1:1: warning W002 ignored: name dossier files *.yaml" in result.out


def test_templates_is_not_a_round_id(example: Path) -> None:
    path = replace(example / "call.yaml", "  - id: 2022Q2\n", "  - id: templates\n")
    result = invoke("validate", "--call", example)
    assert result.code == 1
    line = line_of(path, "- id: templates")
    assert (
        f"{path}:{line}:9: error E104 round id 'templates' is reserved for the call's own "
        "templates/ folder" in result.out
    )


def test_show_says_why_an_ungraded_dossier_has_no_mark(example: Path, secretariat: Path) -> None:
    # Amélie Roux's sealed review grades this dossier; a second review is needed.
    dossier = sorted((example / "2022Q2").glob("*.yaml"))[0].stem
    result = invoke("show", "--call", example, dossier)
    assert result.code == 0
    assert "Décision\u00a0: incomplet" in result.out
    assert "Le dossier n’a pas pu être noté\u00a0: 1 évaluation(s) pour 2 requises." in result.out
    assert "None" not in result.out


def test_publishing_laureates_needs_a_decision_date(example: Path, tmp_path: Path) -> None:
    path = replace(example / "call.yaml", "    decision_date: 2022-05-12\n", "")
    assert invoke("score", "--round", "2022Q1", "--call", example).code == 0
    records = {p: p.read_bytes() for p in example.rglob("results.yaml")}
    result = invoke("publish", "--draft", "--call", example, "--out", tmp_path / "o")
    assert result.code == 1
    line = line_of(path, "- id: 2022Q1")
    assert (
        f"{path}:{line}:9: error E310 round 2022Q1 has laureates but no decision_date" in result.err
    )
    assert "gen: error: refusing to publish: fix call.yaml first" in result.err
    assert not (tmp_path / "o").exists()
    assert {p: p.read_bytes() for p in example.rglob("results.yaml")} == records


def test_a_closed_round_keeps_its_decision_date(example: Path) -> None:
    # The record of a closed round says when it was decided: call.yaml cannot unsay it.
    path = replace(example / "call.yaml", "    decision_date: 2021-11-18\n", "")
    result = invoke("validate", "--call", example)
    assert result.code == 1
    assert (
        f"{path}:{line_of(path, '- id: 2021Q3')}:5: error E402 round 2021Q3 is closed and its "
        "record says it was decided with date 2021-11-18, reference GEN-AAP-INNOV-2021-R1, "
        "but call.yaml says reference GEN-AAP-INNOV-2021-R1 (decision_date, "
        "decision_reference): restore call.yaml, or the record, from git"
    ) in result.out.splitlines()


def test_an_undecodable_file_name_is_escaped_not_a_crash(example: Path) -> None:
    name = b"caf\xe9.yaml"  # Latin-1, not UTF-8: Python sees a surrogate
    with open(os.path.join(os.fsencode(example / "2021Q3"), name), "wb") as handle:
        handle.write(b"id: x\n")
    result = run_gen("validate", "--call", example)  # child_env sets PYTHONIOENCODING=utf-8
    assert result.code == 1
    assert "caf\\udce9.yaml:1:1: error E101 beneficiaries: missing required field" in result.out
    assert "Traceback" not in result.err


def test_a_link_left_where_gen_writes_its_temporary_record_is_not_followed(
    example: Path, tmp_path: Path
) -> None:
    victim = write(tmp_path / "victim.txt", "precious\n")
    for name in (".results.yaml.tmp", ".results.yaml.x.tmp"):
        (example / "2022Q1" / name).symlink_to(victim)
    result = invoke("score", "--round", "2022Q1", "--call", example)
    # A link in a round folder is an error that stops the round: nothing is written.
    assert result.code == 1
    assert result.err.splitlines()[:2] == [
        f"{example / '2022Q1' / name}:1:1: error E010 gen does not follow links"
        for name in (".results.yaml.tmp", ".results.yaml.x.tmp")
    ]
    assert victim.read_text(encoding="utf-8") == "precious\n"
    # Once they are gone, the record is written under a fresh name of its own.
    for name in (".results.yaml.tmp", ".results.yaml.x.tmp"):
        (example / "2022Q1" / name).unlink()
    assert invoke("score", "--round", "2022Q1", "--call", example).code == 0
    record = example / "2022Q1" / "results.yaml"
    assert not record.is_symlink() and record.read_text(encoding="utf-8").startswith("# Decision")


@pytest.mark.parametrize("written", ["1_000", "3.8e4", "3.8e+4", "1_000.50"])
def test_only_plain_digits_make_a_number(example: Path, written: str) -> None:
    path = example / "2022Q2" / "passerelle-entreprises-paris.yaml"
    replace(path, "  requested: 29500", f"  requested: {written}")
    result = invoke("validate", "--call", example)
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"{path}:{line_of(path, written)}:14: error E103 budget.requested: write the number "
        f"with plain digits, like 38000 or 38000.50 (no _, no exponent, no 0x), not {written}"
    )

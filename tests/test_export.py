"""The jury's spreadsheet: gen export ROUND (part of #9)."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import yaml
from conftest import invoke, run_gen

EXAMPLE = Path(__file__).parent.parent / "dossiers"
ROUND = "2022Q1"


@pytest.fixture(scope="module")
def record() -> dict:
    data: dict = yaml.safe_load((EXAMPLE / ROUND / "results.yaml").read_text(encoding="utf-8"))
    return data


def money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_the_workbook_holds_the_record_figures(tmp_path: Path, record: dict) -> None:
    out = tmp_path / "jury.xlsx"
    result = run_gen("export", ROUND, "--call", EXAMPLE, "--out", out)
    assert result.code == 0, result.err
    assert result.out == f"wrote {out}: the ranking of round {ROUND}\n"
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == [
        "Synthèse",
        "Classement",
        "Recrutement et sélection des…",
        "Ingénierie pédagogique",
        "Accompagnement…",
        "Insertion professionnelle",
    ]
    ranking = book["Classement"]
    assert ranking.freeze_panes == "A2"
    header = [c.value for c in ranking[1]]
    rows = {
        row[1]: dict(zip(header, row, strict=True))
        for row in ranking.iter_rows(2, values_only=True)
    }
    decisions = record["decisions"]
    assert set(rows) == set(decisions)
    for ident, decision in decisions.items():
        row = rows[ident]
        assert row["Rang"] == decision.get("rank")
        assert money(row["Montant demandé"]) == money(decision["requested"])
        assert money(row["Montant accordé"]) == money(decision["granted"])
        if decision["mark"] is None:  # ineligible: it did not compete
            assert (row["Note /20"], decision["status"]) == (None, "ineligible")
        else:
            assert money(row["Note /20"]) == money(decision["mark"])
    granted = sum((money(r["Montant accordé"]) for r in rows.values()), Decimal(0))
    assert granted == money(record["envelope"]["granted"])
    assert ranking["F2"].number_format == '#,##0.00\\ "€"'
    # The envelope line: the first dossier in rank order whose cumulative request exceeds
    # what the round could spend.
    (line,) = [r for r in rows.values() if r["Enveloppe"] == "épuisée"]
    available = money(record["envelope"]["available"])
    ranked = sorted((r for r in rows.values() if r["Rang"]), key=lambda r: r["Rang"])
    first_over = next(r for r in ranked if money(r["Cumul demandé"]) > available)
    assert line["Dossier"] == first_over["Dossier"]
    assert money(line["Cumul demandé"]) - money(line["Montant demandé"]) <= available
    summary = {row[0]: row[1:] for row in book["Synthèse"].iter_rows(2, values_only=True)}
    assert money(summary["Enveloppe"][0]) == money(record["envelope"]["amount"])
    assert summary["Lauréat"][1] == record["totals"]["statuses"]["laureat"]


def test_private_data_only_when_asked(tmp_path: Path) -> None:
    review = yaml.safe_load(
        (EXAMPLE / ROUND / "reviews" / "amelie-roux.yaml").read_text(encoding="utf-8")
    )
    evaluation = next(e for _, e in sorted(review["evaluations"].items()) if e.get("comment"))

    def cells(path: Path) -> list[str]:
        book = openpyxl.load_workbook(path)
        return [str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row]

    assert run_gen("export", ROUND, "--call", EXAMPLE, "--out", tmp_path / "a.xlsx").code == 0
    everything = " ".join(cells(tmp_path / "a.xlsx"))
    assert evaluation["comment"] not in everything and "amelie-roux" not in everything
    done = run_gen("export", ROUND, "--call", EXAMPLE, "--out", tmp_path / "b.xlsx", "--private")
    assert done.code == 0
    assert "keep it private" in done.out
    assert f"amelie-roux: {evaluation['comment']}" in " ".join(cells(tmp_path / "b.xlsx"))
    assert (tmp_path / "b.xlsx").stat().st_mode & 0o777 == 0o600


def test_the_csv_opens_in_a_french_spreadsheet(tmp_path: Path, record: dict) -> None:
    out = tmp_path / "jury.csv"
    assert run_gen("export", ROUND, "--call", EXAMPLE, "--format", "csv", "--out", out).code == 0
    raw = out.read_bytes()
    assert raw.startswith("\ufeffRang;Dossier;Projet;".encode())
    first = raw.decode("utf-8-sig").splitlines()[1].split(";")
    top = next(i for i, d in record["decisions"].items() if d.get("rank") == 1)
    decision = record["decisions"][top]
    assert first[:2] == ["1", top]
    assert first[5] == decision["requested"].replace(".", ",")
    assert first[6] == decision["mark"].replace(".", ",")


def test_the_same_record_gives_the_same_bytes(tmp_path: Path) -> None:
    for name in ("one.xlsx", "two.xlsx"):
        done = run_gen(
            "export",
            ROUND,
            "--call",
            EXAMPLE,
            "--out",
            tmp_path / name,
            SOURCE_DATE_EPOCH="1650000000",
        )
        assert done.code == 0
    assert (tmp_path / "one.xlsx").read_bytes() == (tmp_path / "two.xlsx").read_bytes()


def test_nothing_is_overwritten_and_a_round_without_record_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "jury.xlsx"
    out.write_text("the secretariat's own notes\n", encoding="utf-8")
    refused = invoke("export", ROUND, "--call", EXAMPLE, "--out", out)
    assert refused.code == 2
    assert (
        refused.err == f"gen: error: {out} exists: give --force to replace it, or another --out\n"
    )
    assert out.read_text(encoding="utf-8") == "the secretariat's own notes\n"
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    none = invoke("export", "2022Q2", "--call", call, "--out", tmp_path / "q2.xlsx")
    assert none.code == 2
    assert none.err == (
        "gen: error: round 2022Q2 has no decision record: run gen score --round 2022Q2 first\n"
    )
    assert not (tmp_path / "q2.xlsx").exists()

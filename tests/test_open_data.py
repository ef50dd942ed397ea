"""Open data a re-user can trust (#12): cells that cannot run, a licence, a data package."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from conftest import invoke, replace, run_gen
from frictionless import validate
from hypothesis import given
from hypothesis import strategies as st

from gen_cli.models import FORMULA_STARTS, starts_a_formula
from gen_cli.publish import _csv

BORDEAUX = "2022Q2/passerelle-bordeaux.yaml"
EXAMPLE = Path(__file__).resolve().parent.parent / "dossiers"


@pytest.mark.parametrize("sign", ["=", "+", "-", "@"])
def test_a_title_that_would_run_as_a_formula_is_refused(call_dir: Path, sign: str) -> None:
    replace(
        call_dir / BORDEAUX,
        "title: Passerelle vers le développement logiciel",
        f"title: '{sign}HYPERLINK(\"http://example.com\")'",
    )
    result = invoke("validate", "--call", call_dir)
    assert result.out.splitlines()[0] == (
        f"{call_dir / BORDEAUX}:3:8: error E104 title: '{sign}HYPERLINK(\"http://example.com\")' "
        "begins with =, +, - or @ (at its start or after a ;), which makes a spreadsheet run "
        "the cell as a formula when the published data is opened: begin with a letter or a "
        "digit"
    )


def test_laureats_csv_defuses_a_cell_that_would_start_a_formula() -> None:
    text = _csv(["a", "b"], [{"a": "=1+1", "b": "@SUM(A1)"}, {"a": "ok", "b": "-2"}], defused=True)
    assert text == "a,b\n'=1+1,'@SUM(A1)\nok,'-2\n"
    # SCDL's file keeps its values as they are
    assert _csv(["a"], [{"a": "=1"}]) == "a\n=1\n"


def test_the_published_data_package_validates_with_frictionless(tmp_path: Path) -> None:
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    done = run_gen(
        "publish", "--call", call, "--out", tmp_path / "public", SOURCE_DATE_EPOCH="1700000000"
    )
    assert done.code == 0, done.err
    out = tmp_path / "public"
    report = validate(out / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert [r["path"] for r in package["resources"]] == [
        "laureats.csv",
        "subventions.csv",
        "libelles.csv",
    ]
    assert package["licenses"] == [
        {
            "name": "etalab-2.0",
            "title": "Licence Ouverte / Open Licence version 2.0",
            "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        }
    ]
    assert package["created"] == "2023-11-14T00:00:00Z"
    assert package["contributors"] == [{"title": "Grande école du numérique", "role": "publisher"}]
    # every code the laureates use has its label
    with (out / "libelles.csv").open(encoding="utf-8") as handle:
        labelled = {(r["type"], r["code"]) for r in csv.DictReader(handle)}
    with (out / "laureats.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    used = {("region", r["region"]) for r in rows}
    used |= {("theme", t) for r in rows for t in r["themes"].split(";")}
    used |= {("public", p) for r in rows for p in r["publics"].split(";")}
    assert used <= labelled
    # row n of laureats.csv is row n of subventions.csv
    with (out / "subventions.csv").open(encoding="utf-8") as handle:
        grants = list(csv.DictReader(handle))
    assert [(r["lead_siret"], r["title"], r["granted"]) for r in rows] == [
        (g["idBeneficiaire"], g["objet"], g["montant"]) for g in grants
    ]
    assert (out / "LICENCE").read_text(encoding="utf-8") == (
        "Les données et documents publiés ici par Grande école du numérique sont mis à "
        "disposition sous la Licence Ouverte / Open Licence version 2.0.\n"
        "Texte de la licence\u00a0: https://www.etalab.gouv.fr/licence-ouverte-open-licence/\n"
    )
    index = (out / "index.html").read_text(encoding="utf-8")
    assert (
        '<a href="https://www.etalab.gouv.fr/licence-ouverte-open-licence/">Licence Ouverte / '
        'Open Licence version 2.0</a> (<a href="LICENCE">LICENCE</a>)'
    ) in index


def test_the_json_files_validate_against_their_published_schemas(tmp_path: Path) -> None:

    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    done = run_gen("publish", "--call", call, "--out", tmp_path / "public")
    assert done.code == 0, done.err
    out = tmp_path / "public"
    for name in ("laureats", "budget"):
        schema = json.loads((out / f"{name}.schema.json").read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        document = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        assert [e.message for e in validator.iter_errors(document)] == [], name
    (lovelace,) = [
        item
        for item in json.loads((out / "laureats.json").read_text(encoding="utf-8"))
        if item["id"] == "lovelace"
    ]
    assert (lovelace["people_targeted"], lovelace["granted"], lovelace["themes"]) == (
        150,
        "38000.00",
        ["ingenierie-pedagogique", "recrutement"],
    )
    budget = json.loads((out / "budget.json").read_text(encoding="utf-8"))
    assert (budget["call"]["laureates"], budget["call"]["granted"]) == (47, "1580000.00")


def test_laureats_xlsx_holds_the_rows_of_laureats_csv(tmp_path: Path) -> None:
    import openpyxl

    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    done = run_gen("publish", "--call", call, "--out", tmp_path / "public")
    assert done.code == 0, done.err
    out = tmp_path / "public"
    book = openpyxl.load_workbook(out / "laureats.xlsx")
    assert book.sheetnames == ["Lauréats", "Budget"]
    sheet = book["Lauréats"]
    with (out / "laureats.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    cells = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert cells[0] == rows[0]
    assert len(cells) == len(rows) == 48  # a header and the 47 laureates
    (lovelace,) = [row for row in cells if row[1] == "lovelace"]
    assert (lovelace[10], lovelace[11]) == (38000, 150)  # numbers, not text
    budget = book["Budget"]
    assert [c.value for c in budget[1]] == [
        "Indicateur",
        "Relevé du 30 septembre 2021",
        "Relevé du 31 décembre 2021",
        "Ensemble de l’appel",
    ]
    assert [c.value for c in budget[6]] == ["Montant accordé", 723500, 856500, 1580000]


def test_a_formula_after_a_semicolon_is_refused_too(call_dir: Path) -> None:
    # French spreadsheets split a CSV file on ;: the cell after it would run
    replace(
        call_dir / BORDEAUX,
        "title: Passerelle vers le développement logiciel",
        "title: \"Passerelle;=cmd|' /C calc'!A0\"",
    )
    result = invoke("validate", "--call", call_dir)
    assert " error E104 title: " in result.out.splitlines()[0]
    assert _csv(["a"], [{"a": "Lovelace; =1+1"}], defused=True) == "a\n'Lovelace; =1+1\n"


@given(st.text(st.sampled_from("=+-@\t\r; ab1\u00a0"), max_size=12) | st.text(max_size=12))
def test_starts_a_formula_looks_at_the_start_and_after_every_semicolon(value: str) -> None:
    parts = [value, *(part.strip() for part in value.split(";"))]
    assert starts_a_formula(value) == any(part.startswith(FORMULA_STARTS) for part in parts)


def test_labels_from_call_yaml_are_text_in_the_published_markdown(tmp_path: Path) -> None:
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    path = call / "call.yaml"
    text = path.read_text(encoding="utf-8")
    hostile = "'Relevé <img src=x> [clic](https://evil.example) | x'"
    text = text.replace(
        "  - id: 2021Q3\n", f"  - id: 2021Q3\n    label: {{fr: {hostile}, en: x}}\n", 1
    )
    path.write_text(text, encoding="utf-8")
    done = run_gen("publish", "--call", call, "--out", tmp_path / "public")
    assert done.code == 0, done.err
    for name in ("laureats.md", "budget.md"):
        markdown = (tmp_path / "public" / name).read_text(encoding="utf-8")
        assert "<img" not in markdown and "](https://" not in markdown, name
        assert "Relevé &lt;img src=x> \\[clic\\](https\\://evil.example) \\| x" in markdown


def test_a_web_address_or_a_lone_carriage_return_in_a_title_makes_no_markup() -> None:
    from gen_cli.markdown import escape

    assert escape("voir https://evil.example et www.evil.example") == (
        "voir https\\://evil.example et www\\.evil.example"
    )
    assert escape("Correction\r# FAUX TITRE") == "Correction\n\\# FAUX TITRE"


def test_what_a_publication_keeps_of_a_dossier_is_what_a_project_shows() -> None:
    # a large call's laureates are held as PublicDossier: never a field a project does not show
    from dataclasses import fields

    from gen_cli.publication import Project, PublicDossier

    kept = [f.name for f in fields(PublicDossier)]
    shown = [f.name for f in fields(Project)]
    assert kept == [name for name in shown if name not in {"granted", "rank"}]

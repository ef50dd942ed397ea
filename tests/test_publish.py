"""gen publish on copies of the example call: files, figures, SCDL, privacy, escaping, safety.

Every expected figure is read from the committed decision records (dossiers/<round>/results.yaml)
and then compared with the figures announced for the example call, so that a change of the
example data shows up as a change of the records first. The example call is always copied
into tmp_path first: publishing may write records.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import html5lib
import pytest
import yaml
from conftest import ANNOUNCED, invoke, replace, run_gen
from frictionless import Resource, Schema
from typer.testing import CliRunner, Result

import gen_cli
from gen_cli import formatting
from gen_cli.cli import app
from gen_cli.identifiers import siret_problem
from gen_cli.publication import LAUREATE_FIELDS, SCDL_FIELDS
from gen_cli.records import LIFECYCLE_KEYS, render_record
from gen_cli.tableschema import check_csv, scdl_schema

EXAMPLE = Path(__file__).parent.parent / "dossiers"
SCDL_SCHEMA = Path(gen_cli.__file__).parent / "data" / "scdl-subventions" / "schema.json"
#: The rounds `gen publish --draft` publishes: two closed, 2022Q1 scored (provisional).
ROUNDS = ("2021Q3", "2021Q4", "2022Q1")
ALL_ROUNDS = (*ROUNDS, "2022Q2")  # 2022Q2 still takes dossiers: never published


NNBSP, NBSP = "\u202f", "\u00a0"  # Babel's French group separator; the space before €
EPOCH = "1652356800"  # 2022-05-12 12:00:00 UTC


# --- helpers ------------------------------------------------------------------------------


def gen(*args: str | Path, **env: str | None) -> Result:
    """Run gen in this process through Typer's CliRunner (SOURCE_DATE_EPOCH unset unless given)."""
    return CliRunner().invoke(
        app, [str(a) for a in args], env={"SOURCE_DATE_EPOCH": None, "GEN_CALL": None, **env}
    )


def copy_call(tmp_path: Path, name: str = "call") -> Path:
    return Path(shutil.copytree(EXAMPLE, tmp_path / name))


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones too) with its bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def publish(call: Path, out: Path, *args: str | Path, **env: str | None) -> Result:
    """Publish the closed rounds and, as a draft, 2022Q1 (scored, not closed)."""
    result = gen("publish", "--call", call, "--out", out, "--draft", *args, **env)
    assert result.exit_code == 0, result.output
    return result


def reopen(call: Path) -> None:
    """Make the copy's closed rounds merely scored again, so that a test may edit them."""
    for round_id in ROUNDS:
        path = call / round_id / "results.yaml"
        record = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key in LIFECYCLE_KEYS:
            record.pop(key, None)
        path.write_text(render_record(record), encoding="utf-8")


def read_records(call: Path) -> dict[str, dict[str, Any]]:
    return {
        r: yaml.safe_load((call / r / "results.yaml").read_text(encoding="utf-8")) for r in ROUNDS
    }


def laureates(records: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The laureate decisions of each round."""
    return {
        r: [{"dossier": k, **d} for k, d in record["decisions"].items() if d["status"] == "laureat"]
        for r, record in records.items()
    }


def granted(decisions: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(d["granted"]) for d in decisions), Decimal(0))


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(path: Path, data: Any) -> None:
    path.write_text(
        yaml.dump(data, Dumper=_NoAliases, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )


def dossier_files(call: Path) -> Iterator[Path]:
    for round_id in ALL_ROUNDS:
        yield from sorted(
            p
            for p in (call / round_id).glob("*.yaml")
            if p.name not in {"results.yaml", "jury.yaml", "assignments.yaml"}
        )


def review_files(call: Path) -> Iterator[Path]:
    for round_id in ALL_ROUNDS:
        yield from sorted((call / round_id / "reviews").glob("*.yaml"))


def parse_html(text: str) -> Any:
    parser = html5lib.HTMLParser(
        strict=True, tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False
    )
    return parser.parse(text)


def text_of(element: Any) -> str:
    return "".join(element.itertext())


@dataclass(frozen=True)
class Published:
    call: Path
    out: Path
    stdout: str
    files: dict[str, bytes]
    records: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    """The example call published once, by the installed gen in a real process."""
    base = tmp_path_factory.mktemp("published")
    call = copy_call(base)
    before = tree(call)
    done = run_gen("publish", "--call", "call", "--out", "public", "--draft", script=True, cwd=base)
    assert done.code == 0, done.err
    assert done.err == ""
    assert tree(call) == before, "publishing current records must not rewrite them"
    out = base / "public"
    return Published(call, out, done.out, tree(out), read_records(call))


# --- the files and their figures ----------------------------------------------------------


def test_every_file_is_written(published: Published) -> None:
    wins = laureates(published.records)
    ids = sorted(d["dossier"] for decisions in wins.values() for d in decisions)
    expected = {
        ".gen-publication",
        "index.html",
        "budget.html",
        "style.css",
        "laureats.md",
        "budget.md",
        "laureats.csv",
        "laureats.json",
        "budget.json",
        "subventions.csv",
        "libelles.csv",
        "datapackage.json",
        "LICENCE",
        "laureats.schema.json",
        "budget.schema.json",
        "laureats.xlsx",
        *(f"rounds/{r}.html" for r in ROUNDS),
        *(f"projects/{i}.html" for i in ids),
    }
    assert set(published.files) == expected
    assert published.stdout == (
        f"published {len(ids)} laureate(s) of 3 round(s), {len(expected)} files in public; "
        "open public/index.html\n"
    )
    assert published.stdout == (
        "published 64 laureate(s) of 3 round(s), 83 files in public; open public/index.html\n"
    )
    assert published.files[".gen-publication"] == (
        b"Written by gen publish; the whole folder is replaced at each run.\n"
    )
    assert (
        published.files["style.css"]
        == (Path(gen_cli.__file__).parent.parent / "templates" / "style.css").read_bytes()
    )


def test_laureate_counts_come_from_the_records(published: Published) -> None:
    wins = laureates(published.records)
    counts = {r: len(d) for r, d in wins.items()}
    assert counts == {"2021Q3": 21, "2021Q4": 26, "2022Q1": 17}
    assert counts["2021Q3"] + counts["2021Q4"] == 47
    for r, record in published.records.items():
        assert record["totals"]["statuses"]["laureat"] == counts[r]

    rows = csv_rows(published.out / "laureats.csv")
    assert len(rows) == 64
    by_round = {r: sorted(row["id"] for row in rows if row["round"] == r) for r in ROUNDS}
    assert by_round == {r: sorted(d["dossier"] for d in wins[r]) for r in ROUNDS}
    for row in rows:
        (decision,) = [d for d in wins[row["round"]] if d["dossier"] == row["id"]]
        assert row["granted"] == decision["granted"]


def test_laureates_csv_and_json_hold_the_same_rows(published: Published) -> None:
    text = published.files["laureats.csv"].decode("utf-8")
    assert text.splitlines()[0] == ",".join(LAUREATE_FIELDS)
    rows = csv_rows(published.out / "laureats.csv")
    items = json.loads(published.files["laureats.json"])
    # the same rows, typed: arrays for lists, numbers for counts, null for nothing
    assert [
        {
            **item,
            "themes": ";".join(item["themes"]),
            "partners": ";".join(p["name"] for p in item["partners"]),
            "publics": ";".join(item["publics"]),
            "people_targeted": str(item["people_targeted"]),
            "decision_date": item["decision_date"] or "",
            "decision_reference": item["decision_reference"] or "",
        }
        for item in items
    ] == rows
    (lovelace,) = [r for r in rows if r["id"] == "lovelace"]
    assert lovelace == {
        "round": "2021Q3",
        "id": "lovelace",
        "title": "Lovelace",
        "lead_name": "Ada Tech School",
        "lead_siret": "34652218809976",
        "region": "ile-de-france",
        "region_insee": "11",
        "principal_theme": "ingenierie-pedagogique",
        "themes": "ingenierie-pedagogique;recrutement",
        "partners": "",
        "granted": "38000.00",
        "people_targeted": "150",
        "women_percent": "70",
        "publics": "femmes;demandeurs-emploi",
        "start": "2021-11-14",
        "end": "2023-10-31",
        "decision_date": "2021-11-18",
        "decision_reference": "GEN-AAP-INNOV-2021-R1",
    }


@pytest.mark.parametrize("dossier", ANNOUNCED)
def test_announced_projects_are_published(published: Published, dossier: str) -> None:
    (path,) = EXAMPLE.glob(f"*/{dossier}.yaml")
    source = load_yaml(path)
    rows = [r for r in csv_rows(published.out / "laureats.csv") if r["id"] == dossier]
    assert len(rows) == 1
    assert rows[0]["title"] == source["title"]
    assert rows[0]["lead_name"] == source["porteur"]["name"]
    page = parse_html(published.files[f"projects/{dossier}.html"].decode("utf-8"))
    (h1,) = page.iter("h1")
    assert text_of(h1) == source["title"]
    assert source["porteur"]["name"] in text_of(page)


def test_budget_json_adds_up_to_the_records(published: Published) -> None:
    wins = laureates(published.records)
    budget = json.loads(published.files["budget.json"])
    per_round = {r: granted(wins[r]) for r in ROUNDS}
    assert per_round == {
        "2021Q3": Decimal("723500.00"),
        "2021Q4": Decimal("856500.00"),
        "2022Q1": Decimal("574500.00"),
    }
    assert per_round["2021Q3"] + per_round["2021Q4"] == Decimal("1580000.00")
    total = sum(per_round.values(), Decimal(0))
    assert total == Decimal("1580000") + Decimal("574500") == Decimal("2154500.00")

    assert list(budget["rounds"]) == list(ROUNDS)
    for r, record in published.records.items():
        figures = budget["rounds"][r]
        assert figures["granted"] == f"{per_round[r]:.2f}" == record["totals"]["granted"]
        assert figures["laureates"] == len(wins[r])
        assert figures["dossiers_received"] == len(record["decisions"])
        assert figures["requested"] == record["totals"]["requested"]
        assert figures["envelope"] == record["envelope"]["available"]
        assert figures["left"] == record["envelope"]["left"]
        if wins[r]:
            assert sum(Decimal(t["granted"]) for t in figures["by_theme"].values()) == per_round[r]
            assert sum(Decimal(t["granted"]) for t in figures["by_region"].values()) == per_round[r]
    call = budget["call"]
    assert call["granted"] == "2154500.00"
    assert call["budget"] == "4000000.00"
    assert call["remaining"] == "1845500.00"
    assert call["laureates"] == 64
    assert call["dossiers_received"] == sum(len(r["decisions"]) for r in published.records.values())
    assert sum(Decimal(t["granted"]) for t in call["by_theme"].values()) == total
    assert sum(t["laureates"] for t in call["by_region"].values()) == 64
    assert published.records["2022Q1"]["call_budget"]["after"] == "1845500.00"


# --- SCDL « subventions » ------------------------------------------------------------------


def test_subventions_csv_is_valid_for_frictionless(published: Published) -> None:
    # frictionless 5 keeps the SCDL-specific "custom_checks" key as custom metadata and does
    # not run it (those checks are validata's); the descriptor is used whole, and the custom
    # checks (SIRET Luhn, one-of-required) are checked below with gen's own code.
    descriptor = json.loads(SCDL_SCHEMA.read_text(encoding="utf-8"))
    resource = Resource(
        "subventions.csv",
        basepath=str(published.out),
        schema=Schema.from_descriptor(descriptor),
    )
    report = resource.validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.tasks[0].stats["rows"] == 64
    assert report.tasks[0].stats["fields"] == 16


def test_subventions_csv_format(published: Published) -> None:
    raw = published.files["subventions.csv"]
    assert not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8")  # strict: fails on anything but UTF-8
    assert "\r" not in text
    assert check_csv(text, scdl_schema()) == []
    lines = text.splitlines()
    assert lines[0] == ",".join(SCDL_FIELDS)
    assert tuple(f["name"] for f in scdl_schema()["fields"]) == SCDL_FIELDS
    assert len(SCDL_FIELDS) == 16
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert all(len(row) == 16 for row in rows)
    records = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(records) == 64
    decided = {
        "2021-11-18": "GEN-AAP-INNOV-2021-R1",
        "2022-02-10": "GEN-AAP-INNOV-2021-R2",
        "2022-05-12": "GEN-AAP-INNOV-2022-R3",
    }
    for record in records:
        assert re.fullmatch(r"\d+\.\d{2}", record["montant"]), record["montant"]
        assert date.fromisoformat(record["dateConvention"]).isoformat() == record["dateConvention"]
        assert decided[record["dateConvention"]] == record["referenceDecision"]
        start, end = record["datesPeriodeVersement"].split("/")
        assert date.fromisoformat(start) <= date.fromisoformat(end)
        assert siret_problem(record["idBeneficiaire"]) is None
        assert record["idAttribuant"] == "13002188400015"
        assert record["nomAttribuant"] == "Grande école du numérique"
        assert (record["notificationUE"], record["pourcentageSubvention"]) == ("non", "1.00")
    assert sum(Decimal(r["montant"]) for r in records) == Decimal("2154500.00")
    laureate_rows = csv_rows(published.out / "laureats.csv")
    assert sorted((r["objet"], r["idBeneficiaire"], r["montant"]) for r in records) == sorted(
        (r["title"], r["lead_siret"], r["granted"]) for r in laureate_rows
    )
    assert records[0]["objet"] == "Lovelace"  # rank 1 of the first round comes first
    assert records[0]["datesPeriodeVersement"] == "2021-11-14/2023-10-31"


# --- language -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "lang", "text"),
    [
        ("1590500", "fr", f"1{NNBSP}590{NNBSP}500{NBSP}€"),
        ("1590500", "en", "€1,590,500"),
        ("38000.50", "fr", f"38{NNBSP}000,50{NBSP}€"),
        ("38000.50", "en", "€38,000.50"),
        ("0", "fr", f"0{NBSP}€"),
    ],
)
def test_money_format(amount: str, lang: str, text: str) -> None:
    assert formatting.money(Decimal(amount), lang) == text


def test_french_by_default(published: Published) -> None:
    index = published.files["index.html"].decode("utf-8")
    budget = published.files["budget.md"].decode("utf-8")
    assert '<html lang="fr">' in index
    assert f'<span class="key">2{NNBSP}154{NNBSP}500{NBSP}€</span>' in index
    eur = f"{NBSP}€"
    assert (
        f"| Montant accordé | 723{NNBSP}500{eur} | 856{NNBSP}500{eur} | 574{NNBSP}500{eur} "
        f"| 2{NNBSP}154{NNBSP}500{eur} |\n"
    ) in budget
    round_page = published.files["rounds/2021Q3.html"].decode("utf-8")
    assert "18 novembre 2021" in round_page
    lovelace = published.files["projects/lovelace.html"].decode("utf-8")
    assert f"<td>38{NNBSP}000{NBSP}€</td>" in lovelace


def test_english_with_lang_en(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    publish(call, tmp_path / "en", "--lang", "en")
    out = tmp_path / "en"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in index
    assert '<span class="key">€2,154,500</span>' in index
    budget = (out / "budget.md").read_text(encoding="utf-8")
    assert "| Amount granted | €723,500 | €856,500 | €574,500 | €2,154,500 |\n" in budget
    assert "18 November 2021" in (out / "rounds/2021Q3.html").read_text(encoding="utf-8")
    assert "<td>€38,000</td>" in (out / "projects/lovelace.html").read_text(encoding="utf-8")
    for path in out.rglob("*.html"):
        assert '<html lang="en">' in path.read_text(encoding="utf-8"), path


def test_open_data_does_not_depend_on_the_language(tmp_path: Path, published: Published) -> None:
    call = copy_call(tmp_path)
    publish(call, tmp_path / "en", "--lang", "en")
    for name in ("laureats.csv", "laureats.json", "budget.json", "subventions.csv"):
        assert (tmp_path / "en" / name).read_bytes() == published.files[name], name


# --- privacy ------------------------------------------------------------------------------


def marker(field: str, n: int) -> str:
    # letters and digits only, so that no escaping (HTML, Markdown, JSON, CSV) can hide it
    return f"PRIVATEMARKER{field}{n:03d}Z"


def test_private_fields_are_never_published(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    reopen(call)
    before = laureates(read_records(call))
    winners = {d["dossier"] for decisions in before.values() for d in decisions}
    markers: list[str] = []
    sirets: set[str] = set()
    published_sirets = {"13002188400015"}

    def plant(field: str) -> str:
        markers.append(marker(field, len(markers)))
        return markers[-1]

    for path in dossier_files(call):
        dossier = load_yaml(path)
        contact = dossier["contact"]
        contact["name"] = plant("contactname")
        contact["email"] = plant("contactemail").lower() + "@example.org"
        markers[-1] = contact["email"]
        contact["phone"] = plant("contactphone")
        sirets.update(p["siret"] for p in dossier.get("partners", []) if p.get("siret"))
        if dossier["id"] in winners:
            published_sirets.add(dossier["porteur"]["siret"])
        else:
            sirets.add(dossier["porteur"]["siret"])
            dossier["title"] = plant("title")
            dossier["summary"] = f"Un projet {plant('summary')} de **test**.\n"
            dossier["porteur"]["name"] = plant("leadname")
            for partner in dossier.get("partners", []):
                partner["name"] = plant("partnername")
                partner["role"] = plant("partnerrole")
        dump_yaml(path, dossier)
    comments = 0
    for path in review_files(call):
        review = load_yaml(path)
        for evaluation in review["evaluations"].values():
            for key in ("comment", "conflict"):
                if key in evaluation:
                    evaluation[key] = plant(key)
                    comments += key == "comment"
        dump_yaml(path, review)
    reviewers = load_yaml(call / "call.yaml")["reviewers"]
    for reviewer in reviewers:
        replace(call / "call.yaml", f"name: {reviewer['name']}\n", f"name: {plant('reviewer')}\n")
    assert len(reviewers) >= 5 and comments > 100
    # a positive control: the same kind of marker in a public field is found
    lovelace = load_yaml(call / "2021Q3" / "lovelace.yaml")
    lovelace["summary"] += "PUBLICMARKER000Z\n"
    dump_yaml(call / "2021Q3" / "lovelace.yaml", lovelace)

    checked = gen("validate", "--call", call)
    assert checked.exit_code == 0, checked.output
    rescored = gen("score", "--all", "--call", call)
    assert rescored.exit_code == 0, rescored.output
    assert laureates(read_records(call)) == before, "the planted text must not change decisions"
    publish(call, tmp_path / "out")

    files = tree(tmp_path / "out")
    assert len(files) == 83
    everything = b"\n".join(files.values())
    assert b"PRIVATEMARKER" in (call / "2021Q3" / "lovelace.yaml").read_bytes()
    assert b"PUBLICMARKER000Z" in files["projects/lovelace.html"]
    assert b"PUBLICMARKER000Z" in files["laureats.md"]
    leaked = [
        (m, name)
        for m in markers
        for name, content in files.items()
        if m.encode().lower() in content.lower()
    ]
    assert leaked == []
    assert b"privatemarker" not in everything.lower()
    for reviewer in reviewers:
        for form in (reviewer["id"], reviewer["id"].replace("-", "\\-")):
            assert form.encode() not in everything, form
    # the SIRETs of organisations that only lead or partner unselected projects
    assert sorted(s for s in sirets - published_sirets if s.encode() in everything) == []


def test_unselected_dossiers_are_only_counted(published: Published) -> None:
    everything = b"\n".join(published.files.values())
    losers = [
        ident
        for record in published.records.values()
        for ident, d in record["decisions"].items()
        if d["status"] != "laureat"
    ]
    assert len(losers) == 41 + 48 + 30 - 64
    found = [
        d
        for d in losers
        if re.search(rb"(?<![a-z0-9-])" + re.escape(d.encode()) + rb"(?![a-z0-9-])", everything)
    ]
    assert found == []
    for path in dossier_files(EXAMPLE):
        dossier = load_yaml(path)
        assert dossier["contact"]["email"].encode() not in everything
        assert dossier["contact"]["name"].encode() not in everything


# --- escaping -----------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def test_titles_and_summaries_are_escaped(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    reopen(call)
    path = call / "2021Q3" / "lovelace.yaml"
    dossier = load_yaml(path)
    title = f"Lovelace {SCRIPT} {IMG}"
    dossier["title"] = title
    dossier["summary"] = f"Résumé {SCRIPT}\n\n{IMG}\n\n[clic](javascript:alert(1))\n"
    dump_yaml(path, dossier)
    path = call / "2021Q3" / "digital-mixite-challenge.yaml"
    dossier = load_yaml(path)
    dossier["partners"][0]["role"] = f"Rôle {SCRIPT}"
    dump_yaml(path, dossier)

    assert gen("score", "--round", "2021Q3", "--call", call).exit_code == 0
    result = gen("publish", "--call", call, "--out", tmp_path / "out", "--draft")
    assert result.exit_code == 0, result.output
    files = tree(tmp_path / "out")

    for name, content in files.items():
        if name.endswith((".html", ".md")):
            text = content.decode("utf-8")
            assert "<script" not in text.lower(), name
            assert "<img" not in text.lower(), name
            assert 'href="javascript' not in text, name
    page = files["projects/lovelace.html"].decode("utf-8")
    (h1,) = parse_html(page).iter("h1")
    assert text_of(h1) == title
    assert (
        "<h1>Lovelace &lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;</h1>"
        in page
    )
    assert "<p>Résumé &lt;script&gt;alert(1)&lt;/script&gt;</p>" in page
    assert "<p>&lt;img src=x onerror=alert(1)&gt;</p>" in page
    assert 'href="javascript:' not in page
    assert "&lt;script&gt;" in files["projects/digital-mixite-challenge.html"].decode("utf-8")
    markdown = files["laureats.md"].decode("utf-8")
    assert (
        "#### Lovelace &lt;script>alert(1)&lt;/script> &lt;img src=x onerror=alert(1)>\n"
        in markdown
    )
    assert "Résumé &lt;script>alert(1)&lt;/script>\n" in markdown
    assert "&lt;img src=x onerror=alert(1)>\n" in markdown

    # Open data carries the title as data, unchanged: escaping it would corrupt it.
    (row,) = [r for r in csv_rows(tmp_path / "out" / "laureats.csv") if r["id"] == "lovelace"]
    assert row["title"] == title
    (item,) = [r for r in json.loads(files["laureats.json"]) if r["id"] == "lovelace"]
    assert item["title"] == title
    scdl = csv_rows(tmp_path / "out" / "subventions.csv")
    assert scdl[0]["objet"] == title


# --- reproducibility ----------------------------------------------------------------------


def test_two_runs_give_the_same_bytes(tmp_path: Path, published: Published) -> None:
    call = copy_call(tmp_path)
    publish(call, tmp_path / "one")
    publish(call, tmp_path / "two")
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert one == two
    assert one == published.files  # in process or in a real process, from any folder
    assert not any(b"Publi\xc3\xa9 le" in content for content in one.values())


def test_source_date_epoch_dates_the_site(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    publish(call, tmp_path / "one", SOURCE_DATE_EPOCH=EPOCH)
    publish(call, tmp_path / "two", SOURCE_DATE_EPOCH=EPOCH)
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert one == two
    publish(call, tmp_path / "undated")
    undated = tree(tmp_path / "undated")
    assert one.keys() == undated.keys()
    for name, content in one.items():
        if name.endswith(".html"):
            assert "· Publié le 12 mai 2022</p>" in content.decode("utf-8"), name
            assert "Publié le" not in undated[name].decode("utf-8"), name
        elif name == "laureats.xlsx":  # the workbook's creation date is the publication's
            assert content != undated[name]
        elif name == "datapackage.json":  # and the data package's metadata
            assert b'"created": "2022-05-12T00:00:00Z"' in content
            assert b'"created"' not in undated[name]
        else:
            assert content == undated[name], name
    english = publish(call, tmp_path / "en", "--lang", "en", SOURCE_DATE_EPOCH=EPOCH)
    assert english.exit_code == 0
    assert "· Published on 12 May 2022</p>" in (tmp_path / "en" / "index.html").read_text(
        encoding="utf-8"
    )


def test_a_bad_source_date_epoch_is_refused(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    result = gen("publish", "--call", call, "--out", tmp_path / "out", SOURCE_DATE_EPOCH="May")
    assert result.exit_code == 2
    assert result.output == "gen: error: SOURCE_DATE_EPOCH='May' is not a Unix time\n"
    assert not (tmp_path / "out").exists()


def git(repo: Path, *args: str, **env: str) -> None:
    pinned = {
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.org",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.org",
        "HOME": str(repo),
    }
    subprocess.run(
        ["git", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        env={**os.environ, **pinned, **env},
    )


def test_date_from_git(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    call = copy_call(repo)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    stamp = "2022-06-03T10:00:00+00:00"
    git(repo, "commit", "-q", "-m", "call", GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
    publish(call, tmp_path / "out", "--date-from-git")
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "· Publié le 3 juin 2022</p>" in index
    # the default inside git: the last commit that changed the call, not the clock
    publish(call, tmp_path / "default")
    assert "· Publié le 3 juin 2022</p>" in (tmp_path / "default" / "index.html").read_text(
        encoding="utf-8"
    )
    package = (tmp_path / "default" / "datapackage.json").read_text(encoding="utf-8")
    assert '"created": "2022-06-03T00:00:00Z"' in package
    publish(call, tmp_path / "undated", "--no-date")
    assert "Publié le" not in (tmp_path / "undated" / "index.html").read_text(encoding="utf-8")
    # SOURCE_DATE_EPOCH wins over the commit
    publish(call, tmp_path / "out", "--date-from-git", SOURCE_DATE_EPOCH=EPOCH)
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "· Publié le 12 mai 2022</p>" in index


def test_date_from_git_outside_a_repository(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    result = gen("publish", "--call", call, "--out", tmp_path / "out", "--date-from-git")
    assert result.exit_code == 2
    assert result.output == (
        f"gen: error: {call} has no git commit to take a date from "
        "(commit first, or set SOURCE_DATE_EPOCH)\n"
    )
    assert not (tmp_path / "out").exists()


# --- safety -------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_template_error_leaves_the_previous_publication(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    out = tmp_path / "site" / "public"
    publish(call, out)
    before = tree(out)
    templates = tmp_path / "templates"
    write(templates / "laureats.md", "# {{ t.laureates }}\n{{ undefined_name }}\n")
    result = gen("publish", "--call", call, "--out", out, "--templates", templates)
    assert result.exit_code == 2
    assert result.output == "gen: error: template laureats.md:2: 'undefined_name' is undefined\n"
    assert tree(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["public"]  # no staging left


def test_a_template_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    templates = tmp_path / "templates"
    path = write(
        templates / "round.html", '{% extends "base.html" %}\n{% block content %}\n{% for %}\n'
    )
    result = gen("publish", "--call", call, "--out", tmp_path / "out", "--templates", templates)
    assert result.exit_code == 2
    assert result.output.startswith(f"gen: error: template {path}:3: ")
    assert not (tmp_path / "out").exists()


def test_a_typo_in_base_html_names_base_html(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    templates = tmp_path / "templates"
    base = (Path(gen_cli.__file__).parent.parent / "templates" / "base.html").read_text(
        encoding="utf-8"
    )
    write(templates / "base.html", base.replace("</footer>", "{{ undefined_name }}</footer>"))
    result = gen("publish", "--call", call, "--out", tmp_path / "out", "--templates", templates)
    assert result.exit_code == 2
    assert "base.html" in result.output, result.output


def test_a_bad_value_in_a_template_is_a_template_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where a crash log would go
    call = copy_call(tmp_path)
    templates = tmp_path / "templates"
    write(templates / "laureats.md", '{{ "a lot"|money }}\n')
    code, _, err = invoke(
        "publish", "--call", call, "--out", tmp_path / "out", "--templates", templates
    )
    assert code == 2, err
    assert err.startswith("gen: error: template ") and "laureats.md" in err, err


def test_a_folder_gen_did_not_write_is_refused(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    out = write(tmp_path / "mine" / "notes.txt", "my notes\n").parent
    result = gen("publish", "--call", call, "--out", out)
    assert result.exit_code == 2
    assert result.output == (
        f"gen: error: refusing to replace {out}: it is not empty and was not written by gen publish\n"
    )
    assert tree(out) == {"notes.txt": b"my notes\n"}
    # an empty folder is fine, and once gen wrote it, it is replaced whole
    empty = tmp_path / "empty"
    empty.mkdir()
    publish(call, empty)
    write(empty / "stray.txt", "left by someone\n")
    publish(call, empty)
    assert not (empty / "stray.txt").exists()


@pytest.mark.parametrize(
    ("where", "why"),
    [
        (
            ".",
            "it would replace {call}, which gen reads; choose another --out (public/ inside it is fine)",
        ),
        (
            "call",
            "it would replace {call}, which gen reads; choose another --out (public/ inside it is fine)",
        ),
        ("call/2021Q3", "it overlaps {call}/2021Q3, which gen reads; choose another --out"),
        ("call/2021Q3/site", "it overlaps {call}/2021Q3, which gen reads; choose another --out"),
        ("call/templates", "it overlaps {call}/templates, which gen reads; choose another --out"),
    ],
)
def test_the_call_folder_is_protected(tmp_path: Path, where: str, why: str) -> None:
    call = copy_call(tmp_path)
    before = tree(tmp_path)
    result = gen("publish", "--call", call, "--out", tmp_path / where)
    assert result.exit_code == 2
    assert result.output == (
        f"gen: error: refusing to publish into {tmp_path / where}: {why.format(call=call)}\n"
    )
    assert tree(tmp_path) == before


def test_public_beside_call_yaml_is_where_a_call_repository_publishes(
    tmp_path: Path, secretariat: Path
) -> None:
    call = copy_call(tmp_path)
    out = call / "public"
    publish(call, out)
    again = publish(call, out)  # replaced: gen wrote it
    assert again.output.startswith("published 64 laureate(s)")
    validated = gen("validate", "--call", call)
    assert validated.output == (
        "checked 1 call file, 4 rounds, 125 dossiers, 19 reviews: 0 errors, 0 warnings\n"
    )


def test_a_file_or_a_link_is_refused(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    target = write(tmp_path / "file.txt", "text\n")
    result = gen("publish", "--call", call, "--out", target)
    assert result.exit_code == 2
    assert result.output == f"gen: error: refusing to publish into {target}: it is not a folder\n"
    publish(call, tmp_path / "real")
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "real")
    result = gen("publish", "--call", call, "--out", link)
    assert result.exit_code == 2
    assert result.output == f"gen: error: refusing to publish into {link}: it is not a folder\n"
    assert target.read_text(encoding="utf-8") == "text\n"


def test_a_refused_publication_writes_no_record(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    (call / "2022Q1" / "results.yaml").unlink()
    out = write(tmp_path / "mine" / "notes.txt", "my notes\n").parent
    result = gen("publish", "--call", call, "--out", out)
    assert result.exit_code == 2
    assert not (call / "2022Q1" / "results.yaml").exists()


# --- records ------------------------------------------------------------------------------


def test_a_stale_record_is_refused(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    record = call / "2022Q1" / "results.yaml"
    committed = record.read_bytes()
    dossier = "du-code-a-l-emploi-fort-de-france"  # first of the round
    head = f"  {dossier}:\n    grades:\n      pertinence: "
    review = next(
        p
        for p in sorted((call / "2022Q1" / "reviews").glob("*.yaml"))
        if head in p.read_text(encoding="utf-8")
    )
    text = review.read_text(encoding="utf-8")
    start = text.index(head)
    end = text.index("\n", start + len(head))
    review.write_text(text[:start] + head + "0" + text[end:], encoding="utf-8")
    out = tmp_path / "out"
    result = gen("publish", "--call", call, "--out", out, "--draft")
    assert result.exit_code == 1
    assert result.output.startswith(
        f"gen: error: decision records are stale for round(s) 2022Q1 ({dossier}"
    )
    assert result.output.endswith(": run gen score --round ROUND and commit the record\n")
    assert record.read_bytes() == committed
    assert not out.exists()
    # The closed rounds alone are still published: the stale draft does not concern them.
    closed = publish_closed(call, out)
    assert closed.output.startswith("published 47 laureate(s) of 2 round(s)")

    assert gen("score", "--round", "2022Q1", "--call", call).exit_code == 0
    assert record.read_bytes() != committed
    again = publish(call, out)
    assert again.output.startswith("published ")


def publish_closed(call: Path, out: Path) -> Result:
    result = gen("publish", "--call", call, "--out", out)
    assert result.exit_code == 0, result.output
    return result


def test_a_round_without_a_record_is_not_published(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    record = call / "2022Q1" / "results.yaml"
    record.unlink()
    result = publish(call, tmp_path / "out")
    assert result.output.startswith("published 47 laureate(s) of 2 round(s)")
    assert not record.exists()
    assert sorted(p.name for p in (tmp_path / "out" / "rounds").iterdir()) == [
        "2021Q3.html",
        "2021Q4.html",
    ]


def test_by_default_only_closed_rounds_are_published(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    out = tmp_path / "out"
    result = publish_closed(call, out)
    assert result.output == (
        f"published 47 laureate(s) of 2 round(s), 65 files in {out}; open {out}/index.html\n"
    )
    assert sorted(p.name for p in (out / "rounds").iterdir()) == ["2021Q3.html", "2021Q4.html"]
    everything = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert b"Provisoire" not in everything and b"provisoire" not in everything


def test_a_draft_round_carries_a_banner_on_each_page(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    out = tmp_path / "out"
    publish(call, out)
    banner = "<strong>Provisoire</strong> — Résultats provisoires\u00a0: ce relevé n’est pas clos"
    page = (out / "rounds" / "2022Q1.html").read_text(encoding="utf-8")
    assert banner in page
    assert "<h1>Lauréats — Relevé du 31 mars 2022 (provisoire)</h1>" in page
    closed = (out / "rounds" / "2021Q3.html").read_text(encoding="utf-8")
    assert "Résultats provisoires" not in closed
    for name in ("index.html", "budget.html"):
        text = (out / name).read_text(encoding="utf-8")
        assert "<strong>Provisoire</strong> — Cette publication contient des résultats" in text
    laureats = (out / "laureats.md").read_text(encoding="utf-8")
    assert (
        "## Relevé du 31 mars 2022 (provisoire)\n\n> **Provisoire** — Résultats provisoires"
        in laureats
    )
    assert "## Relevé du 30 septembre 2021\n" in laureats
    assert "> **Provisoire**" in (out / "budget.md").read_text(encoding="utf-8")
    english = tmp_path / "en"
    publish(call, english, "--lang", "en")
    assert "<strong>Provisional</strong> — Provisional results: this round is not closed" in (
        english / "rounds" / "2022Q1.html"
    ).read_text(encoding="utf-8")


def test_one_round(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    result = publish(call, tmp_path / "out", "--round", "2022Q1")
    out = tmp_path / "out"
    assert f"published 17 laureate(s) of 1 round(s), 34 files in {out}" in result.output
    assert sorted(p.name for p in (out / "rounds").iterdir()) == ["2022Q1.html"]
    assert {r["round"] for r in csv_rows(out / "laureats.csv")} == {"2022Q1"}
    assert len(csv_rows(out / "subventions.csv")) == 17
    budget = json.loads((out / "budget.json").read_text(encoding="utf-8"))
    assert list(budget["rounds"]) == ["2022Q1"]
    assert budget["call"]["granted"] == "574500.00"


# --- template overrides -------------------------------------------------------------------


def test_the_call_folder_overrides_a_template(tmp_path: Path, published: Published) -> None:
    call = copy_call(tmp_path)
    write(
        call / "templates" / "laureats.md",
        "{{ t.laureates }} : {{ publication.projects|length }}\n",
    )
    publish(call, tmp_path / "out")
    files = tree(tmp_path / "out")
    assert files.pop("laureats.md") == "Lauréats : 64\n".encode()
    assert files == {k: v for k, v in published.files.items() if k != "laureats.md"}

    # --templates comes first, then <call>/templates, then the packaged ones
    extra = tmp_path / "extra"
    write(extra / "laureats.md", "from --templates\n")
    write(extra / "style.css", "/* {{ copied, not rendered }} */\n")
    publish(call, tmp_path / "out", "--templates", extra)
    files = tree(tmp_path / "out")
    assert files.pop("laureats.md") == b"from --templates\n"
    assert files.pop("style.css") == b"/* {{ copied, not rendered }} */\n"
    expected = {k: v for k, v in published.files.items() if k not in {"laureats.md", "style.css"}}
    assert files == expected


# --- HTML ---------------------------------------------------------------------------------


def test_every_page_is_valid_html5(published: Published) -> None:
    pages = {k: v for k, v in published.files.items() if k.endswith(".html")}
    assert len(pages) == 2 + len(ROUNDS) + 64
    for name, content in pages.items():
        text = content.decode("utf-8")
        assert text.startswith("<!DOCTYPE html>\n"), name
        root = parse_html(text)  # strict: raises on the first parse error
        assert root.tag == "html"
        assert root.get("lang") == "fr", name
        assert len(list(root.iter("h1"))) == 1, name
        assert len(list(root.iter("main"))) == 1, name
        (skip,) = [a for a in root.iter("a") if a.get("class") == "skip"]
        assert skip.get("href") == "#content"
        ids = [e.get("id") for e in root.iter() if e.get("id")]
        assert len(ids) == len(set(ids)), name
        tables = list(root.iter("table"))
        assert tables, name
        for table in tables:
            assert table[0].tag == "caption" and text_of(table[0]).strip(), name
            assert list(table.iter("th")), name
        for element in root.iter():
            # nothing is fetched from elsewhere; a link may lead to a public page (https)
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if element.tag == "a" and attribute == "href" and value:
                    assert not re.match(r"[a-z]+:", value) or value.startswith(
                        ("https://", "mailto:")
                    )
                else:
                    assert value is None or not re.match(r"[a-z]+:", value), (name, value)
        assert not list(root.iter("script")), name


@pytest.mark.parametrize(
    ("expression", "attribute", "owner"),
    [
        ('"".__class__.__mro__[1].__subclasses__()', "__class__", "str"),
        ("call.round.__globals__", "__globals__", "method"),
    ],
)
def test_a_template_cannot_reach_python_internals(
    tmp_path: Path, expression: str, attribute: str, owner: str
) -> None:
    call = copy_call(tmp_path)
    write(
        call / "templates" / "index.html",
        '{% extends "base.html" %}{% block content %}{{ ' + expression + " }}{% endblock %}\n",
    )
    out = tmp_path / "out"
    result = gen("publish", "--call", call, "--out", out)
    assert result.exit_code == 2
    assert result.output == (
        f"gen: error: template index.html:1: refused: access to attribute '{attribute}' of "
        f"'{owner}' object is unsafe. (templates cannot reach Python's internals)\n"
    )
    assert not out.exists()

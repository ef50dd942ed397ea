"""The example call: it validates, its records are current, and it reproduces the announcement."""

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import yaml
from conftest import ANNOUNCED
from typer.testing import CliRunner

from gen_cli.cli import app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "dossiers"


#: The TEST identity that opens the example's sealed review (public: never a real call's).
IDENTITY = ROOT / "tests" / "fixtures" / "sealing" / "secretariat-TEST-ONLY.key"


def score_json(round_id: str) -> dict:
    result = CliRunner().invoke(
        app,
        [
            "score",
            "--round",
            round_id,
            "--dry-run",
            "--format",
            "json",
            "--call",
            str(EXAMPLE),
            "--identity",
            str(IDENTITY),
        ],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_example_validates_cleanly() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gen_cli", "validate", "--call", str(EXAMPLE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    # Amélie Roux's 2022Q2 review is sealed: without the identity it is noted, not checked.
    assert result.stdout == (
        f"{EXAMPLE}/2022Q2/reviews/amelie-roux.yaml.age:1:1: note N001 sealed review: "
        "present, not checked; the secretariat checks it with its identity (--identity FILE "
        "or GEN_AGE_IDENTITY)\n"
        "checked 1 call file, 4 rounds, 125 dossiers, 19 reviews: 0 errors, 0 warnings, 1 note\n"
    )
    opened = subprocess.run(
        [sys.executable, "-m", "gen_cli", "validate", "--call", str(EXAMPLE)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GEN_AGE_IDENTITY": str(IDENTITY)},
    )
    assert opened.stdout == (
        "checked 1 call file, 4 rounds, 125 dossiers, 19 reviews: 0 errors, 0 warnings\n"
    )


def test_first_two_rounds_reproduce_the_announcement() -> None:
    records = [score_json("2021Q3"), score_json("2021Q4")]
    decisions = {k: d for r in records for k, d in r["decisions"].items()}
    laureates = {k for k, d in decisions.items() if d["status"] == "laureat"}
    granted = sum(Decimal(r["envelope"]["granted"]) for r in records)
    assert len(decisions) == 89
    assert len(laureates) == 47
    assert granted == Decimal("1580000.00")
    assert abs(granted - 1_600_000) / 1_600_000 < Decimal("0.02")
    assert laureates >= set(ANNOUNCED)


def test_the_jury_and_a_withdrawal_are_in_the_committed_records() -> None:
    q3 = yaml.safe_load((EXAMPLE / "2021Q3" / "results.yaml").read_text(encoding="utf-8"))
    q4 = yaml.safe_load((EXAMPLE / "2021Q4" / "results.yaml").read_text(encoding="utf-8"))
    # 2021Q4: the jury retained the first of the waiting list instead of the last laureate.
    chosen = q4["decisions"]["les-chemins-du-numerique-toulouse"]
    assert (chosen["status"], chosen["computed"]["status"]) == ("laureat", "liste-complementaire")
    assert chosen["jury"]["public"] is True
    dropped = q4["decisions"]["carrieres-tech-pour-tous-angers"]
    assert (dropped["status"], dropped["computed"]["status"]) == ("liste-complementaire", "laureat")
    assert q4["closed"] == {"by": "Secrétariat de l'appel", "gen": "0.3.0", "on": "2022-02-10"}
    # 2021Q3: a laureate withdrew after the decision; the first of the waiting list moved up,
    # recorded as an amendment of the closed round.
    gone = q3["decisions"]["portes-ouvertes-du-code-fort-de-france"]
    assert (gone["status"], gone["granted"], gone["withdrawn"]["date"]) == (
        "desiste",
        "0.00",
        "2022-01-20",
    )
    promoted = q3["decisions"]["accompagnement-renforce-cergy"]
    assert promoted["promoted"] == {"after": ["portes-ouvertes-du-code-fort-de-france"]}
    assert promoted["granted"] == promoted["requested"] == "29500.00"
    assert [a["on"] for a in q3["amendments"]] == ["2022-01-20"]


def test_2022q1_selects_within_its_envelope() -> None:
    record = score_json("2022Q1")
    assert record["totals"]["statuses"]["laureat"] == 17
    assert Decimal(record["envelope"]["granted"]) == Decimal("574500.00")
    assert Decimal(record["envelope"]["granted"]) <= Decimal(record["envelope"]["amount"])


def test_2022q2_without_enough_reviews_is_all_incomplete() -> None:
    # One sealed review is in (three dossiers graded by Amélie Roux); two are needed.
    record = score_json("2022Q2")
    assert [d["status"] for d in record["decisions"].values()] == ["incomplet"] * 6
    assert sorted(d["reviews"] for d in record["decisions"].values()) == [0, 0, 0, 1, 1, 1]
    assert record["envelope"]["granted"] == "0.00"


def test_conflicts_of_interest_are_excluded_and_listed() -> None:
    record = score_json("2021Q3")
    assert record["excluded_reviews"] == [
        {"conflict": "declared", "dossier": "lovelace", "reviewer": "driss-amrani"},
        {"conflict": "declared", "dossier": "tech-my-ge", "reviewer": "amelie-roux"},
    ]


def test_committed_records_match_their_inputs() -> None:
    result = CliRunner().invoke(app, ["score", "--check", "--call", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert result.output == "every decision record matches its inputs\n"


def test_generator_reproduces_the_committed_example(tmp_path: Path) -> None:
    out = tmp_path / "dossiers"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_example.py"), "--out", str(out)],
        check=True,
    )
    for path in sorted(EXAMPLE.rglob("*.yaml")):
        if path.name == "results.yaml":
            continue
        relative = path.relative_to(EXAMPLE)
        assert (out / relative).read_bytes() == path.read_bytes(), relative
    generated = {p.relative_to(out) for p in out.rglob("*.yaml")}
    committed = {
        p.relative_to(EXAMPLE) for p in EXAMPLE.rglob("*.yaml") if p.name != "results.yaml"
    }
    assert generated == committed


def _fields(schema: dict) -> dict[str, tuple[list[str], list[str]]]:
    # Field names and required fields per model: what a stale schema file gets wrong,
    # without the details that vary between pydantic versions.
    models = {"": schema, **schema.get("$defs", {})}
    return {
        name: (sorted(m.get("properties", {})), sorted(m.get("required", [])))
        for name, m in models.items()
    }


def test_schemas_in_repository_are_current() -> None:
    from gen_cli.models import SCHEMAS

    for kind, model in SCHEMAS.items():
        committed = json.loads((ROOT / "schemas" / f"{kind}.schema.json").read_text("utf-8"))
        assert _fields(committed) == _fields(model.model_json_schema()), kind


def test_main_job_on_a_copy_rewrites_identical_records(tmp_path: Path) -> None:
    copy = tmp_path / "call"
    shutil.copytree(EXAMPLE, copy)
    before = {p: p.read_bytes() for p in copy.rglob("results.yaml")}
    result = CliRunner().invoke(app, ["score", "--all", "--call", str(copy)])
    assert result.exit_code == 0, result.output
    assert {p: p.read_bytes() for p in copy.rglob("results.yaml")} == before

"""One round of 5,000 dossiers through the whole lifecycle: score, check, close, validate, publish.

The call is generated as YAML text (fast); 3 reviewers each grade all 5,000 dossiers in one
review file. The installed gen runs in subprocesses, as a secretariat would run it.
"""

from __future__ import annotations

import time
from pathlib import Path

import yaml
from conftest import Result, run_gen

DOSSIERS = 5_000
REVIEWERS = ("anne-martin", "bruno-dubois", "chloe-lambert")
ROUND = "2024Q1"
ENVELOPE = 2_000_000
#: Four in five dossiers ask 20,000 to 23,000 euros; every fifth asks 60,000, above the rule.
TOO_MUCH = 60_000

CALL = f"""\
name:
  fr: Appel à projets de 5 000 dossiers
  en: A call of 5,000 dossiers
funder:
  name: Fonds de test pour le numérique
  siret: "81234567600017"
budget: {ENVELOPE}
themes:
  - id: inclusion
    label: {{fr: Inclusion numérique, en: Digital inclusion}}
rounds:
  - id: {ROUND}
    opens: 2024-01-01
    closes: 2024-03-31
    submissions: closed
    decision_date: 2024-05-15
    envelope:
      amount: {ENVELOPE}
eligibility:
  - id: montant
    rule: requested-amount
    min: 5000
    max: 50000
    message: La subvention demandée est comprise entre 5 000 et 50 000 euros.
grids:
  inclusion:
    criteria:
      - id: qualite
        label: {{fr: Qualité, en: Quality}}
        weight: 2
        source: reviews
        scale: {{min: 0, max: 5}}
      - id: impact
        label: {{fr: Impact, en: Impact}}
        weight: 1
        source: reviews
        scale: {{min: 0, max: 5}}
reviewers:
""" + "".join(f"  - id: {r}\n    name: {r.replace('-', ' ').title()}\n" for r in REVIEWERS)


def ident(n: int) -> str:
    return f"projet-{n:05d}"


def requested(n: int) -> int:
    return TOO_MUCH if n % 5 == 0 else 20_000 + (n % 4) * 1_000


def dossier(n: int) -> str:
    asked = requested(n)
    return f"""\
id: {ident(n)}
round: {ROUND}
title: Projet numéro {n}
summary: Un projet généré pour le test d'un grand relevé.
themes: [inclusion]
porteur:
  name: Organisme {n}
  siret: "87890123000010"
  kind: organisme-formation
  region: bretagne
  gen_labelled: true
budget:
  total_cost: {asked * 2}
  requested: {asked}
  other_funding: {asked}
beneficiaries:
  people: {10 + n % 20}
  women_percent: {20 + n % 60}
  publics: [demandeurs-emploi]
timeline: {{start: 2024-09-01, end: 2025-06-30}}
submitted: 2024-02-{1 + n % 28:02d}
contact:
  name: Personne Contact
  email: contact-{n}@example.org
"""


def review(index: int, reviewer: str) -> str:
    lines = [f"reviewer: {reviewer}", f"round: {ROUND}", "evaluations:"]
    for n in range(1, DOSSIERS + 1):
        quality = (n * 7 + index * 3) % 6
        impact = (n * 11 + index) % 6
        lines.append(
            f"  {ident(n)}:\n    grades:\n      qualite: {quality}\n      impact: {impact}"
        )
    return "\n".join(lines) + "\n"


def generate(root: Path) -> Path:
    folder = root / ROUND
    (folder / "reviews").mkdir(parents=True)
    (root / "call.yaml").write_text(CALL, encoding="utf-8")
    for n in range(1, DOSSIERS + 1):
        (folder / f"{ident(n)}.yaml").write_text(dossier(n), encoding="utf-8")
    for index, reviewer in enumerate(REVIEWERS):
        (folder / "reviews" / f"{reviewer}.yaml").write_text(review(index, reviewer), "utf-8")
    return root


def test_a_round_of_5000_dossiers_through_its_whole_lifecycle(tmp_path: Path) -> None:
    started = time.perf_counter()
    call = generate(tmp_path / "call")
    generated = time.perf_counter()
    record = call / ROUND / "results.yaml"
    checked = "checked 1 call file, 1 round, 5000 dossiers, 3 reviews: 0 errors, 0 warnings\n"

    scored = run_gen("score", "--round", ROUND, "--call", call, script=True)
    assert scored.code == 0, scored.err
    assert scored.out.endswith(f"\nwrote {call}/{ROUND}/results.yaml\n")
    size = record.stat().st_size
    assert size > 1_000_000, size
    data = yaml.load(record.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    assert data["totals"]["dossiers"] == DOSSIERS
    assert len(data["decisions"]) == DOSSIERS
    too_much = DOSSIERS // 5
    assert data["totals"]["eligible"] == DOSSIERS - too_much
    assert data["totals"]["statuses"]["ineligible"] == too_much
    assert data["totals"]["requested"] == (
        f"{sum(requested(n) for n in range(1, DOSSIERS + 1))}.00"
    )
    laureates = sorted(i for i, d in data["decisions"].items() if d["status"] == "laureat")
    assert data["totals"]["statuses"]["laureat"] == len(laureates) > 0
    granted = sum(int(data["decisions"][i]["granted"].removesuffix(".00")) for i in laureates)
    assert data["envelope"]["granted"] == f"{granted}.00"
    assert granted <= ENVELOPE
    assert all(data["decisions"][i]["reviews"] == 3 for i in laureates)
    ranks = [d["rank"] for d in data["decisions"].values() if isinstance(d["rank"], int)]
    assert sorted(ranks) == list(range(1, len(ranks) + 1))

    assert run_gen("score", "--check", "--call", call) == Result(
        0, "every decision record matches its inputs\n", ""
    )
    closed = run_gen("close", ROUND, "--by", "Claire", "--call", call,
                     SOURCE_DATE_EPOCH="1717000000")  # fmt: skip
    assert closed == Result(
        0, f"closed round {ROUND}: its decisions are final; commit {record}\n", ""
    )
    assert run_gen("validate", "--call", call, script=True) == Result(0, checked, "")

    out = tmp_path / "site"
    published = run_gen("publish", "--call", call, "--out", out, SOURCE_DATE_EPOCH="1717000000")
    assert published.code == 0, published.err
    assert published.out.startswith(f"published {len(laureates)} laureate(s) of 1 round(s), ")
    pages = sorted(p.stem for p in (out / "projects").glob("*.html"))
    assert pages == laureates
    finished = time.perf_counter()
    print(
        f"\n5,000 dossiers: generated in {generated - started:.1f} s, "
        f"gen ran in {finished - generated:.1f} s (5 commands); record {size:,} bytes, "
        f"{len(laureates)} laureates"
    )
    # A guard against quadratic work, not a benchmark: each command reads 5,000 dossier files
    # and (but score) a 3.4 MB record; that takes 10 to 15 s a command on a slow runner.
    assert finished - started < 180

"""How long gen score takes on a large call, against the floor of merely parsing its YAML.

Generates, in a temporary folder, a call of 10,000 dossiers (4 rounds of 2,500 by default)
with 10 reviewer files per round; each dossier is graded by 3 reviewers, so the call holds
30,000 gradings. Then measures, best of 3 (time.perf_counter):

  (b) the floor: yaml.load with yaml.CSafeLoader of every file of the call folder;
  (a) pure scoring and selection (scoring.evaluate_round + selection.select) on models
      already in memory, for the round that (c) scores and for every round;
  (c) the full ``gen score --round R --dry-run`` in a subprocess (load, validate, score);

and prints each time and its ratio to the floor. ``--scaling`` also times select() alone on
one round of growing size, to show how it grows with the number of dossiers.

    python benchmarks/bench_score.py [--dossiers 10000] [--rounds 4] [--repeat 3] [--scaling]
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from gen_cli.identifiers import complete_siren, complete_siret
from gen_cli.loading import load_call_folder
from gen_cli.models import Call, Dossier, Review
from gen_cli.rules import validate_folder
from gen_cli.scoring import evaluate_round
from gen_cli.selection import select

THEMES = ("recrutement", "ingenierie-pedagogique", "accompagnement", "insertion")
CRITERIA = ("pertinence", "innovation", "impact", "faisabilite", "partenariats")
REGIONS = ("bretagne", "grand-est", "ile-de-france", "occitanie", "normandie", "corse")
PUBLICS = ("femmes", "demandeurs-emploi", "residents-qpv", "refugies", "seniors")
GRADERS = 3  # gradings per dossier
SUMMARY = (
    "Un projet de formation aux métiers du numérique pour des publics éloignés de l'emploi : "
    "parcours par projets, accompagnement individualisé, stages en entreprise et suivi "
    "pendant six mois après la formation. "
)


def _call_yaml(rounds: list[str], envelope: int, reviewers: int, decided: bool = False) -> str:
    criteria = "".join(
        f"      - id: {c}\n"
        f"        label: {{fr: {c}, en: {c}}}\n"
        f"        weight: {w}\n"
        f"        source: reviews\n"
        f"        scale: {{min: 0, max: 5}}\n"
        + ("        minimum: 2\n" if c == "pertinence" else "")
        for c, w in zip(CRITERIA, (4, 3, 4, 3, 2), strict=True)
    )
    grid = (
        "    criteria:\n" + criteria + "      - id: mixite\n"
        "        label: {fr: mixité, en: gender balance}\n"
        "        weight: 4\n"
        "        source: indicator\n"
        "        indicator: {field: beneficiaries.women_percent, low: 20, high: 70}\n"
    )
    lines = [
        "name: {fr: Appel de charge, en: Load test call}",
        "funder: {name: Fonds de test, siret: '13002188400015'}",
        f"budget: {envelope * len(rounds)}",
        "themes:",
        *(f"  - {{id: {t}, label: {{fr: {t}, en: {t}}}}}" for t in THEMES),
        "rounds:",
    ]
    for index, round_id in enumerate(rounds):
        month = 1 + 3 * (index % 4)
        year = 2020 + index // 4
        closes = f"{year}-{month + 2:02d}-28"
        lines += [
            f"  - id: {round_id}",
            f"    opens: {year}-{month:02d}-01",
            f"    closes: {closes}",
            *(
                ["    submissions: closed", f"    decision_date: {year}-{month + 2:02d}-28"]
                if decided
                else []
            ),
            "    envelope:",
            f"      amount: {envelope}",
            "      themes:",
            "        insertion: {min_share: 20}",
            f"        recrutement: {{max: {envelope // 3}}}",
        ]
    lines += [
        "eligibility:",
        "  - {id: porteur, rule: lead-kind, allowed: [organisme-formation, "
        "partenaire-organisme-formation], message: Porteur}",
        "  - {id: montant, rule: requested-amount, min: 10000, max: 40000, message: Montant}",
        "  - {id: cofinancement, rule: cost-share, max_percent: 80, message: Part}",
        "  - {id: calendrier, rule: submission-window, message: Dates}",
        "  - {id: expertise, rule: min-reviews, min: 2, message: Avis}",
        "grids:",
        *(f"  {t}:\n{grid}" for t in THEMES),
        "scoring: {aggregation: mean, threshold: 10, spread_limit: 1.5, "
        "tie_break: ['criterion:impact', requested, submitted, id]}",
        "selection: {when_too_large: skip, waiting_list: 20}",
        "reviewers:",
        *(f"  - {{id: reviewer-{r:02d}, name: Reviewer {r}}}" for r in range(reviewers)),
    ]
    return "\n".join(lines) + "\n"


def _dossier_yaml(ident: str, round_id: str, opens: str, rng: random.Random, siret: str) -> str:
    requested = rng.randrange(8_000, 44_000, 500)
    other = rng.randrange(5_000, 30_000, 500)
    themes = rng.sample(THEMES, rng.randint(1, 2))
    year, month, _ = opens.split("-")
    return (
        f"id: {ident}\n"
        f"round: {round_id}\n"
        f"title: Projet {ident}\n"
        f"summary: |\n  {SUMMARY}\n  {SUMMARY}\n"
        f"themes: [{', '.join(themes)}]\n"
        "porteur:\n"
        f"  name: Organisme {ident}\n"
        f"  siret: '{siret}'\n"
        "  kind: organisme-formation\n"
        f"  region: {rng.choice(REGIONS)}\n"
        "  gen_labelled: true\n"
        "partners:\n"
        f"  - {{name: Partenaire {ident}, role: Stages en entreprise, country: BE}}\n"
        "budget:\n"
        f"  total_cost: {requested + other}\n"
        f"  requested: {requested}\n"
        f"  other_funding: {other}\n"
        "beneficiaries:\n"
        f"  people: {rng.randint(10, 300)}\n"
        f"  women_percent: {rng.randint(10, 90)}\n"
        f"  publics: [{', '.join(rng.sample(PUBLICS, 2))}]\n"
        "timeline: {start: 2024-01-15, end: 2024-12-15}\n"
        f"submitted: {year}-{month}-{rng.randint(1, 28):02d}\n"
        "contact:\n"
        "  name: Camille Martin\n"
        f"  email: contact@{ident}.example.org\n"
    )


def generate(
    root: Path,
    dossiers: int,
    rounds: int,
    reviewers: int,
    seed: int = 12,
    *,
    decided: bool = False,
) -> list[str]:
    """Write the call folder; return its round ids.

    With ``decided``, every round no longer takes dossiers (``submissions: closed``) and has
    a ``decision_date``: ``gen score --all`` scores it, then ``gen publish --draft`` publishes
    it. By default the rounds are open: only ``gen score --dry-run`` scores them.
    """
    rng = random.Random(seed)
    round_ids = [f"{2020 + i // 4}Q{1 + i % 4}" for i in range(rounds)]
    per_round = dossiers // rounds
    envelope = per_round * 10_000  # about 40 % of the amounts requested
    (root / "call.yaml").write_text(
        _call_yaml(round_ids, envelope, reviewers, decided), encoding="utf-8"
    )
    sirets = [complete_siret(complete_siren(f"{80000000 + i}") + "0001") for i in range(97)]
    for index, round_id in enumerate(round_ids):
        folder = root / round_id
        (folder / "reviews").mkdir(parents=True)
        opens = f"{2020 + index // 4}-{1 + 3 * (index % 4):02d}-01"
        evaluations: list[list[str]] = [[] for _ in range(reviewers)]
        for n in range(per_round):
            ident = f"projet-{index}-{n:05d}"
            text = _dossier_yaml(ident, round_id, opens, rng, sirets[n % len(sirets)])
            (folder / f"{ident}.yaml").write_text(text, encoding="utf-8")
            quality = rng.uniform(1, 5)  # how good the project is, as reviewers see it
            for k in range(GRADERS):
                grades = ", ".join(
                    f"{c}: {min(5, max(0, round(quality + rng.uniform(-1.2, 1.2))))}"
                    for c in CRITERIA
                )
                evaluations[(n + k) % reviewers].append(f"  {ident}:\n    grades: {{{grades}}}\n")
        for r, entries in enumerate(evaluations):
            header = f"reviewer: reviewer-{r:02d}\nround: {round_id}\nevaluations:\n"
            (folder / "reviews" / f"reviewer-{r:02d}.yaml").write_text(
                header + "".join(entries), encoding="utf-8"
            )
    return round_ids


def best(repeat: int, action: Callable[[], Any]) -> float:
    """The best wall time of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def load_all_yaml(paths: list[Path]) -> None:
    """The floor: parse every file with libyaml, and nothing else."""
    for path in paths:
        yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def score_in_memory(
    call: Call, dossiers: list[Dossier], reviews: list[Review], rounds: list[str]
) -> None:
    """Evaluate and select the given rounds on models already loaded."""
    for round_id in rounds:
        round_ = call.round(round_id)
        assert round_ is not None
        evaluated, _, _ = evaluate_round(call, round_, dossiers, reviews)
        select(call, round_, evaluated)


def _time_one_round(root: Path, repeat: int) -> tuple[float, float]:
    folder = load_call_folder(root)
    call = folder.call
    assert call is not None
    round_ = call.rounds[0]
    dossiers = [d for _, d in folder.dossiers]
    reviews = [r for _, r in folder.reviews]
    evaluated, _, _ = evaluate_round(call, round_, dossiers, reviews)
    t_eval = best(repeat, lambda: evaluate_round(call, round_, dossiers, reviews))
    t_select = best(repeat, lambda: select(call, round_, evaluated))
    return t_eval, t_select


def scaling(repeat: int, sizes: list[int]) -> list[tuple[int, float, float]]:
    """Time evaluate_round and select alone on one round of each size."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="gen-bench-scaling-") as tmp:
        for size in sizes:
            root = Path(tmp) / f"n{size}"
            root.mkdir()
            generate(root, size, 1, 10)
            rows.append((size, *_time_one_round(root, repeat)))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--reviewers", type=int, default=10, help="review files per round")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="also copy the generated call folder here")
    parser.add_argument(
        "--scaling", action="store_true", help="also time select() on 1,000 to 4,000 dossiers"
    )
    args = parser.parse_args()
    gen = shutil.which("gen")
    if gen is None:
        parser.error("the gen console script is not on PATH: pip install -e . first")

    with tempfile.TemporaryDirectory(prefix="gen-bench-") as tmp:
        root = Path(tmp) / "call"
        root.mkdir()
        start = time.perf_counter()
        round_ids = generate(root, args.dossiers, args.rounds, args.reviewers)
        generated = time.perf_counter() - start
        if args.keep:
            shutil.copytree(root, args.keep, dirs_exist_ok=True)
        paths = sorted(root.rglob("*.yaml"))
        reviews_files = [p for p in paths if p.parent.name == "reviews"]
        gradings = sum(
            len(yaml.load(p.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)["evaluations"])
            for p in reviews_files
        )
        size = sum(p.stat().st_size for p in paths)
        print(
            f"call: {args.dossiers:,} dossiers in {len(round_ids)} round(s), "
            f"{len(reviews_files)} review files, {gradings:,} gradings; "
            f"{len(paths):,} files, {size / 1e6:.1f} MB (generated in {generated:.1f} s)"
        )
        target = round_ids[0]

        folder = load_call_folder(root)
        report = validate_folder(folder)
        errors = [d for d in report.diagnostics if d.severity == "error"]
        if errors:
            print(f"the generated call does not validate: {errors[0]}", file=sys.stderr)
            return 1
        call = folder.call
        assert call is not None
        dossiers = [d for _, d in folder.dossiers]
        reviews = [r for _, r in folder.reviews]
        in_target = sum(1 for d in dossiers if d.round == target)

        floor = best(args.repeat, lambda: load_all_yaml(paths))
        pure_one = best(args.repeat, lambda: score_in_memory(call, dossiers, reviews, [target]))
        pure_all = best(args.repeat, lambda: score_in_memory(call, dossiers, reviews, round_ids))
        load = best(args.repeat, lambda: validate_folder(load_call_folder(root)))
        command = [gen, "score", "--round", target, "--dry-run", "--call", str(root)]

        def run_gen() -> None:
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"gen score failed ({done.returncode}): {done.stderr}")

        full = best(args.repeat, run_gen)

    rows = [
        ("(b) floor: yaml.load, CSafeLoader, every file", floor),
        (f"(a) evaluate_round + select, round {target} ({in_target:,} dossiers)", pure_one),
        (f"(a) evaluate_round + select, all {len(round_ids)} rounds", pure_all),
        ("    load_call_folder + validate_folder, in process", load),
        (f"(c) gen score --round {target} --dry-run, subprocess", full),
    ]
    print(f"best of {args.repeat}:")
    for label, seconds in rows:
        print(f"  {label:<62} {seconds:8.3f} s  {seconds / floor:6.2f} x floor")

    if args.scaling:
        print(f"evaluate_round and select alone, on one round (best of {args.repeat}):")
        previous = None
        for n, t_eval, t_select in scaling(args.repeat, [1_000, 2_000, 4_000]):
            growth = f"  x{t_select / previous:.1f} for x2 dossiers" if previous else ""
            print(
                f"  {n:>6,} dossiers: evaluate_round {t_eval:7.3f} s, select {t_select:7.3f} s{growth}"
            )
            previous = t_select
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

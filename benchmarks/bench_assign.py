"""How long gen assign takes on a large round, and what the solver achieves.

Generates, in a temporary folder, one round of 10,000 dossiers (``--dossiers``) and a
committee of 300 reviewers (``--reviewers``), each with one or two of the four themes,
a max_load of 120 and, for one reviewer in ten, an affiliation with one of the lead
organisations (so a hundred dossiers each are out of their reach). No review is in yet:
gen assign computes the whole assignment. Then measures, once each:

  the floor: yaml.load with yaml.CSafeLoader of every file of the call folder;
  pairing + solve: the constraints and the minimum-cost flow, on models in memory;
  gen assign ROUND: the command in a subprocess (load, validate, solve, write), with its
      CPU time and peak memory;
  gen assign again after one reviewer withdraws (available: false): the moves;
  HiGHS (through SciPy, when installed) on the same problem as a linear program with the
      24 cheapest candidates a dossier, for comparison.

    python benchmarks/bench_assign.py [--dossiers 10000] [--reviewers 300]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import yaml
from bench_score import THEMES, generate

from gen_cli.assignment import Pairing, pairing, solve
from gen_cli.loading import load_call_folder

LOAD = 120


def committee(reviewers: int, sirens: list[str], seed: int = 7) -> str:
    """The reviewers' part of call.yaml, and the assignment settings."""
    rng = random.Random(seed)
    lines = ["reviewers:"]
    for r in range(reviewers):
        themes = ", ".join(rng.sample(THEMES, rng.randint(1, 2)))
        lines.append(f"  - id: reviewer-{r:03d}")
        lines.append(f"    name: Reviewer {r}")
        if r % 10 == 0:
            siren = sirens[r // 10 % len(sirens)]
            lines.append(f"    affiliations: [{{name: Organisme lié {r}, siren: '{siren}'}}]")
        lines.append(f"    themes: [{themes}]")
        lines.append(f"    max_load: {LOAD}")
    lines.append("assignment: {reviews_per_dossier: 3, expertise: preferred}")
    return "\n".join(lines) + "\n"


def make_call(root: Path, dossiers: int, reviewers: int) -> str:
    """Write the call folder; return the round's id."""
    (round_id,) = generate(root, dossiers, 1, 1)
    shutil.rmtree(root / round_id / "reviews")
    (root / round_id / "reviews").mkdir()
    text = (root / "call.yaml").read_text(encoding="utf-8")
    text = text[: text.index("reviewers:\n")]
    sirens = sorted(
        {
            yaml.safe_load(p.read_text(encoding="utf-8"))["porteur"]["siret"][:9]
            for p in list((root / round_id).glob("*.yaml"))[:500]
        }
    )
    (root / "call.yaml").write_text(text + committee(reviewers, sirens), encoding="utf-8")
    return round_id


def run(command: list[str]) -> tuple[float, float, int, str]:
    """Wall time, CPU time (children), peak memory (MB) and output of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, after.ru_maxrss // 1024, done.stdout


def highs(task: Pairing, candidates: int = 24) -> tuple[float, str] | None:
    """Solve the same problem with HiGHS (SciPy), pruned to the cheapest candidates."""
    try:
        import numpy as np
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import csc_array
    except ImportError:
        return None
    start = time.perf_counter()
    dossiers = sorted(task.themes)
    reviewers = sorted(task.capacity)
    column = {r: i for i, r in enumerate(reviewers)}
    rows, cols, costs = [], [], []
    for d_index, dossier in enumerate(dossiers):
        # Experts first, spread over the committee by a hash (not all the same 24).
        ranked = sorted(
            task.allowed[dossier],
            key=lambda r: (
                (dossier, r) not in task.expert,
                hashlib.sha256(f"{dossier}:{r}".encode()).digest(),
            ),
        )
        for reviewer in ranked[:candidates]:
            j = len(costs)
            costs.append(0.0 if (dossier, reviewer) in task.expert else 1.0)
            rows += [d_index, len(dossiers) + column[reviewer]]
            cols += [j, j]
    n = len(costs)
    matrix = csc_array(([1.0] * len(rows), (rows, cols)), shape=(len(dossiers) + len(reviewers), n))
    k = task.per_dossier
    lower = np.concatenate([np.full(len(dossiers), k), np.zeros(len(reviewers))])
    upper = np.concatenate(
        [np.full(len(dossiers), k), np.array([task.capacity[r] for r in reviewers], float)]
    )
    result = milp(
        np.array(costs),
        integrality=np.zeros(n),
        bounds=Bounds(np.zeros(n), np.ones(n)),
        constraints=LinearConstraint(matrix, lower, upper),
    )
    return time.perf_counter() - start, str(result.message)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=10_000)
    parser.add_argument("--reviewers", type=int, default=300)
    parser.add_argument("--no-highs", action="store_true", help="skip the HiGHS comparison")
    args = parser.parse_args()
    gen = shutil.which("gen")
    if gen is None:
        parser.error("the gen console script is not on PATH: pip install -e . first")
    with tempfile.TemporaryDirectory(prefix="gen-bench-assign-") as tmp:
        root = Path(tmp) / "call"
        root.mkdir()
        round_id = make_call(root, args.dossiers, args.reviewers)
        paths = sorted(root.rglob("*.yaml"))
        start = time.perf_counter()
        for path in paths:
            yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        floor = time.perf_counter() - start

        folder = load_call_folder(root)
        assert folder.call is not None
        dossiers = [d for _, d in folder.dossiers]
        start = time.perf_counter()
        task = pairing(folder.call, round_id, dossiers, [], None)
        built = time.perf_counter() - start
        start = time.perf_counter()
        done = solve(task)
        solved = time.perf_counter() - start
        pairs = sum(len(a) for a in task.allowed.values())
        loads = sorted(done.loads.values())

        wall, cpu, peak, _ = run([gen, "assign", round_id, "--call", str(root), "--no-git"])
        text = (root / "call.yaml").read_text(encoding="utf-8")
        text = text.replace(
            "  - id: reviewer-001\n    name: Reviewer 1\n",
            "  - id: reviewer-001\n    name: Reviewer 1\n    available: false\n",
        )
        (root / "call.yaml").write_text(text, encoding="utf-8")
        again = run([gen, "assign", round_id, "--call", str(root), "--no-git"])
        compared = None if args.no_highs else highs(task)

    print(
        f"round {round_id}: {args.dossiers:,} dossiers, {args.reviewers} reviewers "
        f"(max_load {LOAD}), 3 reviews a dossier; {pairs:,} pairs without a conflict"
    )
    print(f"  floor: yaml.load of {len(paths):,} files          {floor:8.2f} s")
    print(f"  pairing (constraints), in memory            {built:8.2f} s")
    print(
        f"  solve (OR-Tools min-cost flow, exact: gap 0) {solved:8.2f} s   "
        f"{done.experts:,} of {done.pairs:,} reviews by a reviewer of the theme; "
        f"loads {loads[0]}–{loads[-1]}"
    )
    print(
        f"  gen assign, subprocess                      {wall:8.2f} s   CPU {cpu:.2f} s, "
        f"peak {peak} MB, {wall / floor:.1f} x floor"
    )
    moved = [line for line in again[3].splitlines() if line.startswith("  ")]
    print(
        f"  gen assign after reviewer-001 withdraws     {again[0]:8.2f} s   "
        f"{len(moved)} dossier(s) moved"
    )
    if compared is not None:
        print(f"  HiGHS (SciPy) LP, 24 candidates a dossier   {compared[0]:8.2f} s   {compared[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

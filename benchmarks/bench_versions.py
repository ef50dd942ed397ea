"""Two versions of gen side by side on one call: the installed one, and one of git's (#13).

A machine's speed drifts by more than a small change gains (at 100,000 dossiers, `gen
validate` after one dossier changed went from 12.6 to 9.3 s in ten minutes, the same code),
so a change is measured against the version before it in turn, on the same call, in one
run. Each version has its own cache folder: gen keys nothing alike across versions of its
code, and a gen that closes the cache drops what its run did not use, so two versions
sharing one cache would each find it empty.

Generates the seeded call ``bench_scale.py`` makes (``bench_score.generate``), fills each
version's cache with one ``gen validate``, then runs ``--pairs`` pairs, the two versions in
turn (which goes first alternates, so that a drift falls alike on both), after a first
pair left out (the page cache); before each run of ``changed``, one dossier's summary is
given three letters it never had, so that no kept check matches (``amount``: its requested
amount is given new last digits, a fact eligibility reads; ``added``: a copy of it under an
id never used is added to its round, and the copy added before goes, so that the folder
differs from the one last checked whole by one dossier more; ``publish``: the call is
scored once, then each run publishes its drafts with an empty cache). Prints each version's
runs, the least and the median wall time, CPU time and peak memory.

    python benchmarks/bench_versions.py 1772faf [--dossiers 100000] [--pairs 8] [--what changed]

The other version is ``git archive REV gen_cli templates`` put first on ``PYTHONPATH``;
the installed gen must be importable as ``gen_cli`` (``pip install -e .``).
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from bench_scale import SEED, Run, add_copy, children_env, run_once
from bench_score import generate

#: What each run does, after what change: gen validate's arguments.
WHAT = {
    "changed": ["validate"],  # one dossier's wording changed since the last run
    "amount": ["validate"],  # one dossier's requested amount changed: a fact
    "added": ["validate"],  # one dossier more than at the last whole check
    "warm": ["validate"],  # nothing changed
    "cold": ["validate", "--no-cache"],
    # the call scored once first; each run with a cache folder of its own, empty, and an
    # output folder of its own (CI on a fresh machine publishing a call's drafts)
    "publish": ["publish", "--draft", "--no-date"],
}
ROUNDS, REVIEW_FILES = 4, 100
LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: Longer than any run: one that takes this long is stopped, and said to have failed.
TIMEOUT = 3600.0


def snapshot(revision: str, into: Path) -> None:
    """gen_cli and templates as git holds them at ``revision``, written under ``into``."""
    repository = Path(__file__).resolve().parent.parent
    archive = subprocess.run(
        ["git", "-C", str(repository), "archive", revision, "gen_cli", "templates"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later
            tar.extractall(into, filter="data")
        else:
            tar.extractall(into)  # git's own archive of this repository


def change(dossier: Path, generation: int) -> None:
    """Give the dossier's summary three letters of ``generation``'s own (same size)."""
    data = bytearray(dossier.read_bytes())
    at = data.index(b"summary: |\n  ") + len(b"summary: |\n  ")
    data[at : at + 3] = bytes(LETTERS[generation // 26**n % 26] for n in range(3))
    dossier.write_bytes(bytes(data))


def change_amount(dossier: Path, generation: int) -> None:
    """Give the dossier's requested amount last digits of ``generation``'s own (same size)."""
    data = bytearray(dossier.read_bytes())
    at = data.index(b"\n  requested: ") + len(b"\n  requested: ")
    end = data.index(b"\n", at)
    # never a multiple of 10, as every amount generated is: never the dossier as it was
    data[end - 3 : end] = b"%02d%d" % (generation // 9 % 100, generation % 9 + 1)
    dossier.write_bytes(bytes(data))


def run(command: list[str], env: dict[str, str], log: Path) -> Run:
    """One run of ``command`` (its output in ``log``.stdout and .stderr); it must succeed."""
    done = run_once(command, cwd=log.parent, env=env, out=log, timeout=TIMEOUT)
    if done.status != 0:
        raise SystemExit(f"{' '.join(command)} failed (exit status {done.status}): see {log}")
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="the other version: a git revision of this repository")
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=8, help="pairs of runs counted")
    parser.add_argument("--what", choices=sorted(WHAT), default="changed")
    args = parser.parse_args()
    gen = shutil.which("gen", path=str(Path(sys.executable).parent)) or shutil.which("gen")
    if gen is None:
        raise SystemExit("gen is not installed: pip install -e '.[bench]'")
    base = {k: v for k, v in children_env().items() if k != "PYTHONPATH"}  # gen_cli as chosen
    with tempfile.TemporaryDirectory(prefix="gen-versions-") as tmp:
        work = Path(tmp)
        snapshot(args.revision, work / "other")
        root = work / "call"
        root.mkdir()
        # bench_scale's call and the dossier it changes: decided rounds, so that no dossier
        # has a warning (one with a problem is checked whole: gen_cli/delta.py)
        reviewers = max(10, REVIEW_FILES * args.dossiers // 100_000)
        generate(root, args.dossiers, ROUNDS, reviewers, SEED, decided=True)
        dossier = sorted(root.glob("*/*.yaml"))[0]
        versions = {"installed": dict(base), args.revision: dict(base)}
        versions[args.revision]["PYTHONPATH"] = str(work / "other")
        for number, env in enumerate(versions.values()):
            env["GEN_CACHE_DIR"] = str(work / f"cache-{number}")
            run([gen, "validate", "--call", str(root)], env, work / f"fill-{number}")
        if args.what == "publish":
            run([gen, "score", "--all", "--call", str(root)], versions["installed"], work / "score")
        command = [gen, *WHAT[args.what], "--call", str(root)]
        times: dict[str, list[Run]] = {name: [] for name in versions}
        generation = int(time.time())
        copy: Path | None = None
        for pair in range(args.pairs + 1):
            order = list(versions) if pair % 2 == 0 else list(reversed(versions))
            for name in order:
                generation += 1
                if args.what == "changed":
                    change(dossier, generation)
                elif args.what == "amount":
                    change_amount(dossier, generation)
                elif args.what == "added":
                    copy = add_copy(dossier, generation, copy)
                if args.what == "publish":
                    fresh = work / f"fresh-{generation}"
                    env = {**versions[name], "GEN_CACHE_DIR": str(fresh / "cache")}
                    measured = run([*command, "--out", str(fresh / "out")], env, fresh)
                    shutil.rmtree(fresh)
                else:
                    measured = run(command, versions[name], work / f"run-{generation}")
                if pair > 0:  # the first pair warms the page cache
                    times[name].append(measured)
        print(f"gen {args.what}, {args.dossiers:,} dossiers, {args.pairs} pairs; wall s per run")
        print("| version | runs | least | median | CPU median | peak MB |")
        print("|---|---|---:|---:|---:|---:|")
        for name, measured in times.items():
            walls = [one.wall for one in measured]
            print(
                f"| {name} | {' '.join(f'{w:.2f}' for w in walls)} | {min(walls):.2f} | "
                f"{statistics.median(walls):.2f} | "
                f"{statistics.median(one.cpu for one in measured):.2f} | "
                f"{max(one.peak_mb for one in measured):.0f} |"
            )


if __name__ == "__main__":
    main()

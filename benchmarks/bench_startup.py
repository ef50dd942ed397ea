"""How long gen takes to start, beside ``python -c "import yaml, pydantic"`` (#13).

Generates a tiny call (4 dossiers, one round) in a temporary folder, then runs, one after
another and in turn so that the machine's load falls alike on each (``--runs`` times):

  floor         python -c "import yaml, pydantic"
  gen --help
  warm          gen validate, the cache holding this very check (the usual second run)
  cold          gen validate --no-cache (every file parsed and every model built)

and prints, for each, the least and the median wall time, and the median's excess over
the floor's median. Python's bytecode is written (PYTHONDONTWRITEBYTECODE is left out of
the children's environment), as an installed gen has it.

    python benchmarks/bench_startup.py [--runs 30]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_scale import children_env
from bench_score import generate


def measure(
    commands: dict[str, list[str]], runs: int, env: dict[str, str]
) -> dict[str, list[float]]:
    """Each command's wall times, the commands run in turn ``runs`` times."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True
            )
            times[name].append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="runs of each command")
    args = parser.parse_args()
    gen = shutil.which("gen", path=str(Path(sys.executable).parent)) or shutil.which("gen")
    if gen is None:
        raise SystemExit("gen is not installed: pip install -e '.[bench]'")
    env = children_env()
    with tempfile.TemporaryDirectory() as work:
        root = Path(work) / "call"
        root.mkdir()
        generate(root, dossiers=4, rounds=1, reviewers=3)
        env["GEN_CACHE_DIR"] = str(Path(work) / "cache")
        call = ["--call", str(root)]
        commands = {
            "floor: python -c 'import yaml, pydantic'": [
                sys.executable,
                "-c",
                "import yaml, pydantic",
            ],
            "gen --help": [gen, "--help"],
            "gen validate, tiny call, warm": [gen, "validate", *call],
            "gen validate --no-cache, tiny call": [gen, "validate", "--no-cache", *call],
        }
        measure(commands, 1, env)  # bytecode written, the cache filled
        times = measure(commands, args.runs, env)
    floor = statistics.median(next(iter(times.values())))
    print(f"{args.runs} runs each, in turn\n")
    print("| command | least s | median s | median − floor's s |")
    print("|---|---:|---:|---:|")
    for name, found in times.items():
        median = statistics.median(found)
        print(f"| {name} | {min(found):.3f} | {median:.3f} | {median - floor:+.3f} |")


if __name__ == "__main__":
    main()

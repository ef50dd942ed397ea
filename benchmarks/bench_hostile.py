"""How long `gen validate` takes on hostile files, against the floor of parsing them.

Writes, in a temporary copy of the tests' minimal call, one dossier made hostile in each
of these ways, and times `gen validate` on it in a subprocess (best of 3), with its peak
memory, beside the floor: `yaml.load(text, Loader=yaml.CSafeLoader)` of the same file.

  20,000 unknown fields   capped to 20 lines; every problem counted
  100,000 unknown fields  1 MB: refused before it is composed (E009, more than 50,000 values)
  100,000 list items      the same, in block list form
  100,000 flow items      the same, in [a, b, ...] form

    python benchmarks/bench_hostile.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

MINIMAL = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "minimal"
DOSSIER = Path("2022Q2") / "passerelle-bordeaux.yaml"

CASES = {
    "20,000 unknown fields": lambda text: text + "".join(f"x{i}: 1\n" for i in range(20_000)),
    "100,000 unknown fields": lambda text: text + "".join(f"x{i}: 1\n" for i in range(100_000)),
    "100,000 list items": lambda text: text.replace(
        "themes:\n", "themes:\n" + "".join(f"- t{i}\n" for i in range(100_000)), 1
    ),
    "100,000 flow items": lambda text: (
        text + "publics: [" + ", ".join(f"x{i}" for i in range(100_000)) + "]\n"
    ),
}


def best(run: object, repeat: int = 3) -> float:
    """Best wall time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


#: Runs gen, then writes its own peak memory (VmHWM: not inherited through fork or exec).
MEASURED = """
import atexit, sys
from pathlib import Path
from gen_cli.cli import main
target = Path(sys.argv[1])
status = lambda: Path("/proc/self/status").read_text().splitlines()
atexit.register(lambda: target.write_text(
    next(line.split()[1] for line in status() if line.startswith("VmHWM:"))))
sys.argv = ["gen", *sys.argv[2:]]
raise SystemExit(main())
"""


def validate(call: Path) -> tuple[float, int]:
    """Best wall time of `gen validate` and the peak memory of its process, in MB."""
    peak = call.parent / "peak"

    def once() -> None:
        subprocess.run(
            [sys.executable, "-c", MEASURED, str(peak), "validate", "--call", str(call)],
            capture_output=True,
        )

    return best(once), int(peak.read_text()) // 1024


def main() -> None:
    """Print one line a case: size, floor, gen validate, ratio, peak memory."""
    print(f"{'case':24} {'bytes':>10} {'floor s':>8} {'gen s':>7} {'ratio':>6} {'peak MB':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in CASES.items():
            call = Path(tmp) / "call"
            shutil.rmtree(call, ignore_errors=True)
            shutil.copytree(MINIMAL, call)
            path = call / DOSSIER
            path.write_text(make(path.read_text(encoding="utf-8")), encoding="utf-8")
            text = path.read_text(encoding="utf-8")
            floor = best(lambda text=text: yaml.load(text, Loader=yaml.CSafeLoader))
            seconds, peak = validate(call)
            print(
                f"{name:24} {len(text.encode()):>10,} {floor:>8.2f} {seconds:>7.2f} "
                f"{seconds / floor:>6.1f} {peak:>8}"
            )


if __name__ == "__main__":
    main()

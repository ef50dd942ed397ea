"""gen at scale (#13): validate, score and publish 1,000 to 100,000 dossiers, beside the floor.

For each size N (1,000, 10,000 and 100,000 dossiers by default; ``--sizes``), writes a
seeded call folder with ``bench_score.generate`` (imported, not copied): 4 rounds,
every dossier (~1 KB) graded by 3 reviewers, the gradings spread over
``max(10, dossiers a round * 3 // 750)`` review files a round, so that none holds more than
about 750 evaluations. Every round has ``submissions: closed`` and a ``decision_date``, so
that ``gen score --all`` scores it and ``gen publish --draft`` publishes it.

Then runs each of these in its own subprocess, side by side, best of ``--repeat`` (by default
3 up to 10,000 dossiers, 1 above), and reads the child's wall time, CPU time (user + sys)
and peak memory (``ru_maxrss``) from ``os.wait4``:

  floor                   Python pinned to one core: the bytes of every .yaml file read,
                          ``yaml.load(text, Loader=yaml.CSafeLoader)``, and the data
                          validated with gen's pydantic models (call.yaml: ``Call``,
                          ``<round>/<id>.yaml``: ``Dossier``, ``<round>/reviews/*.yaml``:
                          ``Review``); start-up and imports included, as in gen's times;
  gen validate            cold (``--no-cache`` when ``gen validate --help`` lists it); when
                          gen has a cache: the run that fills it, a warm run (nothing
                          changed), a run after one byte of one dossier's summary changed,
                          and one with a copy of that dossier added under a new id, the
                          copy of the run before removed (else "n/a");
  gen score --all         ``--dry-run`` (when it has one), cold, and warm: after gen
                          validate filled the cache (else "n/a");
  gen score --all         writing the records, in a copy of the folder (one run): what
                          ``gen publish`` needs;
  gen publish             ``--draft --no-date`` on that copy (only the publish is timed);
  check-jsonschema        with gen's exported dossier schema (``gen schema dossier``), on
                          the dossier files;
  yamllint                ``-d "{extends: default}" -f parsable`` on the same files.

Peers are given the files' relative paths in as few runs as the system's argument limit
allows (like xargs): their time is the sum of those runs, their peak the largest. The table
(Markdown, on stdout) gives each measurement's wall and CPU time, peak memory and ratios to
the floor (a row whose runs differ by more than half says so: a cache miss, or other work
on the machine); a second table gives per-file figures. gen's cache (``GEN_CACHE_DIR``) is in the
temporary folder, never the user's: a cold run gets ``--no-cache`` when its command lists
it, and in any case an empty cache folder of its own; a warm run the one that gen validate
filled. Files are in the operating system's page cache (they were just written). The
header names gen's commit (and whether gen_cli/ has uncommitted changes) and the load
average: other work on the machine shows in wall times.

    pip install -e '.[test,bench]'
    python benchmarks/bench_scale.py --sizes 1000 10000 [--repeat 3] [--json out.json]
    python benchmarks/bench_scale.py          # 1,000, 10,000 and 100,000: 1.5 h or more

On a 2-core machine, --sizes 1000 10000 takes about 20 minutes, most of it check-jsonschema
and yamllint; 100,000 dossiers, run once, should take an hour or more (each command ten times
its time at 10,000, if gen stays linear). Temporary folders go to $TMPDIR (100,000 dossiers
take ~0.6 GB with their copy, the publication and the logs); ``--keep DIR`` keeps each size's ``call/``, ``scored/`` and ``public/`` in
``DIR/<N>/``. It is a benchmark, not a test: nothing in ``tests/`` depends on its timings.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS))

from bench_score import generate  # noqa: E402  (the benchmarks folder is not a package)

ROUNDS = 4
SEED = 12
EVALUATIONS_PER_FILE = 750  # at most about this many evaluations in a review file
GRADERS = 3  # reviews a dossier (bench_score.GRADERS)
DEFAULT_SIZES = (1_000, 10_000, 100_000)

#: The floor, run as ``python -c FLOOR_CHILD ROOT``: it imports only yaml and gen's models.
FLOOR_CHILD = r"""
import json, os, sys, time
from pathlib import Path

if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
import yaml
from gen_cli.models import Call, Dossier, Review

root = Path(sys.argv[1])
models = {"call": Call, "dossier": Dossier, "review": Review}
not_dossiers = {"results.yaml", "jury.yaml", "assignments.yaml"}
totals = {kind: {"files": 0, "read": 0.0, "parse": 0.0, "validate": 0.0} for kind in models}
clock = time.perf_counter
for path in sorted(root.rglob("*.yaml")):
    parts = path.relative_to(root).parts
    if any(part.startswith(".") for part in parts):
        continue
    if parts == ("call.yaml",):
        kind = "call"
    elif len(parts) == 3 and parts[1] == "reviews":
        kind = "review"
    elif len(parts) == 2 and parts[1] not in not_dossiers:
        kind = "dossier"
    else:
        continue
    t0 = clock()
    text = path.read_bytes().decode("utf-8")
    t1 = clock()
    data = yaml.load(text, Loader=yaml.CSafeLoader)
    t2 = clock()
    models[kind].model_validate(data)
    t3 = clock()
    total = totals[kind]
    total["files"] += 1
    total["read"] += t1 - t0
    total["parse"] += t2 - t1
    total["validate"] += t3 - t2
print(json.dumps(totals))
"""


@dataclass
class Run:
    """One run of a command (or of a batch of commands): what the children cost."""

    wall: float  # s
    cpu: float  # s, user + sys
    peak_mb: float  # the largest child's ru_maxrss
    status: int  # exit status (the worst of a batch); negative: killed by that signal
    runs: int = 1  # processes in a batch
    timed_out: bool = False


@dataclass
class Row:
    """One line of the table: a measurement, its command and its runs (best first)."""

    name: str
    command: list[str]
    runs: list[Run] = field(default_factory=list)
    note: str = ""  # why it was not measured ("n/a"), or what failed

    @property
    def best(self) -> Run | None:
        """The run with the least wall time."""
        return min(self.runs, key=lambda run: run.wall) if self.runs else None


def _peak_mb(maxrss: int) -> float:
    # ru_maxrss is in kilobytes on Linux, in bytes on macOS.
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def run_once(
    command: Sequence[str], *, cwd: Path, env: dict[str, str], out: Path, timeout: float
) -> Run:
    """Run ``command`` in a subprocess; its stdout and stderr go to ``out``.stdout/.stderr."""
    killed = threading.Event()
    with (
        out.with_suffix(".stdout").open("wb") as stdout,
        out.with_suffix(".stderr").open("wb") as stderr,
    ):
        start = time.perf_counter()
        child = subprocess.Popen(
            list(command), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr
        )

        def kill() -> None:
            killed.set()
            child.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, wait_status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    status = os.waitstatus_to_exitcode(wait_status)
    child.returncode = status  # reaped by wait4: Popen must not wait for it again
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_mb=_peak_mb(usage.ru_maxrss),
        status=status,
        timed_out=killed.is_set(),
    )


def run_batch(
    commands: Sequence[Sequence[str]], *, cwd: Path, env: dict[str, str], out: Path, timeout: float
) -> Run:
    """Run commands one after another (a peer over chunks of files): times add, peaks max."""
    runs = [
        run_once(command, cwd=cwd, env=env, out=out.with_name(f"{out.name}-{i}"), timeout=timeout)
        for i, command in enumerate(commands)
    ]
    worst = max(runs, key=lambda run: abs(run.status))
    return Run(
        wall=sum(run.wall for run in runs),
        cpu=sum(run.cpu for run in runs),
        peak_mb=max(run.peak_mb for run in runs),
        status=worst.status,
        runs=len(runs),
        timed_out=any(run.timed_out for run in runs),
    )


def chunks(prefix: Sequence[str], paths: Sequence[str], env: dict[str, str]) -> list[list[str]]:
    """``prefix + paths`` split, like xargs, into command lines the system accepts."""
    try:
        limit = os.sysconf("SC_ARG_MAX")
    except (ValueError, OSError):
        limit = 128 * 1024
    environment = sum(len(k) + len(v) + 2 for k, v in env.items())
    budget = max(16 * 1024, min(limit - environment - 64 * 1024, 1024 * 1024))
    base = sum(len(part) + 1 for part in prefix)
    commands: list[list[str]] = []
    current: list[str] = []
    size = base
    for path in paths:
        if current and size + len(path) + 1 > budget:
            commands.append([*prefix, *current])
            current, size = [], base
        current.append(path)
        size += len(path) + 1
    if current:
        commands.append([*prefix, *current])
    return commands


def find_tool(name: str) -> str | None:
    """A console script on PATH, or beside this Python (a venv that is not activated)."""
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def help_text(command: Sequence[str], env: dict[str, str]) -> str:
    """What ``command --help`` prints (empty if it fails)."""
    done = subprocess.run(
        [*command, "--help"], capture_output=True, text=True, env=env, check=False, timeout=120
    )
    return done.stdout if done.returncode == 0 else ""


def version(command: Sequence[str]) -> str:
    """The first line ``command --version`` prints."""
    try:
        done = subprocess.run(
            [*command, "--version"], capture_output=True, text=True, check=False, timeout=120
        )
    except OSError:
        return "?"
    return (
        (done.stdout or done.stderr).strip().splitlines()[0] if done.stdout or done.stderr else "?"
    )


def progress(message: str) -> None:
    """Say what the benchmark is doing, on stderr."""
    stamp = datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", file=sys.stderr, flush=True)


def tail(path: Path, lines: int = 8) -> str:
    """The last lines of a file."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def change_one_byte(path: Path, generation: int) -> None:
    """Rewrite ``path`` with the first letter of its summary changed (same size)."""
    data = bytearray(path.read_bytes())
    at = data.index(b"summary: |\n  ") + len(b"summary: |\n  ")
    data[at] = b"VWXYZ"[generation % 5]
    path.write_bytes(bytes(data))


def add_copy(dossier: Path, generation: int, before: Path | None) -> Path:
    """A copy of ``dossier`` under an id of ``generation``'s own; the copy ``before`` goes.

    The folder then holds one dossier more than it did: a pull request bringing a dossier.
    """
    if before is not None:
        before.unlink()
    ident = f"{dossier.stem}-{generation}"
    copy = dossier.with_name(f"{ident}.yaml")
    copy.write_bytes(dossier.read_bytes().replace(dossier.stem.encode(), ident.encode()))
    return copy


@dataclass
class Tools:
    """The commands the benchmark runs, and what this gen offers."""

    gen: list[str]
    check_jsonschema: list[str] | None
    yamllint: list[str] | None
    no_cache: set[str]  # the gen commands whose --help lists --no-cache
    dry_run: bool  # gen score --all --dry-run exists
    versions: dict[str, str]

    @property
    def cache(self) -> bool:
        """Whether gen has a cache (gen validate --no-cache exists)."""
        return "validate" in self.no_cache


def gen_source() -> str:
    """Which gen_cli this is: its git commit, and whether the package has uncommitted changes."""
    import gen_cli  # imported already, by bench_score

    folder = Path(gen_cli.__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return f"gen_cli from {folder}"
    dirty = f" + uncommitted changes to {len(changed)} file(s) of gen_cli/" if changed else ""
    return f"gen_cli at commit {head}{dirty}"


def children_env() -> dict[str, str]:
    """The environment of every command measured: this one, bytecode written.

    With PYTHONDONTWRITEBYTECODE set (some machines and containers set it), an editable
    install of gen compiles its sources again in every run, which an installed gen never
    does: ``pip install`` writes its bytecode. The peers, installed, have theirs already.
    """
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def compile_gen() -> None:
    """Write gen_cli's bytecode now, as ``pip install`` does, not in the first run measured."""
    import gen_cli

    compileall.compile_dir(Path(gen_cli.__file__).resolve().parent, quiet=1)


def discover(env: dict[str, str]) -> Tools:
    """Find gen and the peers, and which of gen's options exist (read from --help)."""
    found = find_tool("gen")
    gen = [found] if found else [sys.executable, "-m", "gen_cli"]
    helps = {name: help_text([*gen, name], env) for name in ("validate", "score", "publish")}
    if not all(helps.values()):
        raise SystemExit(f"cannot run {' '.join(gen)} validate --help: is gen installed?")
    checker = find_tool("check-jsonschema")
    linter = find_tool("yamllint")
    versions = {
        "gen": f"{version(gen)} ({gen_source()})",
        "python": f"Python {platform.python_version()}",
    }
    if checker:
        versions["check-jsonschema"] = version([checker])
    if linter:
        versions["yamllint"] = version([linter])
    return Tools(
        gen=gen,
        check_jsonschema=[checker] if checker else None,
        yamllint=[linter] if linter else None,
        no_cache={name for name, text in helps.items() if "--no-cache" in text},
        dry_run="--dry-run" in helps["score"] and "--all" in helps["score"],
        versions=versions,
    )


@dataclass
class Size:
    """Everything measured for one N."""

    dossiers: int
    review_files: int
    files: int
    megabytes: float
    generated_s: float
    load_average: float
    gen_source: str  # gen's commit when this size was measured: gen may change meanwhile
    rows: list[Row] = field(default_factory=list)
    floor_phases: dict[str, dict[str, float]] = field(default_factory=dict)

    def row(self, name: str) -> Row | None:
        """The row of that name."""
        return next((row for row in self.rows if row.name == name), None)


FLOOR = "floor: read + CSafeLoader + pydantic, 1 core"
VALIDATE_COLD = "gen validate, cold"
CHECK_JSONSCHEMA = "check-jsonschema, dossier files"


class Bench:
    """Measures one size: holds the folders, the environments and the options.

    gen's cache, when it has one, lives in ``cache/`` (shared by the runs that are meant to
    find it filled: validate warm, score warm); a cold run gets ``--no-cache`` when its
    command has that option, and in any case an empty cache folder of its own, removed after.
    """

    def __init__(self, tools: Tools, work: Path, repeat: int, timeout: float) -> None:
        self.tools = tools
        self.work = work
        self.repeat = repeat
        self.timeout = timeout
        self.root = work / "call"
        self.logs = work / "logs"
        self.logs.mkdir()
        self.shared = self._env(work / "cache")
        #: Where each run of a row left its output (logs/NNN.stdout and .stderr), by row name.
        self.outputs: dict[str, list[Path]] = {}
        self.fresh = 0

    @staticmethod
    def _env(cache: Path) -> dict[str, str]:
        # gen's cache folder is $GEN_CACHE_DIR, else $XDG_CACHE_HOME/gen: both set here.
        return {**children_env(), "GEN_CACHE_DIR": str(cache), "XDG_CACHE_HOME": str(cache)}

    def _log(self, row: Row) -> Path:
        logs = self.outputs.setdefault(row.name, [])
        logs.append(self.logs / f"{sum(map(len, self.outputs.values())):03d}")
        return logs[-1]

    def measure(
        self,
        row: Row,
        action: Callable[[Path], Run],
        *,
        repeat: int | None = None,
        before: Callable[[int], None] | None = None,
        ok: Callable[[Run], bool] = lambda run: run.status == 0,
    ) -> Row:
        """Run ``action`` ``repeat`` times into ``row``; stop at the first failure."""
        times = self.repeat if repeat is None else repeat
        for attempt in range(times):
            if before is not None:
                before(attempt)
            progress(f"  {row.name} ({attempt + 1}/{times})")
            log = self._log(row)
            done = action(log)
            row.runs.append(done)
            progress(f"    {done.wall:.2f} s wall, {done.cpu:.2f} s CPU, {done.peak_mb:.0f} MB")
            if done.timed_out or not ok(done):
                why = "timed out" if done.timed_out else f"exit status {done.status}"
                row.note = f"failed: {why}"
                progress(
                    f"    FAILED ({why}): {_short(row.command)}\n"
                    f"{tail(log.with_suffix('.stderr')) or tail(log.with_suffix('.stdout'))}"
                )
                break
        return row

    def command(self, row: Row, *, cold: bool, **keywords: Any) -> Row:
        """Measure ``row.command``: cold (an empty cache folder each run) or with the shared one."""

        def action(log: Path) -> Run:
            if not cold:
                return run_once(
                    row.command, cwd=self.work, env=self.shared, out=log, timeout=self.timeout
                )
            self.fresh += 1
            cache = self.work / f"empty-cache-{self.fresh}"
            try:
                return run_once(
                    row.command, cwd=self.work, env=self._env(cache), out=log, timeout=self.timeout
                )
            finally:
                shutil.rmtree(cache, ignore_errors=True)

        return self.measure(row, action, **keywords)

    def gen(self, command: str, *arguments: str, cold: bool) -> list[str]:
        """A gen command line; cold: with --no-cache when the command has it."""
        extra = ["--no-cache"] if cold and command in self.tools.no_cache else []
        return [*self.tools.gen, command, *arguments, *extra]

    def floor(self, size: Size) -> None:
        """The floor, and the in-process time of each of its phases per kind of file."""
        row = Row(FLOOR, [sys.executable, "-c", "FLOOR_CHILD", str(self.root)])
        command = [sys.executable, "-c", FLOOR_CHILD, str(self.root)]

        def action(log: Path) -> Run:
            return run_once(command, cwd=self.work, env=self.shared, out=log, timeout=self.timeout)

        size.rows.append(self.measure(row, action))
        best = row.best
        if best is not None and not row.note:
            log = self.outputs[row.name][row.runs.index(best)]
            size.floor_phases = json.loads(log.with_suffix(".stdout").read_text())

    def validate(self, size: Size) -> None:
        """gen validate: cold; then, with a cache, filling it, warm, one file changed or added."""
        call = ("--call", str(self.root))
        cold = Row(VALIDATE_COLD, self.gen("validate", *call, cold=True))
        size.rows.append(self.command(cold, cold=True))
        if cold.best is None or cold.note:
            log = self.outputs[cold.name][-1]
            raise SystemExit(
                f"the generated call of {size.dossiers:,} dossiers does not validate "
                f"({cold.note}): {_short(cold.command)}\n"
                f"{tail(log.with_suffix('.stdout'))}\n{tail(log.with_suffix('.stderr'))}"
            )
        names = (
            "gen validate, cache empty (fills it; 1 run)",
            "gen validate, warm (nothing changed)",
            "gen validate, one dossier changed",
            "gen validate, one dossier added",
        )
        warm = self.gen("validate", *call, cold=False)
        if not self.tools.cache:
            note = "n/a: gen validate has no --no-cache option (no cache)"
            size.rows += [Row(name, warm, note=note) for name in names]
            return
        shutil.rmtree(self.work / "cache", ignore_errors=True)
        size.rows.append(self.command(Row(names[0], warm), cold=False, repeat=1))
        size.rows.append(self.command(Row(names[1], warm), cold=False))
        dossier = sorted(self.root.glob("*/*.yaml"))[0]
        original = dossier.read_bytes()
        try:
            size.rows.append(
                self.command(
                    Row(names[2], warm), cold=False, before=lambda n: change_one_byte(dossier, n)
                )
            )
        finally:
            dossier.write_bytes(original)
        added: list[Path] = []

        def add(generation: int) -> None:
            added[:] = [add_copy(dossier, generation, added[0] if added else None)]

        try:
            size.rows.append(self.command(Row(names[3], warm), cold=False, before=add))
        finally:
            for copy in added:
                copy.unlink()

    def score(self, size: Size) -> None:
        """gen score --all --dry-run, cold; and warm, on the cache gen validate filled."""
        call = ("--call", str(self.root))
        if not self.tools.dry_run:
            return  # measured in the copy, by score_and_publish
        cold = Row(
            "gen score --all --dry-run, cold",
            self.gen("score", "--all", *call, "--dry-run", cold=True),
        )
        size.rows.append(self.command(cold, cold=True))
        warm = Row(
            "gen score --all --dry-run, warm (cache of gen validate)",
            self.gen("score", "--all", *call, "--dry-run", cold=False),
        )
        if self.tools.cache:
            size.rows.append(self.command(warm, cold=False))
        else:
            warm.note = "n/a: no cache"
            size.rows.append(warm)

    def score_and_publish(self, size: Size) -> None:
        """gen score --all writing the records in a copy of the call, then gen publish --draft."""
        scored = self.work / "scored"
        progress(f"  copying the call folder to {scored}")
        shutil.copytree(self.root, scored)
        call = ("--call", str(scored))
        write = Row(
            "gen score --all, writing the records (copy; cold; 1 run)",
            self.gen("score", "--all", *call, cold=True),
        )
        size.rows.append(self.command(write, cold=True, repeat=1))
        out = ("--out", str(self.work / "public"))
        publish = Row(
            "gen publish --draft --no-date, cold",
            self.gen("publish", *call, *out, "--no-date", "--draft", cold=True),
        )
        if write.note:
            publish.note = "n/a: gen score --all failed"
            size.rows.append(publish)
            return
        size.rows.append(self.command(publish, cold=True))
        # as a call is run: gen validate in CI keeps its check, then the secretariat scores
        # and publishes with that cache (a record written again is the same bytes)
        env = self._env(self.work / "cache-scored")
        check = Row(
            "gen validate of the copy, filling its cache (1 run)",
            self.gen("validate", *call, cold=False),
        )
        rewrite = Row(
            "gen score --all, writing the records (copy; warm: cache of gen validate)",
            self.gen("score", "--all", *call, cold=False),
        )
        again = Row(
            "gen publish --draft --no-date, warm (cache of gen validate)",
            self.gen("publish", *call, *out, "--no-date", "--draft", cold=False),
        )
        for row, times in ((check, 1), (rewrite, None), (again, None)):

            def action(log: Path, row: Row = row) -> Run:
                return run_once(row.command, cwd=self.work, env=env, out=log, timeout=self.timeout)

            size.rows.append(self.measure(row, action, repeat=times))

    def peers(self, size: Size, dossier_files: list[str]) -> None:
        """check-jsonschema with gen's dossier schema, and yamllint, on the dossier files."""
        schema = self.work / "dossier.schema.json"
        with schema.open("wb") as handle:
            subprocess.run(
                [*self.tools.gen, "schema", "dossier"], stdout=handle, check=True, env=self.shared
            )
        for name, tool, options, ok, missing in (
            (
                CHECK_JSONSCHEMA,
                self.tools.check_jsonschema,
                ["--schemafile", str(schema)],
                lambda run: run.status == 0,
                "n/a: not installed (pip install check-jsonschema)",
            ),
            (
                "yamllint, dossier files",
                self.tools.yamllint,
                ["-f", "parsable", "-d", "{extends: default}"],
                lambda run: run.status in (0, 1),  # 1: it found problems (long lines)
                "n/a: not installed (pip install -e '.[bench]')",
            ),
        ):
            if tool is None:
                size.rows.append(Row(name, [], note=missing))
                continue
            commands = chunks([*tool, *options], dossier_files, self.shared)
            shown = [*tool, *options, f"<{len(dossier_files):,} dossier files>"]
            row = Row(name, shown)

            def action(log: Path, commands: list[list[str]] = commands) -> Run:
                return run_batch(
                    commands, cwd=self.root, env=self.shared, out=log, timeout=self.timeout
                )

            size.rows.append(self.measure(row, action, ok=ok))


def measure_size(
    tools: Tools, dossiers: int, repeat: int, timeout: float, keep: Path | None, peers: bool = True
) -> Size:
    """Generate the call of ``dossiers`` dossiers and measure everything on it."""
    per_round = dossiers // ROUNDS
    reviewers = max(10, per_round * GRADERS // EVALUATIONS_PER_FILE)
    with tempfile.TemporaryDirectory(prefix=f"gen-scale-{dossiers}-") as tmp:
        work = Path(tmp)
        bench = Bench(tools, work, repeat, timeout)
        bench.root.mkdir()
        progress(
            f"{dossiers:,} dossiers: generating ({ROUNDS} rounds, {reviewers} review files a "
            f"round) in {bench.root}"
        )
        start = time.perf_counter()
        generate(bench.root, dossiers, ROUNDS, reviewers, SEED, decided=True)
        generated = time.perf_counter() - start
        paths = sorted(bench.root.rglob("*.yaml"))
        dossier_files = [
            p.relative_to(bench.root).as_posix() for p in paths if p.parent.parent == bench.root
        ]
        size = Size(
            dossiers=len(dossier_files),
            review_files=sum(1 for p in paths if p.parent.name == "reviews"),
            files=len(paths),
            megabytes=sum(p.stat().st_size for p in paths) / 1e6,
            generated_s=generated,
            load_average=os.getloadavg()[0] if hasattr(os, "getloadavg") else -1.0,
            gen_source=gen_source(),
        )
        del paths
        progress(
            f"  {size.files:,} files, {size.megabytes:.1f} MB, generated in {generated:.1f} s; "
            f"best of {repeat}; load average {size.load_average:.2f}"
        )
        bench.floor(size)
        bench.validate(size)
        bench.score(size)
        if peers:
            bench.peers(size, dossier_files)
        else:
            for name in (CHECK_JSONSCHEMA, "yamllint, dossier files"):
                size.rows.append(Row(name, [], note="n/a: not run (--without-peers)"))
        bench.score_and_publish(size)
        if keep is not None:
            target = keep / str(dossiers)
            target.mkdir(parents=True, exist_ok=True)
            for name in ("call", "scored", "public"):
                if (work / name).exists():
                    shutil.move(work / name, target / name)
            progress(f"  kept in {target}")
    return size


def _seconds(value: float) -> str:
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.1f}"


def table(sizes: list[Size]) -> str:
    """The Markdown table of every measurement."""
    lines = [
        "| N | measurement | wall s | CPU s | peak MB | wall/floor | CPU/floor |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        floor_row = size.row(FLOOR)
        floor = floor_row.best if floor_row else None
        for row in size.rows:
            best = row.best
            if best is None or (row.note and row.note.startswith("n/a")):
                lines.append(f"| {size.dossiers:,} | {row.name} | n/a | n/a | n/a | n/a | n/a |")
                continue
            name = row.name + (f" ({row.note})" if row.note else "")
            if best.runs > 1:
                name += f" [{best.runs} runs]"
            walls = [run.wall for run in row.runs]
            if max(walls) > 1.5 * min(walls):  # a cache miss, or other work on the machine
                name += f" (runs vary: {', '.join(f'{w:.1f}' for w in walls)} s)"
            ratios = (
                (f"{best.wall / floor.wall:.2f}", f"{best.cpu / floor.cpu:.2f}")
                if floor and floor.wall and floor.cpu
                else ("?", "?")
            )
            lines.append(
                f"| {size.dossiers:,} | {name} | {_seconds(best.wall)} | {_seconds(best.cpu)} | "
                f"{best.peak_mb:.0f} | {ratios[0]} | {ratios[1]} |"
            )
    return "\n".join(lines)


def per_file_table(sizes: list[Size]) -> str:
    """Milliseconds per dossier file (wall time of the whole run / dossiers)."""
    lines = [
        "| N | floor ms/dossier | gen validate cold ms/dossier | check-jsonschema ms/dossier "
        "| check-jsonschema / gen | floor in process: read, libyaml, pydantic ms/dossier "
        "| floor in process: libyaml + pydantic ms/review file |",
        "|---:|---:|---:|---:|---:|---|---:|",
    ]
    for size in sizes:
        figures = []
        for name in (FLOOR, VALIDATE_COLD, CHECK_JSONSCHEMA):
            row = size.row(name)
            best = row.best if row is not None and not row.note else None
            figures.append(best.wall * 1000 / size.dossiers if best else None)
        shown = [f"{f:.3f}" if f is not None else "n/a" for f in figures]
        ratio = f"{figures[2] / figures[1]:.2f}" if figures[1] and figures[2] else "n/a"
        dossier = size.floor_phases.get("dossier")
        review = size.floor_phases.get("review")
        phases = (
            ", ".join(
                f"{dossier[p] * 1000 / dossier['files']:.3f}" for p in ("read", "parse", "validate")
            )
            if dossier and dossier["files"]
            else "n/a"
        )
        per_review = (
            f"{(review['parse'] + review['validate']) * 1000 / review['files']:.1f}"
            if review and review["files"]
            else "n/a"
        )
        lines.append(
            f"| {size.dossiers:,} | {shown[0]} | {shown[1]} | {shown[2]} | {ratio} | {phases} "
            f"| {per_review} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="numbers of dossiers"
    )
    parser.add_argument(
        "--repeat", type=int, help="best of this many runs (default: 3 up to 10,000, else 1)"
    )
    parser.add_argument("--keep", type=Path, help="keep each size's folders in DIR/<N>/")
    parser.add_argument("--json", type=Path, help="also write the raw numbers to this file")
    parser.add_argument(
        "--timeout", type=float, default=3600, help="seconds a command may take (default 3600)"
    )
    parser.add_argument(
        "--without-peers",
        action="store_true",
        help="leave out check-jsonschema and yamllint (they take most of the time at 100,000)",
    )
    args = parser.parse_args()
    if any(n < ROUNDS for n in args.sizes):
        parser.error(f"each size must be at least {ROUNDS} dossiers")

    compile_gen()
    tools = discover(children_env())
    if tools.yamllint is None:
        progress("yamllint is not installed (pip install -e '.[bench]'): its row will say n/a")
    if tools.check_jsonschema is None:
        progress("check-jsonschema is not installed (pip install check-jsonschema): n/a")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    started = datetime.now()
    sizes: list[Size] = []
    for n in args.sizes:
        repeat = args.repeat or (3 if n <= 10_000 else 1)
        sizes.append(
            measure_size(tools, n, repeat, args.timeout, args.keep, peers=not args.without_peers)
        )

    print(
        f"gen at scale, {started:%Y-%m-%d}: {cores} core(s), {platform.platform()}; "
        + "; ".join(tools.versions.values())
    )
    print()
    for size in sizes:
        print(
            f"- N = {size.dossiers:,}: {ROUNDS} rounds, {size.review_files} review files "
            f"({size.dossiers * GRADERS // size.review_files} evaluations each), {size.files:,} "
            f"files, {size.megabytes:.1f} MB; best of {len(size.rows[0].runs)}; load average "
            f"{size.load_average:.2f} before the runs; {size.gen_source}"
        )
    print()
    print(table(sizes))
    print()
    print(per_file_table(sizes))
    print()
    print(
        "Commands (DIR: the call folder; SCORED: a copy of it scored by gen score --all; "
        "FLOOR_CHILD: the floor's code, in bench_scale.py):"
    )
    for row in sizes[0].rows if sizes else []:
        if row.command:
            print(f"- {row.name}: `{_short(row.command)}`")
    if args.json:
        payload = {
            "date": started.isoformat(timespec="seconds"),
            "cores": cores,
            "platform": platform.platform(),
            "versions": tools.versions,
            "gen_options": {"no_cache": tools.cache, "score_dry_run": tools.dry_run},
            "sizes": [asdict(size) for size in sizes],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        progress(f"raw numbers in {args.json}")
    failed = [(s.dossiers, r) for s in sizes for r in s.rows if r.note.startswith("failed")]
    for n, row in failed:
        print(f"\nN = {n:,}: {row.name} {row.note}: {_short(row.command)}", file=sys.stderr)
    return 1 if failed else 0


def _short(command: Sequence[str]) -> str:
    """A command as the user would type it: temporary folders named by their role."""
    words = []
    for word in command:
        if word.startswith(tempfile.gettempdir()) or "/gen-scale-" in word:
            word = {"call": "DIR", "scored": "SCORED", "public": "OUT"}.get(
                Path(word).name, Path(word).name
            )
        elif word == sys.executable:
            word = "python"
        elif os.sep in word and Path(word).name in ("gen", "check-jsonschema", "yamllint"):
            word = Path(word).name
        words.append(word)
    return shlex.join(words)


if __name__ == "__main__":
    raise SystemExit(main())

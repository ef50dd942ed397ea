"""Per-file results kept between runs, and files read on several cores (#13).

A kept result is found by a hash of the file's exact bytes, its path and gen's code, so it
can only ever be the result of those bytes; a cache file gen cannot trust is set aside.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import MINIMAL, child_env, line_of, replace, run_gen
from hypothesis import given
from hypothesis import strategies as st

from gen_cli.batch import Batch, forked_map
from gen_cli.loading import dossier_from_bytes, load_call_folder
from gen_cli.resultcache import CACHE_FILE, FORMAT, ResultCache, code_fingerprint, result_key
from gen_cli.rules import validate_folder

EXAMPLE = Path(__file__).resolve().parent.parent / "dossiers"
BORDEAUX = "2022Q2/passerelle-bordeaux.yaml"
SAINT_PIERRE = "2022Q2/accompagnement-renforce-saint-pierre.yaml"


def validated(call: Path, cache_dir: Path, jobs: int = 1) -> tuple[list[str], Batch]:
    """The diagnostics of gen validate's rules on ``call``, read through a cache in ``cache_dir``."""
    batch = Batch(jobs=jobs, cache=ResultCache(cache_dir))
    report = validate_folder(load_call_folder(call, batch=batch))
    assert batch.cache is not None
    batch.cache.close()
    return [str(d) for d in report.diagnostics], batch


@pytest.fixture
def call(tmp_path: Path) -> Path:
    return Path(shutil.copytree(MINIMAL, tmp_path / "call"))


def test_a_second_run_reads_every_result_from_the_cache(call: Path, tmp_path: Path) -> None:
    first, cold = validated(call, tmp_path / "cache")
    again, warm = validated(call, tmp_path / "cache")
    assert again == first
    assert (cold.hits, warm.misses) == (0, 0)
    assert warm.hits == cold.misses > 0


def test_a_changed_byte_with_the_same_size_and_time_is_caught(call: Path, tmp_path: Path) -> None:
    dossier = call / BORDEAUX
    before = os.stat(dossier)
    assert validated(call, tmp_path / "cache")[0] == []
    replace(dossier, "  requested: 75000", "  requested: 95000")  # same length
    os.utime(dossier, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(dossier)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    found, batch = validated(call, tmp_path / "cache")
    assert batch.misses == 1  # its warning is located as it is read: no table to make
    assert found == [
        f"{dossier}:{line_of(dossier, 'budget:')}:1: warning W001 budget.requested 95000 + "
        "budget.other_funding 25000 = 120000, not budget.total_cost 100000"
    ]


@pytest.mark.parametrize("damage", ["truncated", "garbage", "other format"])
def test_a_damaged_cache_is_set_aside_and_rebuilt(call: Path, tmp_path: Path, damage: str) -> None:
    cache = tmp_path / "cache"
    expected, _ = validated(call, cache)
    path = cache / CACHE_FILE
    if damage == "truncated":
        with path.open("r+b") as file:
            file.truncate(path.stat().st_size // 3)
    elif damage == "garbage":
        path.write_bytes(b"SQLite format 3\0" + os.urandom(4096))
    else:
        with sqlite3.connect(path) as db:
            db.execute("UPDATE meta SET value = '0' WHERE name = 'format'")
    assert validated(call, cache)[0] == expected
    found, batch = validated(call, cache)
    assert found == expected and batch.misses == 0  # rebuilt, then used
    with sqlite3.connect(path) as db:  # rebuilt as gen makes its cache files
        assert db.execute("PRAGMA page_size").fetchone() == (16_384,)
        assert db.execute("SELECT value FROM meta").fetchall() == [("3",)]


@pytest.mark.parametrize(
    "statements",
    [
        # format 1 had 4 KiB pages, which SQLite keeps for the life of the file
        ["INSERT INTO meta VALUES ('format', '1')"],
        # format 2 kept results in key order (WITHOUT ROWID): now in the order stored
        [
            "INSERT INTO meta VALUES ('format', '2')",
            "CREATE TABLE results (key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID",
        ],
    ],
    ids=["first", "second"],
)
def test_a_cache_file_of_an_older_format_is_set_aside(
    call: Path, tmp_path: Path, statements: list[str]
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    with sqlite3.connect(cache / CACHE_FILE) as db:
        db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)")
        for statement in statements:
            db.execute(statement)
    (cache / CACHE_FILE).chmod(0o600)
    expected, cold = validated(call, cache)
    found, warm = validated(call, cache)
    assert found == expected and cold.hits == 0 and warm.misses == 0
    with sqlite3.connect(cache / CACHE_FILE) as db:
        assert db.execute("PRAGMA page_size").fetchone() == (16_384,)
        (table,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'results'").fetchone()
        assert "WITHOUT ROWID" not in table
        rows = db.execute("SELECT min(rowid), max(rowid), count(*) FROM results").fetchone()
        assert rows[0] == 1 and rows[1] == rows[2] >= warm.hits  # each stored once, in turn


def test_a_cache_others_may_write_is_never_read(call: Path, tmp_path: Path) -> None:
    """A poisoned entry saying a dossier with an error is valid: ignored, not unpickled."""
    cache = tmp_path / "cache"
    validated(call, cache)
    dossier = call / BORDEAUX
    replace(dossier, "  requested: 75000", "  requested: -75000")
    raw = dossier.read_bytes()
    honest = dossier_from_bytes(raw, str(dossier))
    assert honest[2], "the changed dossier has a problem"
    poisoned = pickle.dumps((honest[0], honest[1], []))
    with sqlite3.connect(cache / CACHE_FILE) as db:
        db.execute(
            "INSERT OR REPLACE INTO results VALUES (?, ?)",
            (result_key("dossier", str(dossier), raw), poisoned),
        )
    (cache / CACHE_FILE).chmod(0o666)  # anyone may write it now
    found, batch = validated(call, cache)
    assert batch.hits == 0
    assert any(d.startswith(f"{dossier}:") and "E306" in d for d in found), found
    (cache / CACHE_FILE).chmod(0o600)
    cache.chmod(0o777)  # the folder, too
    _, batch = validated(call, cache)
    assert batch.hits == 0
    cache.chmod(0o700)


def test_a_cache_file_another_gen_just_made_is_made_private_and_used(
    call: Path, tmp_path: Path
) -> None:
    """Between making the file under the user's umask and closing it to others, another gen
    may find it readable by others: it is the user's own, so it is closed, not given up."""
    cache = tmp_path / "cache"
    expected, cold = validated(call, cache)
    for name in os.listdir(cache):
        assert os.stat(cache / name).st_mode & 0o777 == 0o600, name
    (cache / CACHE_FILE).chmod(0o644)
    found, batch = validated(call, cache)
    assert found == expected and (batch.misses, batch.hits) == (0, cold.misses)
    assert (cache / CACHE_FILE).stat().st_mode & 0o777 == 0o600


def _opened(folder: Path, start: Any, answers: Any) -> None:
    start.wait()
    answers.put(ResultCache(folder)._connection() is not None)


def test_gens_making_the_cache_file_at_the_same_instant_all_use_it(tmp_path: Path) -> None:
    """Each asks SQLite for WAL mode; it refuses all but one at once: the others ask again."""
    context = multiprocessing.get_context("fork")
    for attempt in range(10):
        folder = tmp_path / f"cache{attempt}"
        start, answers = context.Barrier(6), context.Queue()
        gens = [context.Process(target=_opened, args=(folder, start, answers)) for _ in range(6)]
        for gen in gens:
            gen.start()
        for gen in gens:
            gen.join(timeout=60)
        assert [answers.get(timeout=5) for _ in gens] == [True] * 6, f"attempt {attempt}"


def test_four_processes_filling_the_cache_at_once_leave_it_whole_and_valid(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    calls = [Path(shutil.copytree(EXAMPLE, tmp_path / f"call{n}")) for n in range(4)]
    env = child_env(GEN_CACHE_DIR=str(cache))
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "gen_cli", "validate", "--call", str(c), "--jobs", "1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for c in calls
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0] * 4, outputs
    with sqlite3.connect(cache / CACHE_FILE) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    for call in calls:
        _, batch = validated(call, cache)
        assert batch.misses == 0 and batch.hits > 100


def test_no_cache_reads_every_file(tmp_path: Path) -> None:
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    env = {"GEN_CACHE_DIR": str(tmp_path / "cache")}
    assert run_gen("validate", "--call", call, "--no-cache", **env).code == 0
    assert not (tmp_path / "cache" / CACHE_FILE).exists()
    assert run_gen("validate", "--call", call, **env).code == 0
    assert (tmp_path / "cache" / CACHE_FILE).exists()


def _many_dossiers(tmp_path: Path, count: int) -> Path:
    """The example call with ``count`` more dossiers in 2022Q2, one in seven with a mistake."""
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    model = (call / SAINT_PIERRE).read_text(encoding="utf-8")
    for n in range(count):
        text = model.replace("accompagnement-renforce-saint-pierre", f"copie-{n:04d}")
        if n % 7 == 0:
            text = text.replace("  requested: 34000", f"  requested: -{n + 1}")
        (call / "2022Q2" / f"copie-{n:04d}.yaml").write_text(text, encoding="utf-8")
    return call


def test_several_processes_give_the_same_bytes_as_one(tmp_path: Path) -> None:
    call = _many_dossiers(tmp_path, 600)
    serial = run_gen("validate", "--call", call, "--no-cache", "--jobs", "1")
    parallel = run_gen("validate", "--call", call, "--no-cache", "--jobs", "2")
    assert serial.code == parallel.code == 1
    assert serial.out.count("E306") == 86  # 0, 7, ..., 595
    assert parallel.out == serial.out and parallel.err == serial.err
    warm = run_gen("validate", "--call", call, "--jobs", "2")
    again = run_gen("validate", "--call", call, "--jobs", "2")
    assert warm.out == again.out == serial.out


def _in_a_terminal(*args: str | Path) -> str:
    """What gen writes to its standard error when that is a terminal (a pseudo-terminal)."""
    import pty
    import select

    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "gen_cli", *map(str, args)],
        stdin=slave,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=child_env(TERM="xterm"),
    )
    os.close(slave)
    written = b""
    while True:
        ready, _, _ = select.select([master], [], [], 1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            written += chunk
        elif process.poll() is not None:
            break
    process.wait(timeout=120)
    os.close(master)
    return written.decode("utf-8", "replace")


def test_a_long_run_shows_its_progress_on_a_terminal_and_nothing_otherwise(
    tmp_path: Path,
) -> None:
    call = _many_dossiers(tmp_path, 2_100)
    shown = _in_a_terminal("validate", "--call", call, "--no-cache")
    assert "reading dossier files" in shown
    assert "2225/2225" in shown  # the example's 125 dossiers and the copies
    piped = run_gen("validate", "--call", call, "--no-cache")
    assert piped.err == ""
    assert "reading" not in piped.out


def test_rounds_computed_apart_show_their_own_progress(tmp_path: Path) -> None:
    """The rounds' files are not counted again; the rounds computed are, one by one."""
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    model = (call / "2022Q1" / "atelier-de-la-donnee-lille.yaml").read_text(encoding="utf-8")
    for n in range(2_100):  # in a round computed: its reading would be told again
        text = model.replace("atelier-de-la-donnee-lille", f"copie-{n:04d}")
        (call / "2022Q1" / f"copie-{n:04d}.yaml").write_text(text, encoding="utf-8")
    rounds = ["--round", "2021Q3", "--round", "2021Q4", "--round", "2022Q1"]
    shown = _in_a_terminal("score", *rounds, "--dry-run", "--call", call)
    assert "reading dossier files" in shown
    assert "computing rounds" in shown and "3/3" in shown
    counts = [(int(done), int(total)) for done, total in re.findall(r"(\d+)/(\d+)", shown)]
    assert counts and all(done <= total for done, total in counts)


def test_records_are_kept_too_and_pruning_keeps_every_kind_a_run_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gen_cli import resultcache
    from gen_cli.rounds import load_checked

    monkeypatch.setattr(resultcache, "SPARE", 0)  # prune whatever this run did not use
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    stale = ResultCache(tmp_path / "cache")
    stale.put_many([(b"k" * 20, pickle.dumps("an old result"))], [])
    stale.close()
    runs = []
    for _ in range(2):
        batch = Batch(cache=ResultCache(tmp_path / "cache"))
        checked = load_checked(call, batch=batch)
        assert batch.cache is not None
        batch.cache.close()
        runs.append((batch.hits, batch.misses, checked.records))
    (cold_hits, cold_misses, cold), (warm_hits, warm_misses, warm) = runs
    assert (cold_hits, warm_misses) == (0, 0)
    assert warm_hits == cold_misses == 125 + 19 + 2  # dossiers, reviews, the two records
    assert warm == cold
    with sqlite3.connect(tmp_path / "cache" / CACHE_FILE) as db:
        # and the checks of the 18 plain review files against the dossiers they name (the
        # sealed one is checked each time: its bytes never reach the cache)
        assert db.execute("SELECT count(*) FROM results").fetchone() == (146 + 18,)


def test_a_cache_planted_in_the_repository_is_never_opened(tmp_path: Path) -> None:
    """A pull request could commit .gen-cache/results.sqlite3: gen refuses a cache there."""
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    planted = call / ".gen-cache"
    done = run_gen("validate", "--call", call, GEN_CACHE_DIR=str(planted))
    assert done.code == 0, done.out
    assert not (planted / CACHE_FILE).exists()
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    beside = tmp_path / ".gen-cache"  # in the repository, beside the call folder
    assert run_gen("validate", "--call", call, GEN_CACHE_DIR=str(beside)).code == 0
    assert not (beside / CACHE_FILE).exists()


def test_a_damaged_entry_is_made_again_and_forgotten(call: Path, tmp_path: Path) -> None:
    expected, _ = validated(call, tmp_path / "cache")
    with sqlite3.connect(tmp_path / "cache" / CACHE_FILE) as db:
        db.execute("UPDATE results SET value = substr(value, 1, 10)")
    found, batch = validated(call, tmp_path / "cache")
    assert found == expected and batch.hits > 0  # each damaged entry made again
    assert validated(call, tmp_path / "cache")[0] == expected


def test_only_gens_own_types_are_rebuilt_from_the_cache() -> None:
    from decimal import Decimal

    from gen_cli import models
    from gen_cli.resultcache import loads

    assert loads(pickle.dumps((None, [], ["E101"]))) == (None, [], ["E101"])
    # allowed names are remembered: one allowed does not let its neighbours in
    assert loads(pickle.dumps((Decimal("1.5"), models.Person))) == (Decimal("1.5"), models.Person)
    for foreign in (os.system, subprocess.Popen, sqlite3.connect, models.starts_a_formula):
        with pytest.raises(pickle.UnpicklingError):
            loads(pickle.dumps(foreign))
        with pytest.raises(pickle.UnpicklingError):
            loads(pickle.dumps(foreign))  # the second time too


def test_without_a_home_folder_gen_reads_every_file(
    call: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gen_cli import resultcache

    for name in ("GEN_CACHE_DIR", "XDG_CACHE_HOME", "HOME"):
        monkeypatch.delenv(name, raising=False)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", no_home)
    assert resultcache.cache_dir() is None
    batch = Batch.default()
    report = validate_folder(load_call_folder(call, batch=batch))
    assert report.ok and batch.hits == 0


def test_processes_forked_from_a_cache_open_their_own_connection(tmp_path: Path) -> None:
    # gen reads a call's rounds on every core, in processes forked from the one that
    # opened the cache: SQLite's locks are the opener's, so each opens its own
    cache = ResultCache(tmp_path / "cache")
    cache.put_many([(b"before", b"the first process")], [b"before"])
    opened = id(cache._connection())

    def fill(index: int) -> tuple[bool, bytes | None]:
        key = f"child {index}".encode()
        cache.put_many([(key, key * 1000)], [key])
        return id(cache._connection()) != opened, cache.get_many([b"before"]).get(b"before")

    assert forked_map(fill, 4, 4) == [(True, b"the first process")] * 4
    assert id(cache._connection()) == opened  # the first process keeps its own
    keys = [f"child {n}".encode() for n in range(4)]
    assert cache.get_many(keys) == {key: key * 1000 for key in keys}
    cache.close()
    with sqlite3.connect(tmp_path / "cache" / CACHE_FILE) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_records_outline_is_kept_apart_and_read_without_its_decisions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """gen validate reads a round's outline (state, grants, closing), not its decisions."""
    from gen_cli import resultcache
    from gen_cli.records import outline_of, read_record, record_from_text, record_text

    path = EXAMPLE / "2022Q1" / "results.yaml"
    text = record_text(path)
    whole = read_record(path)
    assert whole is not None and len(whole["decisions"]) == 30
    expected = {k: v for k, v in whole.items() if k not in {"decisions", "inputs"}}
    assert outline_of(whole) == expected and "envelope" in expected

    def outline(limit: int = 50_000) -> tuple[dict[str, Any] | None, Batch]:
        batch = Batch(cache=ResultCache(tmp_path / "cache"))
        found = record_from_text(text, path, limit, batch, light=True)
        assert batch.cache is not None
        batch.cache.close()
        return found, batch

    found, cold = outline()
    assert found == expected and (cold.hits, cold.misses) == (0, 1)  # the whole was parsed
    monkeypatch.setattr(resultcache, "SPARE", 0)  # prune whatever a run did not use
    found, warm = outline()
    assert found == expected and (warm.hits, warm.misses) == (1, 0)
    with sqlite3.connect(tmp_path / "cache" / CACHE_FILE) as db:
        assert db.execute("SELECT count(*) FROM results").fetchone() == (2,)  # both kept
        # without the whole, the outline is still read from its own entry
        kind = "record with at most 50000 values"
        raw = text.encode() if text else b""
        db.execute("DELETE FROM results WHERE key = ?", (result_key(kind, str(path), raw),))
    found, apart = outline()
    assert found == expected and (apart.hits, apart.misses) == (1, 0)
    with sqlite3.connect(tmp_path / "cache" / CACHE_FILE) as db:  # a damaged outline
        assert db.execute("UPDATE results SET value = x'00'").rowcount == 1
    found, damaged = outline()
    assert found == expected and (damaged.hits, damaged.misses) == (0, 1)  # made again
    found, again = outline()
    assert found == expected and (again.hits, again.misses) == (1, 0)
    # another bound on the record's size is another reading: made afresh
    found, other = outline(limit=10)
    assert found is None and other.misses == 1  # too many values for that bound


def test_a_closed_round_is_checked_against_its_whole_record_on_a_warm_cache(
    tmp_path: Path,
) -> None:
    """The outline says the round is closed; its inputs, in the whole record, are checked."""
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    cache = str(tmp_path / "cache")
    closed = run_gen("close", "2022Q1", "--by", "Claire", "--call", call, GEN_CACHE_DIR=cache)
    assert closed.code == 0, closed
    assert run_gen("validate", "--call", call, GEN_CACHE_DIR=cache).code == 0
    dossier = sorted((call / "2022Q1").glob("*.yaml"))[0]  # its outline and whole now kept
    replace(dossier, "title: ", "title: X")
    found = run_gen("validate", "--call", call, GEN_CACHE_DIR=cache)
    assert found.code == 1, found
    assert f"{dossier}:1:1: error E401 round 2022Q1 is closed and this file changed" in found.out


def _stopped(raw: bytes, display: str) -> Any:
    os._exit(9)  # as the system's out-of-memory killer would stop the process


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="processes are forked on Linux")
def test_a_process_stopped_from_outside_is_said_plainly(
    call: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import invoke

    from gen_cli import batch, loading

    monkeypatch.setattr(batch, "PARALLEL_FROM", 0)  # processes even for a small call
    monkeypatch.setattr(loading, "dossier_from_bytes", _stopped)
    found = invoke("validate", "--call", call, "--no-cache", "--jobs", "2")
    assert found.code == 2 and found.out == ""
    assert found.err.startswith(
        "gen: error: a process gen started to share the work stopped before the end, most "
        "likely for want of memory"
    )
    assert "internal error" not in found.err and "Traceback" not in found.err
    log = Path(found.err.rstrip().rsplit("Details: ", 1)[1])
    assert "BrokenProcessPool" in log.read_text(encoding="utf-8")  # for a crash in a library
    log.unlink()


def test_records_known_by_their_digest_are_read_only_when_their_part_is_not_kept(
    tmp_path: Path,
) -> None:
    """A round's record is 32 MB at 25,000 dossiers: read again only when it must be."""
    from gen_cli.errors import GenError
    from gen_cli.records import outline_of, read_record, record_digest, records_from_files

    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    path = call / "2021Q4" / "results.yaml"
    digest = record_digest(path)
    assert digest == hashlib.sha256(path.read_bytes()).digest()
    asked = [(path, "2021Q4/results.yaml", 50_000, digest)]
    whole = read_record(path)
    assert whole is not None
    first = Batch(cache=ResultCache(tmp_path / "cache"))
    assert records_from_files(asked, first, part=outline_of) == [outline_of(whole)]
    assert (first.hits, first.misses) == (0, 1)
    assert records_from_files(asked, Batch()) == [whole]  # no cache: read and parsed
    # changed since it was hashed: its kept part is still the one of those bytes, and
    # the file is not read; a part not kept reads the file, which is refused
    path.write_text(path.read_text(encoding="utf-8").replace("laureat", "non-retenu"))
    again = Batch(cache=ResultCache(tmp_path / "cache"))
    assert records_from_files(asked, again, part=outline_of) == [outline_of(whole)]
    assert (again.hits, again.misses) == (1, 0)
    with pytest.raises(GenError) as refused:
        records_from_files(asked, Batch(cache=ResultCache(tmp_path / "other")), part=outline_of)
    assert refused.value.message == (
        "2021Q4/results.yaml changed while gen read the call folder: run the command again"
    )


def test_the_records_of_several_rounds_are_read_side_by_side_as_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gen_cli import batch
    from gen_cli.records import outline_of, read_record, record_text, records_from_texts

    monkeypatch.setattr(batch, "PARALLEL_FROM", 0)  # processes even for the example's records
    paths = [EXAMPLE / "2021Q4" / "results.yaml", EXAMPLE / "2022Q1" / "results.yaml"]
    absent = EXAMPLE / "2022Q2" / "results.yaml"  # not scored
    items = [(record_text(p), p, 50_000) for p in [paths[0], absent, paths[1]]]
    alone = [read_record(paths[0]), None, read_record(paths[1])]
    assert alone[0] is not None and alone[2] is not None and alone[0] != alone[2]
    assert records_from_texts(items, Batch(jobs=2)) == alone
    cached = Batch(jobs=2, cache=ResultCache(tmp_path / "cache"))
    outlines = [outline_of(r) for r in alone]
    assert records_from_texts(items, cached, light=True) == outlines
    assert (cached.hits, cached.misses) == (0, 2)
    again = Batch(jobs=2, cache=ResultCache(tmp_path / "cache"))
    assert records_from_texts(items, again, light=True) == outlines
    assert (again.hits, again.misses) == (2, 0)
    # each whole was kept as the process that parsed it sent it: read back, not parsed
    wholes = Batch(jobs=2, cache=ResultCache(tmp_path / "cache"))
    assert records_from_texts(items, wholes) == alone
    assert (wholes.hits, wholes.misses) == (2, 0)


@given(
    st.sampled_from(["dossier", "review", "record"]),
    st.text(min_size=1, max_size=40),
    st.binary(max_size=200),
)
def test_a_key_is_the_hash_of_gen_s_code_the_kind_the_path_and_the_bytes(
    kind: str, display: str, raw: bytes
) -> None:
    """Each part ends with a zero byte: no two different sets of parts give one key."""
    parts = [FORMAT, code_fingerprint(), kind, display]
    whole = b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in parts)
    expected = hashlib.blake2b(whole + hashlib.sha256(raw).digest(), digest_size=20).digest()
    assert result_key(kind, display, raw) == expected
    assert result_key(kind, display, raw) == result_key(kind, display, raw)  # copied, not used up

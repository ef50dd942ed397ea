"""Git access (the only module that runs git)."""

from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

#: Variables that point git at another repository, index or object store. Every function
#: here names its repository by ``path``; a git hook (or a parent git) may have set these
#: for a different one, so they are dropped, as pre-commit does for the repositories it runs.
_LOCATION_VARIABLES = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "GIT_PREFIX",
        "GIT_QUARANTINE_PATH",
    }
)

#: Settings that would change the output parsed below (relative paths, signatures,
#: --follow); they are forced off whatever the user's configuration says.
_NEUTRAL_CONFIG = (
    "-c",
    "diff.relative=false",
    "-c",
    "log.showSignature=false",
    "-c",
    "log.follow=false",
    "-c",
    "core.quotePath=false",
)

SHALLOW_MESSAGE = (
    "the repository is a shallow clone: gen needs the default branch's full history to date"
    " submissions; fetch it (actions/checkout: fetch-depth: 0; GitLab: GIT_DEPTH: 0)"
    " or run with --no-git"
)

_NOT_A_REPOSITORY = (
    "{path} is not inside a git repository: run gen in the call's repository, or run with --no-git"
)


class GitError(Exception):
    """Git failed or is missing; the message says what to do."""


@dataclass(frozen=True)
class Arrival:
    """The first-parent commit that first brought a file onto the default branch.

    ``time`` is the committer date with its own offset: the date of the merge (or commit)
    on the first-parent line, set by whoever merged, not the author date an applicant sets.
    """

    commit: str
    time: datetime
    subject: str


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _LOCATION_VARIABLES}
    env["GIT_TERMINAL_PROMPT"] = "0"
    # Paths given to git are folder names, never patterns: a folder named "c*" is just that.
    env["GIT_LITERAL_PATHSPECS"] = "1"
    # git diff may refresh and rewrite the index as a side effect; never take that lock.
    env["GIT_OPTIONAL_LOCKS"] = "0"
    return env


def _run(path: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ``git <args>`` in the folder ``path``; raise GitError only if git cannot run."""
    if not path.is_dir():
        raise GitError(f"{path} is not a folder: give the folder of the call (or a folder in it)")
    try:
        completed = subprocess.run(
            ["git", *_NEUTRAL_CONFIG, *args],
            cwd=path,
            input=stdin,
            capture_output=True,
            check=False,
            env=_environment(),
        )
    except OSError as error:
        raise GitError(
            f"cannot run git: {error.strerror} (install git, or run with --no-git)"
        ) from None
    if completed.returncode != 0 and b"detected dubious ownership" in completed.stderr:
        advice = [
            line.strip()
            for line in os.fsdecode(completed.stderr).splitlines()
            if "safe.directory" in line
        ]
        fix = advice[-1] if advice else "git config --global --add safe.directory <repository>"
        raise GitError(
            f"git refuses to read {path}: the repository belongs to another user;"
            f" if you trust it, run: {fix}"
        )
    return completed


def _check(path: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """Run git and return its output; raise GitError with git's own reason if it fails."""
    completed = _run(path, *args, stdin=stdin)
    if completed.returncode != 0 and b"not a git repository" in completed.stderr:
        raise GitError(_NOT_A_REPOSITORY.format(path=path))
    if completed.returncode != 0:
        lines = os.fsdecode(completed.stderr).strip().splitlines()
        reason = (
            lines[-1].removeprefix("fatal: ") if lines else f"exit status {completed.returncode}"
        )
        raise GitError(f"git {args[0]} failed in {path}: {reason}")
    return completed.stdout


def _line(output: bytes) -> str:
    """The first line of git's output (names may end with spaces: strip only the newline)."""
    return os.fsdecode(output.split(b"\n", 1)[0])


def _split_z(output: bytes) -> list[str]:
    """The NUL-terminated names of ``-z`` output."""
    return [os.fsdecode(name) for name in output.split(b"\0") if name]


def _verifies(path: Path, revision: str) -> str | None:
    """The full sha of the commit ``revision`` names, or None."""
    if not revision or revision.startswith("-"):  # never let a revision pass as an option
        return None
    completed = _run(path, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    sha = _line(completed.stdout)
    return sha if completed.returncode == 0 and sha else None


def repository_root(path: Path) -> Path | None:
    """The top of the git work tree containing ``path``.

    Returns:
        None when ``path`` is not inside a git work tree, or git is missing.
    """
    folder = path if path.is_dir() else path.parent
    try:
        completed = _run(folder, "rev-parse", "--show-toplevel")
    except GitError:
        return None
    top = _line(completed.stdout)
    return Path(top) if completed.returncode == 0 and top else None


def in_repository(path: Path) -> str | None:
    """``path`` as the repository names it, or None outside a git work tree.

    Relative to the top of its work tree, in POSIX form: ``calls/2022``, or ``.``.
    """
    top = repository_root(path)
    if top is None:
        return None
    try:
        return path.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        return None


def default_branch(path: Path) -> str | None:
    """The revision naming the default branch of the repository at ``path``.

    Tried in order: ``GEN_DEFAULT_BRANCH`` (as given, else ``origin/<it>``); what
    ``origin/HEAD`` points at; GitLab's ``CI_DEFAULT_BRANCH`` (local, else ``origin/<it>``);
    local ``main``, ``master``; ``origin/main``, ``origin/master``. Each must name a commit.

    Returns:
        The revision, or None when no candidate exists.

    Raises:
        GitError: ``GEN_DEFAULT_BRANCH`` is set but names no branch here, or git is missing.
    """
    chosen = os.environ.get("GEN_DEFAULT_BRANCH", "")
    if chosen:
        for candidate in (chosen, f"origin/{chosen}"):
            if _verifies(path, candidate):
                return candidate
        raise GitError(
            f"GEN_DEFAULT_BRANCH={chosen} is not a branch here: fetch it (git fetch origin {chosen})"
            " or set GEN_DEFAULT_BRANCH to a branch that exists"
        )
    completed = _run(path, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    remote_head = _line(completed.stdout)
    if completed.returncode == 0 and remote_head and _verifies(path, remote_head):
        return remote_head
    # Check full ref names, so that a tag called "main" cannot stand in for the branch.
    candidates: list[tuple[str, str]] = []
    gitlab = os.environ.get("CI_DEFAULT_BRANCH", "")
    if gitlab:
        candidates += [(gitlab, f"refs/heads/{gitlab}")]
        candidates += [(f"origin/{gitlab}", f"refs/remotes/origin/{gitlab}")]
    candidates += [(name, f"refs/heads/{name}") for name in ("main", "master")]
    candidates += [(f"origin/{name}", f"refs/remotes/origin/{name}") for name in ("main", "master")]
    for revision, ref in candidates:
        if _verifies(path, ref):
            return revision
    return None


def is_shallow(path: Path) -> bool:
    """Whether the repository at ``path`` is a shallow clone (part of its history missing).

    Raises:
        GitError: not a git repository, or git missing.
    """
    return _line(_check(path, "rev-parse", "--is-shallow-repository")) == "true"


def resolve(path: Path, revision: str) -> str:
    """The full sha of the commit ``revision`` names.

    Raises:
        GitError: the revision names no commit here, or git is missing.
    """
    sha = _verifies(path, revision)
    if sha is None and _run(path, "rev-parse", "--git-dir").returncode != 0:
        raise GitError(_NOT_A_REPOSITORY.format(path=path))
    if sha is None:
        raise GitError(
            f"unknown revision '{revision}': give a branch, tag or commit of this repository"
            " (fetch it first if it lives on a remote)"
        )
    return sha


def merge_base(path: Path, a: str, b: str) -> str | None:
    """The best common ancestor of two revisions.

    Returns:
        Its full sha, or None when the two histories share no commit.

    Raises:
        GitError: a revision is unknown, or git is missing.
    """
    completed = _run(path, "merge-base", resolve(path, a), resolve(path, b))
    sha = _line(completed.stdout)
    if completed.returncode == 0 and sha:
        return sha
    if completed.returncode == 1:
        return None
    raise GitError(f"git merge-base failed in {path}: {_line(completed.stderr)}")


def user_name(path: Path) -> str | None:
    """The ``user.name`` git would sign commits with in ``path``, or None if unset.

    Raises:
        GitError: git is missing.
    """
    completed = _run(path, "config", "user.name")
    name = _line(completed.stdout).strip()
    return name if completed.returncode == 0 and name else None


def arrivals(path: Path, branch: str) -> dict[str, Arrival]:
    """When each file under the folder ``path`` first arrived on ``branch``.

    Walks the first-parent line of ``branch`` from its root: a file's arrival is the first
    commit on that line whose diff against its first parent adds the file. For a merge,
    that is the merge commit (its committer date), however old the merged commits are.
    A file removed and added again keeps its first arrival. A rename counts as an arrival
    of the new name.

    Returns:
        Arrivals keyed by POSIX path relative to ``path``, like ``2022Q1/lovelace.yaml``.

    Raises:
        GitError: the repository is shallow, the branch is unknown, or git failed.
    """
    if is_shallow(path):
        raise GitError(SHALLOW_MESSAGE)
    sha = resolve(path, branch)
    # With -z, each commit is "<format>\0\n<name>\0<name>\0...". The format starts with an
    # empty field (%x00): names are never empty, so an empty field always opens a commit.
    output = _check(
        path,
        "log",
        "--first-parent",
        "--diff-merges=first-parent",
        "--no-renames",
        "--diff-filter=A",
        "--reverse",
        "--relative",
        "--no-color",
        "--encoding=UTF-8",
        "--format=%x00%H%x00%cI%x00%s",
        "--name-only",
        "-z",
        sha,
        "--",
        ".",
    )
    fields = output.split(b"\0")
    found: dict[str, Arrival] = {}
    index, end = 0, len(fields) - 1  # the output ends with "\0": the last field is empty
    while index < end:
        if fields[index] or index + 4 > end:
            raise GitError(f"unexpected output from git log in {path} (please report it)")
        commit, date, subject = fields[index + 1 : index + 4]
        arrival = Arrival(
            commit=commit.decode("ascii"),
            time=datetime.fromisoformat(date.decode("ascii")),
            subject=subject.decode("utf-8", "replace"),
        )
        index += 4
        first = True
        while index < end and fields[index]:
            name = fields[index]
            if first:
                if not name.startswith(b"\n"):
                    raise GitError(f"unexpected output from git log in {path} (please report it)")
                name, first = name[1:], False
            found.setdefault(os.fsdecode(name), arrival)
            index += 1
    return found


def changed_files(path: Path, base: str, head: str | None) -> list[str]:
    """The files under the folder ``path`` that differ between ``base`` and ``head``.

    With ``head`` None, compare ``base`` with the working tree, untracked files included
    (unless ignored). Added, modified and deleted files all count.

    Returns:
        Sorted POSIX paths relative to ``path``.

    Raises:
        GitError: a revision is unknown, or git failed.
    """
    revisions = [resolve(path, base)]
    if head is not None:
        revisions.append(resolve(path, head))
    diff = _check(
        path, "diff", "--name-only", "-z", "--no-renames", "--relative", *revisions, "--", "."
    )
    names = set(_split_z(diff))
    if head is None:
        others = _check(path, "ls-files", "--others", "--exclude-standard", "-z", "--", ".")
        names.update(_split_z(others))
    return sorted(names)


def _prefix(path: Path) -> str:
    """The folder ``path`` relative to the top of its work tree, ``""`` or ending in ``/``."""
    return _line(_check(path, "rev-parse", "--show-prefix"))


def _safe_parts(name: str, revision: str) -> list[str]:
    """The components of a tree path, refusing any that could lead outside the destination."""
    parts = name.split("/")
    for part in parts:
        if part in {"", ".", "..", ".git"} or "\\" in part or (os.name == "nt" and ":" in part):
            raise GitError(
                f"the tree of {revision} holds an unsafe path {name!r}: refusing to export it"
                " (check where that commit comes from)"
            )
    return parts


def _make_parents(dest: str, parts: list[str], made: set[str], name: str, revision: str) -> str:
    """Create the folders leading to ``parts`` inside ``dest``, never through a link.

    ``made`` holds the folders created so far: nothing else can replace them with a link,
    since a link is only ever created where nothing exists yet.
    """
    folder = dest
    for part in parts[:-1]:
        folder = os.path.join(folder, part)
        if folder in made:
            continue
        try:
            os.mkdir(folder)
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(folder).st_mode):  # lstat: a link to a folder fails too
                raise GitError(
                    f"the tree of {revision} uses {name!r} both as a file and a folder:"
                    " refusing to export it"
                ) from None
        made.add(folder)
    return os.path.join(folder, parts[-1])


def _read_blobs(path: Path, shas: list[str]) -> dict[str, bytes]:
    """The contents of the blobs ``shas``, read by one ``git cat-file --batch``."""
    unique = list(dict.fromkeys(shas))
    output = _check(path, "cat-file", "--batch", stdin="".join(f"{s}\n" for s in unique).encode())
    blobs: dict[str, bytes] = {}
    offset = 0
    for sha in unique:
        # Each answer is "<sha> <type> <size>\n<contents>\n", or "<sha> missing\n".
        eol = output.find(b"\n", offset)
        header = output[offset:eol].split(b" ")
        if eol < 0 or len(header) != 3 or header[1] != b"blob":
            raise GitError(f"git cannot read object {sha} in {path}: the repository is incomplete")
        size = int(header[2])
        blobs[sha] = output[eol + 1 : eol + 1 + size]
        offset = eol + 1 + size + 1
    return blobs


def export_folder(path: Path, revision: str, dest: Path) -> None:
    """Write the files of the folder ``path`` as they are at ``revision`` into ``dest``.

    Reads from git's objects only: the work tree and the index stay untouched. ``dest``
    becomes a copy of the folder at that revision (paths relative to ``path``). Symbolic
    links are recreated as links with the same target, never followed; submodules are
    skipped. If the folder does not exist at ``revision``, ``dest`` stays empty.

    Raises:
        GitError: the revision is unknown, ``dest`` is not empty, the tree holds a path
            that would lead outside ``dest``, or git failed.
    """
    sha = resolve(path, revision)
    prefix = _prefix(path)
    if dest.exists() and any(dest.iterdir()):
        raise GitError(f"{dest} is not empty: export into an empty folder")
    listing = ["ls-tree", "-r", "-z", "--full-tree", sha]
    if prefix:
        listing += ["--", prefix]
    files: list[tuple[list[str], str, str, str]] = []  # parts, mode, blob, name
    for entry in _split_z(_check(path, *listing)):
        meta, _, name = entry.partition("\t")
        mode, kind, blob = meta.split(" ")
        if kind == "commit":  # a submodule: its files are not in this repository
            continue
        if not name.startswith(prefix):
            continue
        if kind != "blob":
            raise GitError(
                f"unexpected entry {entry!r} in the tree of {revision} (please report it)"
            )
        relative = name[len(prefix) :]
        files.append((_safe_parts(relative, revision), mode, blob, relative))
    contents = _read_blobs(path, [blob for _, _, blob, _ in files])
    dest.mkdir(parents=True, exist_ok=True)  # only now that the whole tree is known to be safe
    # O_EXCL: never write through an existing name or link (a tree may name a path twice).
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    made: set[str] = set()
    for parts, mode, blob, name in files:
        try:
            target = _make_parents(os.fspath(dest), parts, made, name, revision)
            if mode == "120000":
                os.symlink(os.fsdecode(contents[blob]), target)
            elif mode.startswith("100"):
                executable = int(mode, 8) & 0o111
                with os.fdopen(
                    os.open(target, flags, 0o777 if executable else 0o666), "wb"
                ) as file:
                    file.write(contents[blob])
            else:
                raise GitError(f"the tree of {revision} holds {name!r} with unknown mode {mode}")
        except FileExistsError:
            raise GitError(
                f"the tree of {revision} names {name!r} twice: refusing to export it"
            ) from None
        except (OSError, ValueError) as error:
            raise GitError(f"cannot write {name!r} into {dest}: {error}") from None


def files_named(path: Path, revision: str, name: str) -> dict[str, bytes]:
    """The files called ``name`` under the folder ``path`` at ``revision``, with their bytes.

    Keys are POSIX paths relative to ``path`` (``2021Q3/results.yaml``). Reads git's
    objects only.

    Raises:
        GitError: the revision is unknown, or git failed.
    """
    sha = resolve(path, revision)
    prefix = _prefix(path)
    listing = ["ls-tree", "-r", "-z", "--full-tree", sha]
    if prefix:
        listing += ["--", prefix]
    found: dict[str, str] = {}
    for entry in _split_z(_check(path, *listing)):
        meta, _, full = entry.partition("\t")
        mode, kind, blob = meta.split(" ")
        if kind == "blob" and mode != "120000" and full.startswith(prefix):
            relative = full[len(prefix) :]
            if relative.rsplit("/", 1)[-1] == name:
                found[relative] = blob
    contents = _read_blobs(path, list(found.values()))
    return {relative: contents[blob] for relative, blob in sorted(found.items())}


def last_commit_time(path: Path) -> int:
    """The Unix time of the last commit touching ``path``.

    Raises:
        GitError: not a git repository, no commit yet, or git missing.
    """
    try:
        completed = subprocess.run(
            ["git", "log", "-1", "--format=%ct", "--", "."],
            cwd=path,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as error:
        raise GitError(f"cannot run git: {error.strerror}") from None
    stamp = completed.stdout.strip()
    if completed.returncode != 0 or not stamp.isdigit():
        raise GitError(
            f"{path} has no git commit to take a date from (commit first, or set SOURCE_DATE_EPOCH)"
        )
    return int(stamp)

"""Finding and reading the files of a call folder into models, collecting every problem.

Layout of a call folder::

    call.yaml                      the call: themes, rounds, rules, grids, reviewers
    <round>/<dossier-id>.yaml      one applicant dossier
    <round>/reviews/<reviewer>.yaml one reviewer's evaluations for the round
    <round>/results.yaml           the round's decision record (written by ``gen score``)
"""

from __future__ import annotations

import functools
import gc
import hashlib
import operator
import os
import stat
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from gen_cli.batch import Batch, Fetch, Fetched, Made, Reading, Work
from gen_cli.diagnostics import Problem
from gen_cli.dossierchecks import dossier_problems
from gen_cli.errors import GenError
from gen_cli.layout import (
    ASSIGNMENTS_FILE,
    CALL_FILE,
    JURY_FILE,
    NOT_ROUNDS,
    PUBLICATION_MARKER,
    READ_IN_PLACE,
    RECORD_FILE,
    RECORD_HEADER,
    REVIEWS_DIR,
    require_call_folder,
)
from gen_cli.locking import held_here
from gen_cli.models import (
    Assignments,
    Call,
    Contact,
    Deliberation,
    Dossier,
    DossierFacts,
    DossierParts,
    Review,
    ReviewFacts,
)
from gen_cli.packed import Packed
from gen_cli.resultcache import hashed_result_key
from gen_cli.salvage import salvage
from gen_cli.sealing import MAX_SEALED_BYTES, SEALED_SUFFIX, Unopenable, is_sealed_name, unseal
from gen_cli.wording import validation_problems
from gen_cli.yamlload import (
    MAX_BYTES,
    MAX_VALUES,
    Locations,
    decode,
    parse_document,
    read_bytes,
    read_text,
)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Source:
    """A file of the call folder: where it is on disk, and how diagnostics name it."""

    path: Path
    display: str
    #: Its file's name without the suffix: a dossier's id, if it is where it belongs. Given
    #: by the walk that knows the name (100,000 dossiers), else taken from the path.
    stem: str = field(default="", compare=False, repr=False)
    #: Its POSIX path in the call folder the walk listed (``2022Q1/lovelace.yaml``), given
    #: by the walk; empty when not known (``CallFolder.relative`` works it out).
    relative: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.stem:
            object.__setattr__(self, "stem", self.path.stem)


#: The kind of a dossier file's result in the cache (``resultcache.result_key``).
DOSSIER_KIND = "dossier"
#: A dossier file of which some parts are known: its facts, and its models packed (the
#: dossier, when it is whole, and its known parts).
DossierEntry = tuple[Source, DossierFacts, Packed[tuple[Dossier | None, DossierParts]]]
#: A valid review file: its facts, and its model packed.
ReviewEntry = tuple[Source, ReviewFacts, Packed[Review]]


@dataclass
class CallFolder:
    """Everything read from a call folder, and the problems met while reading it.

    The models of dossiers and reviews are packed (``packed.Packed``) in their entries,
    and built when first read: a check of a large call that little changed reads the
    facts of each file, and the models of a few.
    """

    root: Path
    call_source: Source
    call: Call | None = None
    #: Every dossier file of which some parts are known, valid or not, in file order: what
    #: the validation rules check. Set once, when the folder is read.
    dossier_entries: list[DossierEntry] = field(default_factory=list)
    #: Every valid review file, in file order. Set once, when the folder is read.
    review_entries: list[ReviewEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)
    dossier_files: int = 0
    review_files: int = 0
    unreadable_dossiers: set[str] = field(default_factory=set)  # file stems
    #: Review files that failed validation, with their valid evaluations and grades kept,
    #: and the dossiers whose evaluation lost a part: checked, never scored.
    partial_reviews: list[tuple[Source, Review, frozenset[str]]] = field(default_factory=list)
    dossier_sources: list[Source] = field(default_factory=list)
    review_sources: list[Source] = field(default_factory=list)
    jury_sources: list[Source] = field(default_factory=list)
    deliberations: dict[str, tuple[Source, Deliberation]] = field(default_factory=dict)
    #: Each round's assignments.yaml, when it has one that could be read.
    assignments: dict[str, tuple[Source, Assignments]] = field(default_factory=dict)
    #: Sealed review files, opened or not.
    sealed_sources: list[Source] = field(default_factory=list)
    #: Sealed review files gen could not open, for want of the identity.
    sealed: list[Source] = field(default_factory=list)
    #: The text of each file read, by display path: problems are located in it, so a file
    #: is read once (one that changed meanwhile cannot give wrong lines).
    texts: dict[str, str] = field(default_factory=dict)
    #: The plaintext of the sealed files gen opened, by display path: in memory only.
    opened: dict[str, str] = field(default_factory=dict)
    #: Whether diagnostics in sealed files say what is wrong (CI logs may be public).
    reveal_sealed: bool = False
    #: Sealed private parts of dossiers, opened or not; and those gen could not open.
    private_sources: list[Source] = field(default_factory=list)
    private_sealed: list[Source] = field(default_factory=list)
    #: How the folder's files were read: the records are read the same way.
    batch: Batch = field(default_factory=Batch)
    #: The result key (``resultcache.result_key``) of each file read through the batch, by
    #: kind and displayed path: what was read of it (the checks kept by what they read are
    #: found by them).
    keys: dict[tuple[str, str], bytes] = field(default_factory=dict)
    #: The digest of each dossier and review file, by displayed path, of the bytes its
    #: model was made from: what a decision record lists as its inputs.
    digests: dict[str, str] = field(default_factory=dict)
    #: How diagnostics name the call folder.
    shown_root: str = ""
    #: The rounds whose files were read, when not all were (``load_call_folder(only=)``);
    #: every file is listed all the same, in ``listing``.
    only: frozenset[str] | None = None
    listing: Found | None = None
    #: The SHA-256 of files hashed before the folder was read, by POSIX path in the folder
    #: (``load_call_folder(hashed=)``): what a file not read again must still hold.
    hashed: dict[str, bytes] = field(default_factory=dict)
    #: The SHA-256 of the bytes each dossier and review file was checked as, by POSIX path
    #: in the folder: the key of what the check read.
    parsed: dict[str, bytes] = field(default_factory=dict)
    #: The ids of the dossiers whose parts the rules across files read, in this process or
    #: another, or when the checks they recalled were made: what ``delta`` does not vouch for.
    parts_read: set[str] = field(default_factory=set)
    _by_round: dict[str, list[Source]] | None = field(default=None, init=False, repr=False)
    # built from the entries when first read; never copied by dataclasses.replace
    _dossiers: list[tuple[Source, Dossier]] | None = field(default=None, init=False, repr=False)
    _parts: list[tuple[Source, DossierParts]] | None = field(default=None, init=False, repr=False)
    _reviews: list[tuple[Source, Review]] | None = field(default=None, init=False, repr=False)

    @property
    def dossiers(self) -> list[tuple[Source, Dossier]]:
        """Every valid dossier, in file order."""
        if self._dossiers is None:
            with collection_paused():
                self._dossiers = [
                    (source, whole_dossier(packed))
                    for source, facts, packed in self.dossier_entries
                    if facts.whole
                ]
        return self._dossiers

    @property
    def dossier_parts(self) -> list[tuple[Source, DossierParts]]:
        """What is known of every dossier file, valid or not, in file order."""
        if self._parts is None:
            with collection_paused():
                self._parts = [(s, packed.get()[1]) for s, _, packed in self.dossier_entries]
        return self._parts

    @property
    def reviews(self) -> list[tuple[Source, Review]]:
        """Every valid review, in file order."""
        if self._reviews is None:
            with collection_paused():
                self._reviews = [(s, packed.get()) for s, _, packed in self.review_entries]
        return self._reviews

    def read_hashed(self, source: Source, kind: str) -> bytes | list[Problem]:
        """The bytes of a file known by its hash, read now because its result is not kept.

        Its text is not kept: a problem found in it is located by reading it again, as one
        whose result was kept (``read_texts``: 100,000 texts are hundreds of megabytes).
        When it changed since it was hashed, its text is kept, and its digest and key are
        those of the bytes read (the check is then not kept: its key changed). When gen
        does not read it (too large, gone), why.
        """
        raw, problems = read_bytes(source.path, source.display)
        if raw is None:
            self.unread(source, kind)
            return problems
        self.read_again(source, kind, raw, hashlib.sha256(raw).digest())
        return raw

    def unread(self, source: Source, kind: str) -> None:
        """Forget a file known by its hash that could not be read after all."""
        self.parsed.pop(self.relative(source), None)
        self.digests.pop(source.display, None)
        self.keys.pop((kind, source.display), None)

    def read_again(self, source: Source, kind: str, raw: bytes | None, digest: bytes) -> None:
        """Take note of a file known by its hash, read now: ``raw`` is needed if it changed."""
        relative = self.relative(source)
        if digest == self.hashed.get(relative):
            return
        if raw is None:
            raise ValueError("a file that changed since it was hashed, read without its bytes")
        # changed since it was hashed: located in these bytes, which are the ones checked
        text, _ = decode(raw, source.display)
        if text is not None:
            self.texts[source.display] = text
        self.parsed[relative] = digest
        self.digests[source.display] = "sha256:" + digest.hex()
        self.keys[kind, source.display] = hashed_result_key(kind, source.display, digest)

    def read_texts(self, displays: Iterable[str]) -> None:
        """Read the texts of these files whose results were kept, to locate problems in them.

        Raises:
            GenError: one of them no longer holds the bytes that were hashed (exit 2).
        """
        for display in displays:
            source = self.sources.get(display)
            if source is None or display in self.texts:
                continue
            known = self.hashed.get(self.relative(source))
            if known is None:
                continue
            raw, _ = read_bytes(source.path, display)
            text, _ = decode(raw, display) if raw is not None else (None, [])
            if raw is None or text is None or hashlib.sha256(raw).digest() != known:
                raise GenError(
                    f"{display} changed while gen read the call folder: run the command again"
                )
            self.texts[display] = text

    def private_sealed_in(self, round_id: str) -> list[Source]:
        """The sealed private parts of a round's dossiers that gen could not open."""
        return [s for s in self.private_sealed if folder_above(s.path) == round_id]

    def sealed_in(self, round_id: str) -> list[Source]:
        """The sealed review files of a round that gen could not open (no identity).

        Of a round not read yet (``only``): every one listed, as gen reads some rounds
        only without the identity (an outline); sealed reviews are read with the rest.
        """
        if self.only is not None and round_id not in self.only:
            return [s for s in self.sealed_sources if folder_above(s.path, 2) == round_id]
        return [s for s in self.sealed if folder_above(s.path, 2) == round_id]

    def relative(self, source: Source) -> str:
        """A file's path inside the call folder, in POSIX form (``2022Q1/lovelace.yaml``)."""
        if source.relative:
            return source.relative
        full, base = str(source.path), str(self.root)  # string work: once a file, as _source
        if full.startswith(base + os.sep):
            return full[len(base) + 1 :].replace(os.sep, "/")
        return source.path.relative_to(self.root).as_posix()

    def round_files(self, round_id: str) -> list[Source]:
        """The files that decide a round, readable or not: its dossiers, reviews and jury file.

        Its assignments.yaml is not one: who was to review a dossier decides nothing.
        """
        if self._by_round is None:  # once: the lists are set when the folder is read
            by_round: dict[str, list[Source]] = defaultdict(list)
            for sources, levels in (
                (self.dossier_sources, 1),
                (self.review_sources, 2),
                (self.sealed_sources, 2),
                (self.jury_sources, 1),
            ):
                for source in sources:
                    by_round[folder_above(source.path, levels)].append(source)
            self._by_round = dict(by_round)
        return list(self._by_round.get(round_id, ()))


def folder_above(path: Path, levels: int = 1) -> str:
    """The name of the folder ``levels`` above ``path``: ``path.parent.name`` for 1.

    String work on the path's text, which pathlib keeps: a round's files are sorted out
    of 100,000, several times a command.
    """
    parts = str(path).rsplit(os.sep, levels + 1)
    return parts[-levels - 1] if len(parts) > levels else ""


def load_model(source: Source, model: type[M]) -> tuple[M | None, list[Problem]]:
    """Read, parse and validate one file against its model."""
    text, problems = read_text(source.path, source.display)
    if text is None:
        return None, problems
    return validated(text, source, model)


def load_sealed(
    source: Source, model: type[M], identities: Sequence[Any]
) -> tuple[M | None, list[Problem], str | None]:
    """Open a sealed file in memory, then parse and validate it; lines are the plaintext's.

    Returns the model, the problems, and the plaintext (kept in memory to locate them).
    """
    text, problems = read_sealed(source, identities)
    if text is None:
        return None, problems, None
    item, problems = validated(text, source, model)
    return item, problems, text


def read_sealed(source: Source, identities: Sequence[Any]) -> tuple[str | None, list[Problem]]:
    """A sealed file's plaintext, read, decrypted and decoded in memory, or why not."""
    raw, problems = read_bytes(source.path, source.display, MAX_SEALED_BYTES)
    if raw is None:
        return None, problems
    return _opened_text(raw, source, identities)


def _opened_text(
    raw: bytes, source: Source, identities: Sequence[Any]
) -> tuple[str | None, list[Problem]]:
    """A sealed file's bytes decrypted and decoded, in memory."""
    try:
        plaintext = unseal(raw, identities)
    except Unopenable as error:
        return None, [Problem(source.display, "E011", f"cannot open this sealed file: {error}")]
    if len(plaintext) > MAX_BYTES:
        message = f"file is {len(plaintext):,} bytes; gen accepts at most {MAX_BYTES:,}"
        return None, [Problem(source.display, "E009", message)]
    return decode(plaintext, source.display)


def validated(text: str, source: Source, model: type[M]) -> tuple[M | None, list[Problem]]:
    """Parse a file's text and validate it against its model."""
    data, where, problems = parse_document(text, source.display, MAX_VALUES)
    if data is None:
        return None, problems
    return validated_data(data, where, source.display, model)


def _located(problem: Problem, where: Locations | None) -> Problem:
    if where is None or not problem.loc:
        return problem
    return replace(problem, mark=where.find(problem.loc, at_key=problem.at_key))


def source_of(root: Path, shown_root: str, path: Path) -> Source:
    """The file at ``path`` in the call folder at ``root``, named as diagnostics name it."""
    # string work, not pathlib's: this runs once a file, 100,000 times in a large call
    full, base = str(path), str(root)
    if not full.startswith(base + os.sep):
        return Source(path, str(Path(shown_root) / path.relative_to(root)))
    shown = _shown_prefix(shown_root)
    relative = full[len(base) + 1 :]
    return Source(path, relative if shown == "." else f"{shown}{os.sep}{relative}")


@functools.lru_cache(maxsize=16)
def _shown_prefix(shown_root: str) -> str:
    return str(Path(shown_root))


def file_digest(raw: bytes) -> str:
    """The digest of a file's bytes, as decision records list it: ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def file_id(path: Path) -> str:
    """The id a file's name gives (``amelie-roux.yaml``, or sealed ``amelie-roux.yaml.age``)."""
    name = path.name.removesuffix(SEALED_SUFFIX)
    return name.removesuffix(".yaml")


def is_record_file(path: Path) -> bool:
    """True when ``path`` is a decision record that gen wrote (it may be overwritten)."""
    try:
        descriptor = os.open(path, READ_IN_PLACE)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return False
        return os.read(descriptor, len(RECORD_HEADER)) == RECORD_HEADER.encode()
    except OSError:
        return False
    finally:
        os.close(descriptor)


def _yaml_like(path: Path) -> bool:
    return path.suffix.lower() in {".yaml", ".yml"}


def _holds_yaml(path: Path) -> bool:
    if path.is_symlink() or not path.is_dir():
        return False
    return any(
        _yaml_like(Path(name)) for _, _, names in os.walk(path, followlinks=False) for name in names
    )


#: Hidden names that belong at the top of a call folder: git, CI, editors. (gen's own lock
#: is not among them: it exists only while gen writes, and a pull request must not add it.)
TOOL_FILES = frozenset(
    {
        ".git",
        ".github",
        ".gitlab",
        ".gitlab-ci.yml",
        ".gitignore",
        ".gitattributes",
        ".pre-commit-config.yaml",
        ".editorconfig",
        ".venv",
        ".vscode",
        ".idea",
        ".ruff_cache",
        ".pytest_cache",
        ".mypy_cache",
        ".DS_Store",
    }
)


#: Hidden files that keep an empty folder in git.
KEEP_FILES = frozenset({".gitkeep", ".keep"})


#: A path's name: what the entries of a folder are sorted by.
_name = operator.attrgetter("name")


def find_files(root: Path, shown_root: str, rounds: frozenset[str] = frozenset()) -> Found:
    """List the dossier, review, jury and assignment files of a call folder, in a stable order.

    Returns:
        The dossier, review, deliberation and assignment files, and problems with what gen
        does not read: links, folders it cannot read, hidden files where none belong, stray
        files.
    """
    found = Found(root, shown_root)
    for entry in found.listing(root):
        if held_here(entry):
            continue  # this gen's own lock, while it writes: no file of the call
        if entry.name.startswith("."):
            if entry.is_symlink():
                found.link(entry)
            elif entry.name not in TOOL_FILES | KEEP_FILES:
                found.hidden(entry)
            continue
        if entry.name in NOT_ROUNDS or entry.name == CALL_FILE:
            continue  # call.yaml is read (and a link to it reported) by load_call_folder
        if entry.is_symlink():
            found.link(entry)
        elif entry.is_file():
            if _yaml_like(entry):
                found.stray(
                    entry, f"ignored: only {CALL_FILE} belongs at the top of the call folder"
                )
        elif entry.is_dir() and entry.name in rounds and found.published(entry):
            # A round's folder is never skipped: one empty marker file must not hide it.
            found.problems.append(
                Problem(
                    source_of(root, shown_root, entry / PUBLICATION_MARKER).display,
                    "E010",
                    f"{PUBLICATION_MARKER} marks a folder gen publishes, and this is round "
                    f"{entry.name}'s folder: remove it",
                )
            )
            found.round_folder(entry)
        elif entry.is_dir() and not found.published(entry):
            found.round_folder(entry)
    return found


@dataclass
class Found:
    """What a walk of the call folder found, and what it could not read."""

    root: Path
    shown_root: str
    dossiers: list[Source] = field(default_factory=list)
    reviews: list[Source] = field(default_factory=list)
    juries: list[Source] = field(default_factory=list)
    assignments: list[Source] = field(default_factory=list)
    sealed_reviews: list[Source] = field(default_factory=list)
    private_parts: list[Source] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def within(self, rounds: frozenset[str]) -> Found:
        """The files of these rounds' folders only; the walk's problems stay with the whole."""
        return Found(
            self.root,
            self.shown_root,
            [s for s in self.dossiers if folder_above(s.path) in rounds],
            [s for s in self.reviews if folder_above(s.path, 2) in rounds],
            [s for s in self.juries if folder_above(s.path) in rounds],
            [s for s in self.assignments if folder_above(s.path) in rounds],
            [s for s in self.sealed_reviews if folder_above(s.path, 2) in rounds],
            [s for s in self.private_parts if folder_above(s.path) in rounds],
        )

    def _report(self, path: Path, code: str, message: str) -> None:
        self.problems.append(
            Problem(source_of(self.root, self.shown_root, path).display, code, message)
        )

    def link(self, path: Path) -> None:
        """Report a link: gen does not follow it."""
        self._report(path, "E010", "gen does not follow links")

    def stray(self, path: Path, why: str) -> None:
        """Report a file gen does not read, and why."""
        self._report(path, "W002", why)

    def hidden(self, path: Path) -> None:
        """Report a hidden file where none belongs."""
        self._report(
            path,
            "W014",
            "hidden file: gen ignores it, and a pull request should not add it; remove it "
            "(a .tmp file is left by an interrupted gen)",
        )

    def listing(self, folder: Path) -> list[Path]:
        """The entries of ``folder``, sorted; none (and a located error) if it cannot be read."""
        try:  # iterdir makes each path from its name alone: no parsing, 100,000 times
            return sorted(folder.iterdir(), key=_name)
        except OSError as error:
            if folder == self.root:
                raise GenError(
                    f"cannot read the call folder {self.shown_root}: {error.strerror}"
                ) from None
            self._report(folder, "E010", f"cannot read this folder: {error.strerror}")
            return []

    def published(self, folder: Path) -> bool:
        """Whether ``folder`` is a publication gen wrote (public/ inside the call folder)."""
        try:
            return (folder / PUBLICATION_MARKER).is_file()
        except OSError:
            return False  # unreadable: listing it reports why

    def round_folder(self, folder: Path) -> None:
        """List a round's dossiers, its jury and assignment files, and its reviews."""
        shown, inside = self._shown_in(folder), self._inside(folder)
        for item in self.listing(folder):
            name = item.name  # once: pathlib computes it at each call, 100,000 times here
            if name.startswith(".") and item.is_symlink():
                self.link(item)
            elif name.startswith(".") and name not in KEEP_FILES:
                self.hidden(item)
            elif name == REVIEWS_DIR and item.is_symlink():
                self.link(item)  # a linked reviews/ folder would otherwise be skipped unsaid
            elif name == REVIEWS_DIR and item.is_dir():
                self.reviews_folder(item)
            elif name == JURY_FILE:
                self.juries.append(Source(item, shown + name, relative=inside + name))
            elif name == ASSIGNMENTS_FILE:
                self.assignments.append(Source(item, shown + name, relative=inside + name))
            elif name == RECORD_FILE:
                if not is_record_file(item):
                    self.stray(
                        item,
                        f"{RECORD_FILE} is where gen score writes the round's decision "
                        "record, and this file is not one: gen will not overwrite it",
                    )
            elif name.endswith(".yaml"):  # not hidden: its suffix
                self.dossiers.append(
                    Source(item, shown + name, name[: -len(".yaml")], inside + name)
                )
            elif name.endswith(PRIVATE_SUFFIX):
                self.private_parts.append(Source(item, shown + name, relative=inside + name))
            elif name.lower().endswith(SEALED_SUFFIX):
                self.stray(item, "ignored: a sealed review belongs in the round's reviews/ folder")
            elif _yaml_like(item):
                self.stray(item, "ignored: name dossier files *.yaml")
            elif _holds_yaml(item):
                self.stray(item, "ignored: gen does not look in subfolders of a round")

    def reviews_folder(self, folder: Path) -> None:
        """List the review files of a round's reviews/ folder."""
        shown, inside = self._shown_in(folder), self._inside(folder)
        for review in self.listing(folder):
            if review.name.startswith(".") and review.is_symlink():
                self.link(review)
            elif review.name.startswith(".") and review.name not in KEEP_FILES:
                self.hidden(review)
            elif review.suffix == ".yaml":
                self.reviews.append(
                    Source(review, shown + review.name, relative=inside + review.name)
                )
            elif is_sealed_name(review.name):
                self.sealed_reviews.append(
                    Source(review, shown + review.name, relative=inside + review.name)
                )
            elif review.name.lower().endswith(SEALED_SUFFIX):
                self.stray(review, "ignored: name sealed reviews <reviewer>.yaml.age")
            elif _yaml_like(review):
                self.stray(review, "ignored: name review files *.yaml")
            elif _holds_yaml(review):
                self.stray(review, "ignored: gen does not look in subfolders of reviews/")

    def _shown_in(self, folder: Path) -> str:
        """How diagnostics name the files of ``folder``, up to their name."""
        return source_of(self.root, self.shown_root, folder).display + os.sep

    def _inside(self, folder: Path) -> str:
        """The POSIX path of ``folder`` in the call folder, up to its files' names."""
        return folder.relative_to(self.root).as_posix() + "/"


#: Where gen looks for a call folder when none is given and none holds the current folder.


def load_call_folder(
    root: Path,
    shown_root: str | None = None,
    identities: Sequence[Any] = (),
    batch: Batch | None = None,
    only: frozenset[str] | None = None,
    hashed: Mapping[str, bytes] | None = None,
    lazy: bool = False,
) -> CallFolder:
    """Read every file of the call folder at ``root``; never raises for bad content.

    Args:
        identities: age identities that open sealed reviews (none: they stay sealed).
        batch: how dossier and review files are read (default: in this process, no cache).
        only: read the files of these rounds' folders only (every file is still listed,
            and call.yaml read): the folder holds one round at a time, not the whole call.
        hashed: the SHA-256 of files just hashed, by their POSIX path in the call folder:
            a dossier or review file among them whose result the cache keeps is not read
            again (its text is read if a problem needs locating in it), and one that is
            read must still be those bytes.
        lazy: keep each dossier's and review's models packed until they are read (a
            check reads few of them); else they are built as they are read, which takes
            less memory for a command that reads them all.

    Raises:
        GenError: the folder or its call.yaml does not exist (exit status 2); a file
            among ``hashed`` changed since (exit status 2: run the command again).
    """
    with collection_paused():
        return _load_call_folder(
            root, shown_root, identities, batch or Batch(), only, hashed=hashed, lazy=lazy
        )


def load_rounds(
    folder: CallFolder,
    only: frozenset[str],
    lazy: bool = False,
    hashed: Mapping[str, bytes] | None = None,
) -> CallFolder:
    """The files of these rounds read, from a folder already listed (``only`` given).

    The listing and call.yaml are taken from ``folder``: they are not read again.

    Args:
        lazy: as ``load_call_folder``'s: for what reads few of the rounds' models.
        hashed: as ``load_call_folder``'s: the digests of the files as they were checked.
    """
    if folder.listing is None:
        raise ValueError("load_rounds needs a folder loaded with only=")
    with collection_paused():
        return _load_call_folder(
            folder.root, folder.shown_root, (), folder.batch, only, folder, hashed, lazy
        )


@contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while files are read, then none of what was read.

    Loading makes millions of objects that live until the command ends and hold no garbage
    cycle; the collector would go over them again and again (about 40 % of the time). Once
    loaded, they are frozen out of its sight.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _load_call_folder(
    root: Path,
    shown_root: str | None,
    identities: Sequence[Any],
    batch: Batch,
    only: frozenset[str] | None = None,
    listed: CallFolder | None = None,
    hashed: Mapping[str, bytes] | None = None,
    lazy: bool = False,
) -> CallFolder:
    shown = shown_root if shown_root is not None else str(root)
    require_call_folder(root, shown)
    call_path = root / CALL_FILE
    folder = CallFolder(root=root, call_source=source_of(root, shown, call_path), batch=batch)
    folder.shown_root, folder.only = shown, only
    folder.hashed = dict(hashed or {})
    folder.sources[folder.call_source.display] = folder.call_source
    if listed is not None and listed.listing is not None:
        folder.call, found = listed.call, listed.listing
        call_text = listed.texts.get(folder.call_source.display)
        if call_text is not None:  # the text the call was read from, for what it decides
            folder.texts[folder.call_source.display] = call_text
    else:
        folder.call, problems = load_one(folder, folder.call_source, Call)
        folder.problems.extend(problems)
        declared = frozenset(r.id for r in folder.call.rounds) if folder.call else frozenset()
        found = find_files(root, shown, declared)
    listed_files = found  # what round_files() lists: every file, read or not
    if only is not None:
        folder.listing = found
        found = found.within(only)
    dossier_files, review_files, jury_files = found.dossiers, found.reviews, found.juries
    folder.problems.extend(found.problems)
    for round_ in folder.call.rounds if folder.call else ():
        place = root / round_.id
        if not place.is_symlink() and place.exists() and not place.is_dir():
            folder.problems.append(
                Problem(
                    source_of(root, shown, place).display,
                    "E010",
                    f"round {round_.id}'s place is a file: make {round_.id}/ a folder that "
                    "holds the round's dossiers",
                )
            )
    folder.dossier_files = len(dossier_files)
    folder.review_files = len(review_files) + len(found.sealed_reviews)
    folder.dossier_sources = listed_files.dossiers
    folder.review_sources = listed_files.reviews
    folder.private_sources = found.private_parts
    public = public_dossiers(dossier_files, found.private_parts)
    # one set of processes reads both: every core stays busy to the end
    public_read, reviews_read = _read_kinds(
        folder,
        [
            (public, dossier_from_bytes, DOSSIER_KIND, _no_dossier),
            (review_files, review_from_bytes, "review", _no_review),
        ],
        batch,
        _kept_packed if lazy else _unpacked,
    )
    read = {source.display: result for source, result in zip(public, public_read, strict=True)}
    entries = _load_dossiers(folder, dossier_files, found.private_parts, identities, read)
    folder.dossier_entries = entries
    loaded = {source.display for source, facts, _ in entries if facts.whole}
    folder.unreadable_dossiers = {s.stem for s in dossier_files if s.display not in loaded}
    reviews: list[ReviewEntry] = []
    for source, (facts, review, partial, problems) in zip(review_files, reviews_read, strict=True):
        folder.sources[source.display] = source
        folder.problems.extend(problems)
        if facts is not None and review is not None:
            reviews.append((source, facts, review))
        elif partial is not None:
            folder.partial_reviews.append((source, *partial))
    folder.sealed_sources = listed_files.sealed_reviews
    plain = {(s.path.parent, file_id(s.path)) for s in review_files}
    for source in found.sealed_reviews:
        folder.sources[source.display] = source
        if (source.path.parent, file_id(source.path)) in plain:
            folder.problems.append(
                Problem(
                    source.display,
                    "E012",
                    f"{file_id(source.path)} has a plain and a sealed review in this round; "
                    "keep one (the sealed one, in a call that seals reviews)",
                )
            )
            continue
        if source.path.is_symlink() or not source.path.is_file():
            folder.problems.append(
                Problem(source.display, "E010", "not a regular file: gen does not follow links")
            )
            continue
        if not identities:
            folder.sealed.append(source)
            continue
        review, problems, text = load_sealed(source, Review, identities)
        if text is not None:
            folder.opened[source.display] = text
        folder.problems.extend(problems)
        if review is not None:
            reviews.append((source, ReviewFacts.of(review), Packed.holding(review)))
    folder.review_entries = reviews
    folder.jury_sources = listed_files.juries
    for source, deliberation in _load_all(folder, jury_files, Deliberation):
        folder.deliberations[source.path.parent.name] = (source, deliberation)
    for source, assigned in _load_all(folder, found.assignments, Assignments):
        folder.assignments[source.path.parent.name] = (source, assigned)
    return folder


#: A dossier's sealed private part, beside it: ``<id>.private.yaml.age``.
PRIVATE_SUFFIX = ".private.yaml" + SEALED_SUFFIX
#: What stands for a sealed contact when gen cannot open it: never written to anyone
#: (letters need the identity), and example.org is reserved for examples.
SEALED_CONTACT = Contact(name="(sealed)", email="sealed@example.org")


def public_dossiers(sources: list[Source], private_parts: list[Source]) -> list[Source]:
    """The dossier files without a sealed private part: read as they are."""
    if not private_parts:
        return list(sources)  # the usual case, without 100,000 paths taken apart
    parts = {(p.path.parent, p.path.name.removesuffix(PRIVATE_SUFFIX)) for p in private_parts}
    return [s for s in sources if (s.path.parent, s.path.stem) not in parts]


def _load_dossiers(
    folder: CallFolder,
    sources: list[Source],
    private_parts: list[Source],
    identities: Sequence[Any],
    read: dict[str, DossierRead],
) -> list[DossierEntry]:
    """Load the dossiers, each with its sealed private part when it has one.

    Args:
        read: each of the other dossier files read (``public_dossiers``).
    """
    parts = {(p.path.parent, p.path.name.removesuffix(PRIVATE_SUFFIX)): p for p in private_parts}
    loaded = []
    for source in sources:
        folder.sources[source.display] = source
        part = parts.pop((source.path.parent, source.path.stem), None) if parts else None
        if part is None:
            facts, packed, problems = read[source.display]
        else:
            folder.sources[part.display] = part
            facts, packed, problems = _packed(
                _checked_within(
                    _load_with_private(folder, source, part, identities), source.display, None
                )
            )
        folder.problems.extend(problems)
        if facts is not None and packed is not None:
            loaded.append((source, facts, packed))
    for part in parts.values():
        folder.sources[part.display] = part
        folder.problems.append(
            Problem(
                part.display,
                "W002",
                f"ignored: no dossier {part.path.name.removesuffix(PRIVATE_SUFFIX)}.yaml beside "
                "this sealed private part",
            )
        )
    return loaded


def _read(folder: CallFolder, source: Source) -> tuple[str | None, list[Problem]]:
    """A file's text, kept in the folder to locate its problems later."""
    text, problems = read_text(source.path, source.display)
    if text is not None:
        folder.texts[source.display] = text
    return text, problems


def _parsed(
    folder: CallFolder, source: Source
) -> tuple[dict[str, Any] | None, Locations | None, list[Problem]]:
    """A file's data and locations, or why it cannot be read or parsed."""
    text, problems = _read(folder, source)
    if text is None:
        return None, None, problems
    return parse_document(text, source.display, MAX_VALUES)


#: A dossier file read: the valid dossier, what is known of it, and its problems.
DossierMade = tuple[Dossier | None, DossierParts | None, list[Problem]]
#: A dossier file read, its models packed: its facts and models, when some parts are
#: known, and its problems.
DossierRead = tuple[
    DossierFacts | None, Packed[tuple[Dossier | None, DossierParts]] | None, list[Problem]
]
#: A review file read: its facts and model when valid; else, when its header is, the
#: review of its valid evaluations and the dossiers whose evaluation lost a part; its
#: problems.
ReviewRead = tuple[
    ReviewFacts | None,
    Packed[Review] | None,
    tuple[Review, frozenset[str]] | None,
    list[Problem],
]


#: Files of one kind to read: the files, the work on each one's bytes, the kind (as the
#: cache names it), and the result of a file that cannot be read, from why.
Kind = tuple[list[Source], Work, str, Callable[[list[Problem]], Any]]


def _read_kinds(
    folder: CallFolder,
    kinds: list[Kind],
    batch: Batch,
    then: Callable[[Any], Any],
) -> list[list[Any]]:
    """The work of each kind on each of its files' bytes, read by the same processes at once.

    Through the batch (cache, cores); the texts are kept, to locate problems. A file known
    by its hash (``folder.hashed``) is read only if its result is not kept. ``then`` is
    done to each result as soon as it is rebuilt (``Reading.then``).
    """
    readings: list[Reading] = []
    unread: list[dict[int, list[Problem]]] = []
    hashed = folder.hashed if batch.cache is not None else {}
    for sources, work, kind, absent in kinds:
        files: list[tuple[bytes | None, str]] = []
        keys: list[bytes] = []
        later: list[Source] = []  # by place in files: the file to read if its result is not kept
        unread.append({})
        for index, source in enumerate(sources):
            relative = folder.relative(source)
            digest = hashed.get(relative) if hashed else None
            if digest is None:
                raw, problems = read_bytes(source.path, source.display)
                if raw is None:
                    unread[-1][index] = problems
                    continue
                digest = hashlib.sha256(raw).digest()
                text, _ = decode(raw, source.display)
                if text is not None:
                    folder.texts[source.display] = text
            else:
                raw = None
            files.append((raw, source.display))
            later.append(source)
            folder.parsed[relative] = digest
            folder.digests[source.display] = "sha256:" + digest.hex()
            key = hashed_result_key(kind, source.display, digest)
            keys.append(key)
            folder.keys[kind, source.display] = key
        fill = _reader(folder, kind, later, absent)
        fetch, fetched = _fetcher(folder, kind, later, absent)
        readings.append(Reading(work, kind, files, keys, fill, then, fetch=fetch, fetched=fetched))
    answers = []
    for (sources, _, _, absent), missing, results in zip(
        kinds, unread, batch.run_all(readings), strict=True
    ):
        made = iter(results)
        answers.append(
            [absent(missing[i]) if i in missing else next(made) for i in range(len(sources))]
        )
    return answers


def _reader(
    folder: CallFolder, kind: str, sources: list[Source], absent: Callable[[list[Problem]], Any]
) -> Callable[[int], bytes | Made]:
    """The bytes of the ``i``-th of these files, read now (``CallFolder.read_hashed``).

    Of one gen does not read, the result that says why.
    """

    def fill(index: int) -> bytes | Made:
        raw = folder.read_hashed(sources[index], kind)
        return raw if isinstance(raw, bytes) else Made(absent(raw))

    return fill


def _fetcher(
    folder: CallFolder, kind: str, sources: list[Source], absent: Callable[[list[Problem]], Any]
) -> tuple[Callable[[int], Fetch], Callable[[int, Fetched], Made | None]]:
    """How the process that parses the ``i``-th of these files, known by its hash, reads it.

    Then what it read is told here as ``read_hashed`` would have read it: a file that
    changed since it was hashed, or that could not be read, is noted.
    """

    def fetch(index: int) -> Fetch:
        source = sources[index]
        try:
            size = os.lstat(source.path).st_size  # a link is not followed: it is refused
        except OSError:
            size = 0  # the process that reads it says why
        return Fetch(read_bytes, source.path, folder.hashed[folder.relative(source)], size)

    def fetched(index: int, out: Fetched) -> Made | None:
        source = sources[index]
        if not out.digest:
            folder.unread(source, kind)
            return Made(absent(out.problems))
        folder.read_again(source, kind, out.raw, out.digest)
        return None

    return fetch, fetched


def _parsed_bytes(raw: bytes, display: str) -> tuple[Any, Locations | None, list[Problem]]:
    """A file's data and locations from its bytes, or why they cannot be read as YAML."""
    text, problems = decode(raw, display)
    if text is None:
        return None, None, problems
    return parse_document(text, display, MAX_VALUES)


def dossier_from_bytes(raw: bytes, display: str) -> DossierRead:
    """One dossier file's bytes read: its facts and models, and its problems.

    The problems include those of the rules within the dossier, located in its text.
    """
    data, where, problems = _parsed_bytes(raw, display)
    if data is None:
        return None, None, problems
    return _packed(_checked_within(_dossier_from(data, where, display), display, where))


def _unpacked(result: tuple[Any, ...]) -> tuple[Any, ...]:
    """A dossier's or review's result with its models built: its bytes freed at once."""
    for part in result:
        if isinstance(part, Packed):
            part.get()
    return result


def _kept_packed(result: tuple[Any, ...]) -> tuple[Any, ...]:
    """A dossier's or review's result with its models left packed."""
    return result


def _no_dossier(problems: list[Problem]) -> DossierRead:
    return None, None, problems


def _no_review(problems: list[Problem]) -> ReviewRead:
    return None, None, None, problems


def _packed(made: DossierMade) -> DossierRead:
    """A dossier read, with its facts and its models packed."""
    item, known, problems = made
    if known is None:
        return None, None, problems
    return DossierFacts.of(known, item is not None), Packed.holding((item, known)), problems


def whole_dossier(packed: Packed[tuple[Dossier | None, DossierParts]]) -> Dossier:
    """The dossier of an entry whose facts say it is whole."""
    dossier = packed.get()[0]
    if dossier is None:
        raise ValueError("the dossier of an entry that is not whole")
    return dossier


def _checked_within(read: DossierMade, display: str, where: Locations | None) -> DossierMade:
    """A dossier read, with the problems of the rules within it (dates, budget...)."""
    item, known, problems = read
    if known is None:
        return read
    return item, known, problems + [_located(p, where) for p in dossier_problems(known, display)]


#: The fields of a dossier: a file in a round folder that has none of them is not one.
_DOSSIER_FIELDS = frozenset(Dossier.model_fields)
_REVIEW_FIELDS = frozenset(Review.model_fields)


def _dossier_from(data: dict[str, Any], where: Locations | None, display: str) -> DossierMade:
    """Validate a dossier's data; when it fails, keep the parts that are valid."""
    if not _DOSSIER_FIELDS & set(data):
        looks = (
            "it looks like a review: move it to the round's reviews/ folder"
            if set(data) >= _REVIEW_FIELDS
            else f"it has none of a dossier's fields ({', '.join(sorted(_DOSSIER_FIELDS))}); "
            "move it out of the round's folder, or start from `gen new dossier`"
        )
        return (
            None,
            None,
            [Problem(display, "W002", f"ignored: this does not look like a dossier; {looks}")],
        )
    item, problems = validated_data(data, where, display, Dossier)
    if item is not None:
        return item, DossierParts.of(item), problems
    return None, DossierParts.known(salvage(Dossier, data)), problems


def review_from_bytes(raw: bytes, display: str) -> ReviewRead:
    """One review file's bytes read: the review; or, when it fails, its valid evaluations.

    The partial review comes with the dossiers whose evaluation lost a part.
    """
    data, where, problems = _parsed_bytes(raw, display)
    if data is None:
        return None, None, None, problems
    review, problems = validated_data(data, where, display, Review)
    if review is not None:
        return ReviewFacts.of(review), Packed.holding(review), None, problems
    values = salvage(Review, data)
    if set(values) != set(Review.model_fields):
        return None, None, None, problems
    incomplete = frozenset(
        str(p.loc[1]) for p in problems if len(p.loc) > 1 and p.loc[0] == "evaluations"
    )
    return None, None, (Review.model_construct(**values), incomplete), problems


def _load_with_private(
    folder: CallFolder, source: Source, part: Source, identities: Sequence[Any]
) -> DossierMade:
    """A dossier whose private fields are sealed beside it, opened in memory if possible."""
    data, where, problems = _parsed(folder, source)
    if data is None:
        return None, None, problems
    call = folder.call
    private = set(call.sealing.private) if call and call.sealing else {"contact"}
    shown = part.display
    doubled = [
        Problem(
            source.display,
            "E013",
            f"{key} is sealed in {part.path.name}: remove it from this file, which is public",
            loc=(key,),
            at_key=True,
        )
        for key in sorted(private & set(data))
    ]
    if doubled:
        return (
            None,
            DossierParts.known(salvage(Dossier, data)),
            [_located(p, where) for p in doubled],
        )
    if part.path.is_symlink() or not part.path.is_file():
        problem = Problem(shown, "E010", "not a regular file: gen does not follow links")
        return None, DossierParts.known(salvage(Dossier, data)), [problem]
    if not identities:
        folder.private_sealed.append(part)
        stand_in = {key: SEALED_CONTACT for key in private}
        return _dossier_from({**data, **stand_in}, where, source.display)
    secret, private_where, problems, plain = load_sealed_mapping(part, identities)
    if secret is None:
        return None, DossierParts.known(salvage(Dossier, data)), problems
    folder.opened[shown] = plain or ""
    extra = sorted(set(secret) - private)
    if extra:
        return (
            None,
            DossierParts.known(salvage(Dossier, data)),
            [
                Problem(
                    shown,
                    "E013",
                    f"{key} is not a field this call seals (sealing.private: "
                    f"{', '.join(sorted(private))}): keep it in the dossier's public file",
                    loc=(key,),
                    at_key=True,
                )
                for key in extra
            ],
        )
    merged = {**data, **secret}
    try:
        item = Dossier.model_validate(merged)
        return item, DossierParts.of(item), []
    except ValidationError as error:
        found = validation_problems(error, merged, source.display)
    located = [
        _located(replace(p, path=shown), private_where)
        if p.loc and p.loc[0] in secret
        else _located(p, where)
        for p in found
    ]
    return None, DossierParts.known(salvage(Dossier, merged)), located


def load_sealed_mapping(
    source: Source, identities: Sequence[Any]
) -> tuple[dict[str, Any] | None, Locations | None, list[Problem], str | None]:
    """Open a sealed YAML mapping in memory: its data, locations, problems and plaintext."""
    text, problems = read_sealed(source, identities)
    if text is None:
        return None, None, problems, None
    data, where, problems = parse_document(text, source.display, MAX_VALUES)
    return data, where, problems, text


def validated_data(
    data: Any, where: Locations | None, display: str, model: type[M]
) -> tuple[M | None, list[Problem]]:
    """Validate parsed data against its model, with problems located."""
    try:
        return model.model_validate(data), []
    except ValidationError as error:
        return None, [
            _located(problem, where) for problem in validation_problems(error, data, display)
        ]


def load_one(folder: CallFolder, source: Source, model: type[M]) -> tuple[M | None, list[Problem]]:
    """Read, parse and validate one file against its model, keeping its text."""
    text, problems = _read(folder, source)
    if text is None:
        return None, problems
    return validated(text, source, model)


def _load_all(folder: CallFolder, sources: list[Source], model: type[M]) -> list[tuple[Source, M]]:
    loaded = []
    for source in sources:
        folder.sources[source.display] = source
        item, problems = load_one(folder, source, model)
        folder.problems.extend(problems)
        if item is not None:
            loaded.append((source, item))
    return loaded

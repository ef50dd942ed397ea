"""Organisation names compared as a reader sees them, whatever the spelling (#8).

A conflict of interest must not be dodged by writing a reviewer's organisation with a
Cyrillic letter that looks Latin, a legal form ("SAS", "association"), other case,
accents or punctuation. Names are reduced to a key: Unicode NFKC, case folded, accents
dropped, the common Cyrillic and Greek look-alikes of Latin letters folded to them (the
letters of Unicode TR39's confusables that occur in organisation names), legal forms and
everything but letters and digits removed.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from gen_cli.identifiers import siren_of
from gen_cli.models import Dossier, DossierParts, Person

#: Cyrillic and Greek letters (case folded) that look like a Latin letter.
_LOOK_ALIKES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j",
        "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l",
        # Greek
        "α": "a", "β": "b", "ε": "e", "ζ": "z", "η": "h", "ι": "i", "κ": "k", "μ": "m",
        "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ϲ": "c",
    }
)  # fmt: skip

#: Legal forms and their like: not part of what names an organisation.
LEGAL_FORMS = frozenset(
    {
        "sa", "sas", "sasu", "sarl", "eurl", "sci", "scop", "scic", "snc", "gie", "gip",
        "association", "asso", "ste", "societe", "inc", "ltd", "llc", "gmbh",
    }
)  # fmt: skip


def _folded(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold().translate(_LOOK_ALIKES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


#: Each dossier's organisations are met once by each of its reviewers, files apart: the
#: names of 100,000 dossiers (a lead and two partners each) must all stay known.
@lru_cache(maxsize=1 << 20)
def name_key(name: str) -> str:
    """The key two spellings of one organisation share: ``"EPITECH SAS"`` -> ``"epitech"``."""
    words = re.findall(r"[a-z0-9]+", _folded(name))
    kept = [w for w in words if w not in LEGAL_FORMS] or words
    return "".join(kept)


_ASCII_LETTER = re.compile("[A-Za-z]")
_NOT_ASCII = re.compile("[^\x00-\x7f]")


@lru_cache(maxsize=65_536)
def scripts(name: str) -> frozenset[str]:
    """The alphabets of a name's letters (``LATIN``, ``CYRILLIC``, ``GREEK``...)."""
    normal = unicodedata.normalize("NFKC", name)
    # Letters outside ASCII are few in a name: only they are looked up one by one.
    found = {_script(char) for char in _NOT_ASCII.findall(normal) if char.isalpha()}
    if _ASCII_LETTER.search(normal):
        found.add("LATIN")
    return frozenset(found)


@lru_cache(maxsize=4096)
def _script(letter: str) -> str:
    return unicodedata.name(letter, "UNKNOWN").split(" ", 1)[0]


def conflict_of_interest(reviewer: Person, dossier: Dossier | DossierParts) -> str | None:
    """Name the organisation of ``dossier`` that ``reviewer`` is affiliated with, if any.

    Organisations match by SIREN, or by name when either side gives no number. Of a
    dossier known only in part, the organisations that are known are matched.
    """
    sirens: dict[str, str] = {}
    names: dict[str, str] = {}
    for affiliation in reviewer.affiliations:
        number = affiliation.siren or affiliation.siret
        if number:
            sirens[siren_of(number)] = affiliation.name
        names[name_key(affiliation.name)] = affiliation.name
    leads = [dossier.porteur] if dossier.porteur is not None else []
    organisations = [(p.name, p.siret, "leads") for p in leads] + [
        (p.name, p.siret, "is a partner of") for p in dossier.partners or []
    ]
    for name, siret, role in organisations:
        if siret and siren_of(siret) in sirens:
            return f"{name} (SIREN {siren_of(siret)}), which {role} dossier {dossier.id}"
        if name_key(name) in names:
            return f"{name}, which {role} dossier {dossier.id}"
    return None


def screened_conflict(
    reviewer: Person,
    affiliated: frozenset[bytes],
    organisations: bytes | None,
    parts: Callable[[], Dossier | DossierParts],
) -> str | None:
    """:func:`conflict_of_interest`, the dossier read (``parts``) only if it may find one.

    Args:
        affiliated: the reviewer's :func:`person_digests`.
        organisations: the dossier's :func:`key_digests` (its facts'); None when not known.
    """
    if organisations is not None and not digests_meet(affiliated, organisations):
        return None  # no key of theirs meets: conflict_of_interest would find none
    return conflict_of_interest(reviewer, parts())


#: An organisation's keys: the SIRENs and the name keys it goes by.
Keys = tuple[frozenset[str], frozenset[str]]


def affiliation_keys(person: Person) -> Keys:
    """The keys of the organisations a person is affiliated with."""
    return (
        frozenset(
            siren_of(a.siren or a.siret or "") for a in person.affiliations if a.siren or a.siret
        ),
        frozenset(name_key(a.name) for a in person.affiliations),
    )


def organisation_keys(dossier: Dossier | DossierParts) -> Keys:
    """The keys of a dossier's lead and partners (those known, of a dossier known in part)."""
    lead = dossier.porteur
    organisations: list[tuple[str, str | None]] = []
    if lead is not None:
        organisations.append((lead.name, lead.siret))
    organisations += [(p.name, p.siret) for p in dossier.partners or []]
    return (
        frozenset(siren_of(siret) for _, siret in organisations if siret),
        frozenset(name_key(name) for name, _ in organisations),
    )


def keys_conflict(person: Keys, dossier: Keys) -> bool:
    """Whether a person's affiliations and a dossier's organisations meet.

    The same test as :func:`conflict_of_interest` (by SIREN, or by name), on keys computed
    once per organisation.
    """
    return bool(person[0] & dossier[0] or person[1] & dossier[1])


#: The size of an organisation key's digest (:func:`key_digests`).
_DIGEST = 8


def key_digests(keys: Keys) -> bytes:
    """The keys, each hashed to a few bytes, joined: what a dossier's facts hold of them.

    Equal keys have equal digests, so no conflict is missed by comparing digests; keys
    that only share a digest are told apart by :func:`conflict_of_interest` on the dossier
    itself. A few dozen bytes a dossier, where its names would take hundreds.
    """
    sirens, names = keys
    found = {_digest(b"siren", s) for s in sirens} | {_digest(b"name", n) for n in names}
    return b"".join(sorted(found))


def person_digests(person: Person) -> frozenset[bytes]:
    """The digests of the keys of the organisations a person is affiliated with."""
    return frozenset(_split(key_digests(affiliation_keys(person))))


def digests_meet(person: frozenset[bytes], dossier: bytes) -> bool:
    """Whether a person's digests and a dossier's (:func:`key_digests`) share one."""
    return any(digest in person for digest in _split(dossier))


def _digest(kind: bytes, key: str) -> bytes:
    return hashlib.blake2b(
        key.encode("utf-8", "surrogateescape"), digest_size=_DIGEST, person=kind
    ).digest()


def _split(digests: bytes) -> list[bytes]:
    return [digests[i : i + _DIGEST] for i in range(0, len(digests), _DIGEST)]

"""Helping a user fix a value: "did you mean", lists of allowed values, French-style numbers.

Suggestions are computed only for the problems shown (at most a few dozen a file), and
each compares the word with candidates of about its length, so a long list of candidates
(every dossier of a round) costs one pass, not a quadratic search.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

#: Allowed values printed in full up to this many; a longer list is summarised.
SHOWN_VALUES = 6


def folded(text: str) -> str:
    """``text`` as a user may have meant it: lower case, no accents, hyphens for spaces."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s_'’]+", "-", plain)


def suggestion(word: str, candidates: Iterable[str], *, close: bool = True) -> str | None:
    """The candidate the user most likely meant by ``word``, or None.

    The same word in other case or accents first (``Bretagne``, ``Île-de-France``); then
    a word that starts the only candidate it starts (``jeunes``); then a close spelling
    (``occitannie``), unless ``close`` is false: ids such as ``2022Q3`` are close to
    other ids without being their misspelling.
    """
    key = folded(word)
    if not key:
        return None
    pool = sorted(set(candidates))
    if word in pool:
        return None
    by_key = {folded(c): c for c in pool}
    if key in by_key and by_key[key] != word:
        return by_key[key]
    starting = [c for k, c in by_key.items() if k.startswith(key + "-")]
    if len(starting) == 1:
        return starting[0]
    if not close:
        return None
    slack = max(3, len(key) // 2)
    near = [k for k in by_key if abs(len(k) - len(key)) <= slack]
    found = difflib.get_close_matches(key, near, n=1, cutoff=0.75)
    return by_key[found[0]] if found and by_key[found[0]] != word else None


def did_you_mean(word: str, candidates: Iterable[str], *, close: bool = True) -> str:
    """``"; did you mean 'x'?"``, or nothing when no candidate is close."""
    found = suggestion(word, candidates, close=close)
    return f"; did you mean {found!r}?" if found is not None else ""


def hint(word: str, candidates: Iterable[str], where: str, *, close: bool = True) -> str:
    """``"; did you mean 'x'?"`` when a candidate is close, else the allowed values.

    Args:
        where: where the full list is, such as ``"call.yaml"``.
    """
    pool = list(candidates)
    found = did_you_mean(word, pool, close=close)
    return found or f" ({allowed(pool, where)})"


def allowed(values: Iterable[str], where: str) -> str:
    """The allowed values in a sentence: all of them if few, else a count and where to look.

    Args:
        where: where the full list is, such as ``"call.yaml's themes"``.
    """
    items = list(dict.fromkeys(values))
    if not items:
        return f"none is declared in {where}"
    if len(items) <= SHOWN_VALUES:
        quoted = [repr(v) for v in items]
        listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
        return f"write {listed}"
    return f"write one of the {len(items)} values listed in {where}"


_SPACES = "\u0020\u00a0\u202f\u2009"


def french_number(text: str) -> str | None:
    """How to write ``text`` as gen reads numbers, when it is a number written the French way.

    ``40 000`` → ``40000``, ``25000,50`` → ``25000.50``, ``55%`` → ``55``, ``38 000 €`` →
    ``38000``. None when ``text`` is not such a number.
    """
    cleaned = "".join(c for c in text if c not in _SPACES)
    cleaned = re.sub(r"(€|eur|EUR|%)$", "", cleaned)
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    if cleaned == text or not re.fullmatch(r"[0-9]+(\.[0-9]+)?", cleaned):
        return None
    return (
        f"write {cleaned}: a number is written with digits and a decimal point, "
        "without spaces, € or %"
    )

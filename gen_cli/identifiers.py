"""French company identifiers: SIREN (9 digits) and SIRET (14 digits), Luhn-checked."""

from __future__ import annotations

#: La Poste's SIREN: its many establishments' SIRETs do not pass Luhn; instead the
#: digits of the SIRET add up to a multiple of 5 (INSEE's documented exception).
LA_POSTE_SIREN = "356000000"


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn checksum."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _spaced(value: str, digits: int) -> str:
    """The fix for a number written with spaces or dots, as it is often printed."""
    bare = "".join(c for c in value if c not in " .\u00a0\u202f")
    if bare != value and len(bare) == digits and bare.isascii() and bare.isdigit():
        return f": remove the spaces, and write {bare}"
    return ""


def siren_problem(value: str) -> str | None:
    """Why ``value`` is not a valid SIREN, or None when it is."""
    if len(value) != 9 or not value.isascii() or not value.isdigit():
        return f"SIREN {value!r} must be 9 digits{_spaced(value, 9)}"
    if not luhn_ok(value):
        return f"SIREN {value} fails its check digit (Luhn)"
    return None


def siret_problem(value: str) -> str | None:
    """Why ``value`` is not a valid SIRET, or None when it is."""
    if len(value) != 14 or not value.isascii() or not value.isdigit():
        return f"SIRET {value!r} must be 14 digits{_spaced(value, 14)}"
    if value.startswith(LA_POSTE_SIREN):
        if value == LA_POSTE_SIREN + "00048" or sum(map(int, value)) % 5 == 0:
            return None
        return f"SIRET {value} fails La Poste's check (digits must add up to a multiple of 5)"
    if siren_problem(value[:9]) is not None:
        return f"SIRET {value} has an invalid SIREN part {value[:9]} (Luhn)"
    if not luhn_ok(value):
        return f"SIRET {value} fails its check digit (Luhn)"
    return None


def siren_of(identifier: str) -> str:
    """The SIREN (first 9 digits) of a SIREN or SIRET."""
    return identifier[:9]


def complete_siret(prefix13: str) -> str:
    """Append the Luhn check digit to 13 digits (used to make example data)."""
    return _complete(prefix13)


def complete_siren(prefix8: str) -> str:
    """Append the Luhn check digit to 8 digits (used to make example data)."""
    return _complete(prefix8)


def _complete(prefix: str) -> str:
    for last in "0123456789":
        if luhn_ok(prefix + last):
            return prefix + last
    raise AssertionError("unreachable: one digit always completes a Luhn number")

"""Numbers, amounts and dates formatted for a published document's language (Babel)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

from gen_cli.models import Call, Round

LOCALES = {"fr": "fr_FR", "en": "en_GB"}


@lru_cache(maxsize=65_536)  # equal amounts print alike (30000 and 30000.0): Babel is slow
def money(value: Decimal, lang: str) -> str:
    """An amount in euros: ``1 600 000 €`` in French, ``€1,600,000`` in English."""
    whole = value == value.to_integral_value()
    if lang == "fr":
        pattern = "#,##0\u00a0¤" if whole else "#,##0.00\u00a0¤"
    else:
        pattern = "¤#,##0" if whole else "¤#,##0.00"
    return format_currency(
        value, "EUR", format=pattern, locale=LOCALES[lang], currency_digits=False
    )


@lru_cache(maxsize=65_536, typed=True)  # every page of a large publication prints the same few
def number(value: int | Decimal, lang: str) -> str:
    """A count: ``10 000`` in French, ``10,000`` in English."""
    return format_decimal(value, locale=LOCALES[lang])


@lru_cache(maxsize=65_536, typed=True)
def percent(value: Decimal, lang: str) -> str:
    """A share between 0 and 1 as a percentage: ``52,8 %`` / ``52.8%``."""
    return format_percent(
        value, format="#,##0.#\u00a0%" if lang == "fr" else "#,##0.#%", locale=LOCALES[lang]
    )


@lru_cache(maxsize=65_536)  # a large publication prints the same few dates on every page
def day(value: date, lang: str) -> str:
    """A date in words: ``18 novembre 2021``, ``1er juin 2022`` / ``18 November 2021``."""
    text = format_date(value, format="long", locale=LOCALES[lang])
    if lang == "fr" and value.day == 1:
        return "1er" + text.removeprefix("1")  # French writes the first of a month 1er
    return text


def capitalised(text: str) -> str:
    """``text`` with a capital first letter."""
    return text[:1].upper() + text[1:]


def round_name(call: Call, round_: Round | None, lang: str) -> str:
    """How the publication names a round: its label, else the call's word and its closing day.

    ``Relevé du 30 septembre 2021`` / ``Round of 30 September 2021``.
    """
    if round_ is None:
        return ""
    if round_.label is not None:
        return str(getattr(round_.label, lang))
    word = getattr(call.round_word, lang)
    on = day(round_.closes, lang)
    return capitalised(f"{word} du {on}" if lang == "fr" else f"{word} of {on}")

"""Numbers, amounts and dates formatted for a published document's language (Babel)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

LOCALES = {"fr": "fr_FR", "en": "en_GB"}


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


def number(value: int | Decimal, lang: str) -> str:
    """A count: ``10 000`` in French, ``10,000`` in English."""
    return format_decimal(value, locale=LOCALES[lang])


def percent(value: Decimal, lang: str) -> str:
    """A share between 0 and 1 as a percentage: ``52,8 %`` / ``52.8%``."""
    return format_percent(
        value, format="#,##0.#\u00a0%" if lang == "fr" else "#,##0.#%", locale=LOCALES[lang]
    )


def day(value: date, lang: str) -> str:
    """A date in words: ``18 novembre 2021`` / ``18 November 2021``."""
    return format_date(value, format="long", locale=LOCALES[lang])

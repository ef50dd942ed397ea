"""The file formats as pydantic models: the call file, a dossier, a review.

Models are pure data: no I/O, and no locations (those live in ``yamlload.Locations``).
Every model forbids unknown fields so that a typo is an error, not a silently ignored key.
Checks that span several fields or files live in ``rules``.
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from gen_cli.identifiers import siren_problem, siret_problem
from gen_cli.layout import DEFAULT_TIMEZONE
from gen_cli.regions import RegionSlug
from gen_cli.scalars import PLAIN_DECIMAL, NotABoolean, NotANumber, QuotedNumber


class Model(BaseModel):
    """Base of every format: unknown fields are refused, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _not_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise PydanticCustomError(
            "negative_amount", "amount must not be negative, got {value}", {"value": str(value)}
        )
    return value


def _positive_weight(value: Decimal) -> Decimal:
    if value <= 0:
        raise PydanticCustomError(
            "weight", "weight must be above zero, got {value}", {"value": str(value)}
        )
    return value


def _siret(value: str) -> str:
    problem = siret_problem(value)
    if problem:
        raise PydanticCustomError("siret", problem)
    return value


def _siren(value: str) -> str:
    problem = siren_problem(value)
    if problem:
        raise PydanticCustomError("siret", problem)
    return value


def _digits_as_text(value: Any) -> Any:
    # An unquoted SIRET is read by YAML as an integer; accept it as its digits.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


_EMAIL = re.compile(
    r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


def _email(value: str) -> str:
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise PydanticCustomError(
            "email", "{value} is not a valid email address", {"value": repr(value)}
        )
    return value


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def why_not_a_date(text: str) -> str | None:
    """Why ``text`` is not a date written YYYY-MM-DD, in plain words; None when it is one."""
    found = re.fullmatch(r"\s*([0-9]+)-([0-9]+)-([0-9]+)(.*)", text, re.DOTALL)
    if found is None:
        return "it is not written YYYY-MM-DD"
    year, month, day = (int(part) for part in found.groups()[:3])
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    if not 1 <= year <= 9999:
        return f"there is no year {year}"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"{_MONTHS[month - 1]} {year} has {days} days"
    if found.group(4).strip():
        return "a date has no time"
    if not re.fullmatch(r"\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*", text):
        return f"write it {year:04}-{month:02}-{day:02}"
    return None


def _date_input(value: Any) -> Any:
    # pydantic would read a number as a Unix timestamp; a date in a dossier is written out.
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and (reason := why_not_a_date(value)) is not None:
        raise PydanticCustomError(
            "date_value",
            "{value} is not a date: {reason}; a date is written YYYY-MM-DD, for example 2021-09-30",
            {"value": value, "reason": reason},
        )
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        raise PydanticCustomError(
            "date_type", "a date is written YYYY-MM-DD, for example 2021-09-30, not a number"
        )
    return value


def _true_or_false(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, NotABoolean):
        meaning = "true" if value.lower() in {"yes", "on"} else "false"
        raise PydanticCustomError(
            "bool_value",
            "write true or false: {value} means {meaning} to some programs and is text to "
            "others, so gen reads only true and false (write {meaning})",
            {"value": str(value), "meaning": meaning},
        )
    raise PydanticCustomError("bool_value", "write true or false here")


Flag = Annotated[bool, BeforeValidator(_true_or_false), WithJsonSchema({"type": "boolean"})]
"""true or false, as YAML 1.2 and editors read them: never yes, no, on or off."""


def _plain_digits(value: Any) -> Any:
    # true and false are booleans, which pydantic would take for 1 and 0; yes, no, on and
    # off are read as text, and get the same words.
    if isinstance(value, bool | NotABoolean):
        raise PydanticCustomError(
            "decimal_type",
            "write a number with plain digits, like 38000; yes, no, on, off, true and false "
            "are not numbers",
        )
    # Text where a number is expected ("0o17", "38 000") gets the same words as 0x10.
    if isinstance(value, NotANumber) or (
        isinstance(value, str) and not PLAIN_DECIMAL.fullmatch(value)
    ):
        raise PydanticCustomError(
            "decimal_type",
            "write the number with plain digits, like 38000 or 38000.50 (no _, no exponent, "
            "no 0x), not {value}",
            {"value": str(value)},
        )
    if isinstance(value, QuotedNumber):
        # '30500' in quotes is text to YAML and to editors: the format asks for a number
        raise PydanticCustomError(
            "decimal_type",
            "write {value} without quotes: in quotes it is text, and a number goes here",
            {"value": str(value)},
        )
    return value


def _schema(**keywords: Any) -> WithJsonSchema:
    """What the exported JSON Schema says of a type, for editors (YAML 1.2) to check it."""
    return WithJsonSchema(keywords)


Money = Annotated[
    Decimal,
    Field(max_digits=15, decimal_places=2, allow_inf_nan=False),
    BeforeValidator(_plain_digits),
    AfterValidator(_not_negative),
    _schema(type="number", minimum=0, multipleOf=0.01),
]
"""An amount in euros: an integer or at most two decimals, never a float."""

Digits = BeforeValidator(_plain_digits)
# In each number's type, Field's limits come before Digits: pydantic then checks them in its
# core, not in Python after Digits (2 µs a value instead of 7, for a call's million grades).
# Percent keeps its order: of 100.001 it says "at most 100", not "two decimals at most".
Percent = Annotated[
    Decimal,
    Digits,
    Field(ge=0, le=100, decimal_places=2, allow_inf_nan=False),
    _schema(type="number", minimum=0, maximum=100, multipleOf=0.01),
]
Weight = Annotated[
    Decimal,
    Field(allow_inf_nan=False, max_digits=9),
    Digits,
    AfterValidator(_positive_weight),
    _schema(type="number", exclusiveMinimum=0),
]
Number = Annotated[
    Decimal, Field(allow_inf_nan=False, max_digits=15), Digits, _schema(type="number")
]
Mark20 = Annotated[
    Decimal,
    Field(ge=0, le=20, allow_inf_nan=False),
    Digits,
    _schema(type="number", minimum=0, maximum=20),
]
Count = Annotated[
    int, Field(ge=0, le=10_000_000), Digits, _schema(type="integer", minimum=0, maximum=10_000_000)
]


def _digits_schema(digits: int) -> WithJsonSchema:
    """An identifier of ``digits`` digits, in quotes or not (YAML reads it as a number)."""
    return _schema(
        anyOf=[
            {"type": "string", "pattern": f"^[0-9]{{{digits}}}$"},
            {"type": "integer", "minimum": 10 ** (digits - 1), "maximum": 10**digits - 1},
        ]
    )


#: A SIRET in quotes, or unquoted (YAML reads 14 digits as a number: gen takes its digits).
Siret = Annotated[str, BeforeValidator(_digits_as_text), AfterValidator(_siret), _digits_schema(14)]
Siren = Annotated[str, BeforeValidator(_digits_as_text), AfterValidator(_siren), _digits_schema(9)]
Email = Annotated[
    str,
    AfterValidator(_email),
    _schema(type="string", format="email", pattern="^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", maxLength=254),
]
Day = Annotated[
    date,
    BeforeValidator(_date_input),
    _schema(type="string", format="date", pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
RoundId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]
#: Characters that can make text say something else than it shows: bidirectional
#: controls (U+202A–U+202E, U+2066–U+2069) and invisible format characters (#8).
_DECEPTIVE = frozenset(
    [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF]
)


def _honest(value: str, *, lines: bool) -> str:
    # Every character refused below is a control, format or surrogate one, which
    # isprintable() refuses too: most text is cleared without a loop in Python.
    if (value.replace("\n", " ").replace("\t", " ") if lines else value).isprintable():
        return value
    for char in value:
        code = ord(char)
        if lines and char in "\n\t":
            continue
        if code in _DECEPTIVE or unicodedata.category(char) in {"Cc", "Cf", "Cs"}:
            name = unicodedata.name(char, "a control character")
            raise PydanticCustomError(
                "text_character",
                "U+{code} ({name}) is not allowed here: it can hide or reorder what a reader "
                "sees; remove it",
                {"code": f"{code:04X}", "name": name},
            )
    return value


def _one_line(value: str) -> str:
    return _honest(value, lines=False)


def _multi_line(value: str) -> str:
    return _honest(value, lines=True)


#: What makes a spreadsheet read a cell as a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def starts_a_formula(value: str) -> bool:
    """Whether a spreadsheet could run ``value`` as a formula.

    At its start, or after a ; (French spreadsheets split a CSV file on ;).
    """
    if ";" not in value:  # most values: no split, one strip
        return value.startswith(FORMULA_STARTS) or value.strip().startswith(FORMULA_STARTS)
    parts = [value, *(part.strip() for part in value.split(";"))]
    return any(part.startswith(FORMULA_STARTS) for part in parts)


def _not_a_formula(value: str) -> str:
    # A name or title is published as is in CSV files (SCDL's must not be altered): one
    # that a spreadsheet would run as a formula is refused at the source.
    if starts_a_formula(value):
        raise PydanticCustomError(
            "formula",
            "{value} begins with =, +, - or @ (at its start or after a ;), which makes a "
            "spreadsheet run the cell as a formula when the published data is opened: begin "
            "with a letter or a digit",
            {"value": repr(value if len(value) <= 40 else value[:37] + "...")},
        )
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_one_line),
    AfterValidator(_not_a_formula),
]
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=256),
    AfterValidator(_one_line),
    AfterValidator(_not_a_formula),
]
Text = Annotated[str, StringConstraints(max_length=20_000), AfterValidator(_multi_line)]


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ValueError, OSError, ZoneInfoNotFoundError):  # OSError: timezone: Europe, a folder
        raise PydanticCustomError(
            "time_zone",
            "{value} is not a time zone name such as Europe/Paris",
            {"value": repr(value)},
        ) from None
    return value


TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_time_zone)]

LeadKind = Literal["organisme-formation", "partenaire-organisme-formation"]
"""An IT training organisation, or a structure working in partnership with one."""

Public = Literal[
    "demandeurs-emploi",
    "femmes",
    "personnes-handicapees",
    "refugies",
    "residents-qpv",
    "jeunes-sans-qualification",
    "seniors",
    "residents-zones-rurales",
]
"""Target publics of the Grande école du numérique (QPV: priority neighbourhoods)."""


# --- The dossier -----------------------------------------------------------------------


class Porteur(Model):
    """The lead organisation of a project."""

    name: Name
    siret: Siret
    kind: LeadKind
    region: RegionSlug
    gen_labelled: Flag = Field(description="Runs trainings labelled Grande école du numérique.")


#: Where organisations are registered with a SIRET: France and the overseas territories
#: under the same register (not New Caledonia or French Polynesia, which have their own).
SIRET_COUNTRIES = frozenset({"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF"})


@functools.cache
def _countries() -> frozenset[str]:
    from babel import Locale  # CLDR's territories, loaded when a partner gives a country

    codes = (str(code) for code in Locale("en").territories)
    # CLDR also names groupings and placeholders that register no organisation.
    not_countries = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"}
    return frozenset(c for c in codes if len(c) == 2 and c.isalpha() and c not in not_countries)


def _country(value: str) -> str:
    if value not in _countries():
        raise PydanticCustomError(
            "country",
            "{value} is not a country code: write the ISO 3166 two-letter code in capitals, "
            "such as BE or DE",
            {"value": value},
        )
    return value


class Partner(Model):
    """A partner organisation; French ones give their SIRET, others their country."""

    name: Name
    siret: Siret | None = None
    country: Annotated[str, AfterValidator(_country)] = Field(
        default="FR",
        description="ISO 3166 code of the country where the partner is registered, such as "
        "BE; a partner registered in France (FR) gives its SIRET.",
        json_schema_extra={"pattern": "^[A-Z]{2}$"},
    )
    role: Name


class Budget(Model):
    """The project's budget in euros."""

    total_cost: Money
    requested: Money
    other_funding: Money = Decimal(0)


class Beneficiaries(Model):
    """Who the project is for."""

    people: Annotated[
        int,
        Field(ge=1, le=10_000_000),
        Digits,
        _schema(type="integer", minimum=1, maximum=10_000_000),
    ]
    women_percent: Percent
    publics: Annotated[list[Public], Field(min_length=1)]


class Timeline(Model):
    """When the project runs."""

    start: Day
    end: Day


class Contact(Model):
    """The applicant's contact person: private, never published."""

    name: Name
    email: Email
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None


class Dossier(Model):
    """One applicant's project, as submitted for a round."""

    id: Slug
    round: RoundId
    title: Title
    summary: Text = Field(description="Markdown.")
    themes: Annotated[list[Slug], Field(min_length=1)] = Field(
        description="Theme ids of the call; the first is the principal theme."
    )
    porteur: Porteur
    partners: list[Partner] = []
    budget: Budget
    beneficiaries: Beneficiaries
    timeline: Timeline
    submitted: Day
    contact: Contact

    @property
    def principal_theme(self) -> str:
        """The theme whose grid scores the dossier."""
        return self.themes[0]


@dataclass(frozen=True)
class DossierParts:
    """What is known of a dossier: each part that is valid, even when another is not.

    A whole dossier has every part; one that fails validation has those that passed, so
    that the checks needing only them (dates, budget, round, themes) still run.
    """

    id: str | None = None
    round: str | None = None
    themes: list[str] | None = None
    porteur: Porteur | None = None
    partners: list[Partner] | None = None
    budget: Budget | None = None
    timeline: Timeline | None = None
    submitted: date | None = None

    @classmethod
    def of(cls, dossier: Dossier) -> DossierParts:
        """Every part of a valid dossier."""
        return cls(**{f.name: getattr(dossier, f.name) for f in fields(cls)})

    @classmethod
    def known(cls, values: dict[str, Any]) -> DossierParts:
        """The parts among ``values`` (validated top-level fields of a dossier)."""
        return cls(**{f.name: values[f.name] for f in fields(cls) if f.name in values})

    @property
    def principal_theme(self) -> str | None:
        """The theme whose grid scores the dossier, when its themes are known."""
        return self.themes[0] if self.themes else None


class DossierFacts(NamedTuple):
    """What the rules spanning files, and eligibility, read of every dossier file.

    A plain tuple rebuilds in a microsecond; the dossier's own models are read only where
    a rule needs more (``loading.DossierEntry``). None where the part is not valid.
    """

    id: str | None
    round: str | None
    themes: tuple[str, ...] | None
    submitted: date | None
    #: Whether the whole dossier is valid: one that is can be scored.
    whole: bool
    #: What eligibility rules read: the lead's kind, and the budget's figures.
    lead_kind: str | None = None
    requested: Decimal | None = None
    total_cost: Decimal | None = None
    #: What conflicts of interest are looked for in: the digests of its organisations'
    #: keys (``names.key_digests``); None when not known (then read from the dossier).
    organisations: bytes | None = None

    @property
    def principal_theme(self) -> str | None:
        """The theme whose grid scores the dossier, when its themes are known."""
        return self.themes[0] if self.themes else None

    @classmethod
    def of(cls, parts: DossierParts, whole: bool) -> DossierFacts:
        """The facts of a dossier's known parts."""
        from gen_cli.names import key_digests, organisation_keys  # names reads these models

        themes = tuple(parts.themes) if parts.themes is not None else None
        kind = parts.porteur.kind if parts.porteur is not None else None
        budget = parts.budget
        requested, cost = (budget.requested, budget.total_cost) if budget else (None, None)
        organisations = key_digests(organisation_keys(parts))
        return cls(
            parts.id,
            parts.round,
            themes,
            parts.submitted,
            whole,
            kind,
            requested,
            cost,
            organisations,
        )

    @classmethod
    def of_dossier(cls, dossier: Dossier) -> DossierFacts:
        """The facts of a valid dossier (what eligibility reads: its organisations' are not)."""
        budget = dossier.budget
        return cls(
            dossier.id,
            dossier.round,
            tuple(dossier.themes),
            dossier.submitted,
            True,
            dossier.porteur.kind,
            budget.requested,
            budget.total_cost,
        )


class ReviewFacts(NamedTuple):
    """What the rules spanning files read of every review file: held without its models."""

    reviewer: str
    round: str
    #: The ids of the dossiers it evaluates, in the file's order.
    dossiers: tuple[str, ...]

    @classmethod
    def of(cls, review: Review) -> ReviewFacts:
        """The facts of a review."""
        return cls(review.reviewer, review.round, tuple(review.evaluations))


# --- A reviewer's file ------------------------------------------------------------------


Grade = Annotated[
    Decimal,
    Field(allow_inf_nan=False, max_digits=6, decimal_places=2),
    Digits,
    _schema(type="number", multipleOf=0.01),
]


class Evaluation(Model):
    """One reviewer's evaluation of one dossier: grades, or a declared conflict."""

    grades: dict[Slug, Grade | None] = Field(
        default={}, description="One grade a criterion; left empty, a criterion is not graded yet."
    )
    comment: Text | None = Field(default=None, description="Private: never published.")
    conflict: (
        Annotated[
            str, StringConstraints(min_length=1, max_length=1000), AfterValidator(_multi_line)
        ]
        | None
    ) = Field(default=None, description="Declared conflict of interest: why. No grades then.")


class Review(Model):
    """One reviewer's evaluations for one round, keyed by dossier id."""

    reviewer: Slug
    round: RoundId
    evaluations: dict[Slug, Evaluation]


# --- The call file --------------------------------------------------------------------


class Label(Model):
    """A text in French and English."""

    fr: Name
    en: Name


class Theme(Model):
    """One theme of the call."""

    id: Slug
    label: Label


class ThemeEnvelope(Model):
    """A theme's part of a round's envelope: a cap, a reserved share, or both."""

    max: Money | None = Field(default=None, description="The most the theme's dossiers may get.")
    min_share: Percent | None = Field(
        default=None, description="Percent of the round's envelope reserved for the theme."
    )


class Envelope(Model):
    """A round's budget envelope, optionally with theme envelopes."""

    amount: Money
    themes: dict[Slug, ThemeEnvelope] = {}
    unspent_theme: Literal["pool", "lapse"] = Field(
        default="pool",
        description="What a theme's reserved share leaves unspent: back to the common pot, or lost.",
    )


class LateFiles(Model):
    """Dossiers merged after the round closed that the call accepts all the same.

    Only a dossier whose own ``submitted`` date lies inside the window is accepted.
    """

    dossiers: Literal["all"] | Annotated[list[Slug], Field(min_length=1)] = Field(
        description="all, or the ids of the dossiers accepted."
    )
    reason: Name = Field(description="Why: recorded with the decisions.")


class Round(Model):
    """A quarterly collection round ('relevé')."""

    id: RoundId
    opens: Day
    closes: Day
    submissions: Literal["open", "closed"] = Field(
        default="open",
        description="Whether the round still takes dossiers. The secretariat sets closed "
        "once the deadline has passed; gen never infers it from today's date.",
    )
    envelope: Envelope
    accept_late: LateFiles | None = Field(
        default=None,
        description="Dossiers merged after the round closed that are accepted all the same.",
    )
    decision_date: Day | None = None
    decision_reference: (
        Annotated[
            str,
            StringConstraints(max_length=200),
            AfterValidator(_one_line),
            AfterValidator(_not_a_formula),
        ]
        | None
    ) = None
    label: Label | None = Field(
        default=None,
        description="How the publication names the round; by default the call's word for a "
        "round and its closing date, such as « Relevé du 30 septembre 2021 ».",
    )


class Funder(Model):
    """The funding body."""

    name: Name
    siret: Siret


class Goal(Model):
    """The call's training goal."""

    people: Annotated[int, Field(ge=1), Digits]
    by: Day
    what: Label = Field(
        default=Label(fr="personnes formées", en="people trained"),
        description="What the goal counts, as the call says it (after the number).",
    )


class _Rule(Model):
    id: Slug
    message: Name


class LeadKindRule(_Rule):
    """The lead organisation must be of one of these kinds."""

    rule: Literal["lead-kind"]
    allowed: Annotated[list[LeadKind], Field(min_length=1)]


class RequestedAmountRule(_Rule):
    """The amount requested must lie between a floor and a cap."""

    rule: Literal["requested-amount"]
    min: Money = Decimal(0)
    max: Money | None = None


class CostShareRule(_Rule):
    """The grant may cover at most this share of the project's total cost."""

    rule: Literal["cost-share"]
    max_percent: Percent


class SubmissionWindowRule(_Rule):
    """The dossier must be submitted inside its round's window."""

    rule: Literal["submission-window"]


class ThemesRule(_Rule):
    """The dossier must declare at least this many themes."""

    rule: Literal["themes"]
    min: Annotated[int, Field(ge=1), Digits] = 1


class ReviewsRule(_Rule):
    """A dossier with fewer reviews than this is incomplete (not ranked)."""

    rule: Literal["min-reviews"]
    min: Annotated[int, Field(ge=1, le=100), Digits] = 2


EligibilityRule = Annotated[
    LeadKindRule
    | RequestedAmountRule
    | CostShareRule
    | SubmissionWindowRule
    | ThemesRule
    | ReviewsRule,
    Field(discriminator="rule"),
]

IndicatorField = Literal[
    "budget.total_cost",
    "budget.requested",
    "budget.other_funding",
    "beneficiaries.people",
    "beneficiaries.women_percent",
    "partners.count",
    "timeline.months",
]
"""The dossier values an indicator may use: a fixed list, never an expression."""


class Scale(Model):
    """The range of a reviewers' grade."""

    min: Number = Decimal(0)
    max: Number


class ReviewCriterion(Model):
    """A criterion graded by reviewers on a scale."""

    id: Slug
    label: Label
    weight: Weight
    source: Literal["reviews"]
    scale: Scale
    minimum: Number | None = Field(
        default=None,
        description="Minimum aggregated grade, on the scale; below it the dossier is not retained.",
    )


class Indicator(Model):
    """A value computed from the dossier, scaled linearly between two bounds."""

    field: IndicatorField
    per: IndicatorField | None = Field(default=None, description="Divide by this field.")
    low: Number
    high: Number
    better: Literal["higher", "lower"] = "higher"


class IndicatorCriterion(Model):
    """A criterion computed from the dossier itself."""

    id: Slug
    label: Label
    weight: Weight
    source: Literal["indicator"]
    indicator: Indicator


Criterion = Annotated[ReviewCriterion | IndicatorCriterion, Field(discriminator="source")]


class Grid(Model):
    """The scoring grid of one theme."""

    criteria: Annotated[list[Criterion], Field(min_length=1)]


TieKey = Annotated[
    str, StringConstraints(pattern=r"^(criterion:[a-z0-9]+(-[a-z0-9]+)*|requested|submitted|id)$")
]


class Scoring(Model):
    """How marks are computed."""

    aggregation: Literal["mean", "median", "trimmed-mean"] = "mean"
    trim_percent: Percent = Field(
        default=Decimal(20), description="Trimmed mean: share of grades dropped, half at each end."
    )
    normalise: Literal["none", "zscore"] = "none"
    zscore_min_grades: Annotated[int, Field(ge=2), Digits] = 3
    threshold: Mark20 = Decimal(10)
    spread_limit: Number | None = Field(
        default=None, description="Flag a criterion whose grades' standard deviation exceeds this."
    )
    tie_break: list[TieKey] = Field(
        default=["requested", "submitted", "id"],
        description="criterion:<id> (higher first), requested (lower first), submitted "
        "(earlier first), id; the dossier id always ends the order.",
    )


class Selection(Model):
    """How laureates are chosen under the envelope."""

    policy: Literal["rank-order"] = "rank-order"
    when_too_large: Literal["skip", "stop"] = "skip"
    partial_funding: Flag = False
    waiting_list: Annotated[int, Field(ge=0, le=1000), Digits] = 5


class Affiliation(Model):
    """An organisation a reviewer belongs to or works with."""

    name: Name
    siren: Siren | None = None
    siret: Siret | None = None


class Person(Model):
    """Someone who takes part in the selection, with the organisations they belong to."""

    id: Slug
    name: Name
    affiliations: list[Affiliation] = []


#: An age public key, such as the secretariat's or a reviewer's.
AgeRecipient = Annotated[str, StringConstraints(pattern=r"^age1[02-9ac-hj-np-z]{58}$")]


class Sealing(Model):
    """Reviews committed sealed (encrypted) to the secretariat's keys."""

    recipients: Annotated[list[AgeRecipient], Field(min_length=1)] = Field(
        description="The secretariat's age public keys (age1…): every sealed review is "
        "encrypted to them."
    )
    rounds: list[RoundId] | None = Field(
        default=None,
        description="The rounds whose reviews are sealed; every round when absent (a call "
        "that starts sealing midway lists the rounds from then on).",
    )

    private: list[Literal["contact"]] = Field(
        default=["contact"],
        description="The dossier fields an applicant may seal in <round>/<id>.private.yaml.age, "
        "so that the public part of a dossier can live in a public repository.",
    )

    def seals(self, round_id: str) -> bool:
        """Whether the reviews of this round are to be sealed."""
        return self.rounds is None or round_id in self.rounds


class Reviewer(Person):
    """A member of the selection committee who grades dossiers."""

    age_recipient: AgeRecipient | None = Field(
        default=None,
        description="The reviewer's own age public key: their sealed review is encrypted "
        "to it too, so that they can open it again.",
    )
    themes: list[Slug] = Field(
        default=[],
        description="The themes the reviewer is an expert of: gen assign prefers them for "
        "dossiers whose principal theme this is.",
    )
    max_load: Annotated[int, Field(ge=1, le=100_000), Digits] | None = Field(
        default=None, description="The most dossiers of a round gen assign gives the reviewer."
    )
    available: Flag = Field(
        default=True,
        description="false: gen assign gives the reviewer no dossier (a reviewer who "
        "withdraws); their dossiers go to others.",
    )


class AvoidedPair(Model):
    """A reviewer who must not review a dossier, for a reason gen cannot see."""

    reviewer: Slug
    dossier: Slug
    reason: Name | None = None


class AssignmentPolicy(Model):
    """How gen assign gives a round's dossiers to reviewers."""

    reviews_per_dossier: Annotated[int, Field(ge=1, le=50), Digits] = 3
    expertise: Literal["preferred", "required"] = Field(
        default="preferred",
        description="preferred: reviewers of the dossier's principal theme first; "
        "required: only them.",
    )
    avoid: list[AvoidedPair] = Field(
        default=[],
        description="Pairs never assigned, beyond the conflicts of interest gen finds.",
    )


class Jury(Model):
    """Who may deliberate on a round's outcome, and how many must take each decision."""

    members: Annotated[list[Person], Field(min_length=1)]
    quorum: Annotated[int, Field(ge=1, le=1000), Digits] = Field(
        default=1,
        description="Members present and without a conflict of interest needed for each "
        "decision that departs from the computed outcome.",
    )


class Letters(Model):
    """Who signs the decision letters, and where an applicant may appeal."""

    signatory: Name = Field(description="The person who signs, as on the letters.")
    role: Name = Field(description="The signatory's role, such as « Directrice générale ».")
    court: Name = Field(
        description="The administrative court where a decision may be challenged, such as "
        "« tribunal administratif de Paris »."
    )
    share_comments: Flag = Field(
        default=False,
        description="Whether reviewers' comments are given to the applicant (never their names).",
    )


def _web_address(value: str) -> str:
    # A link on the published site: only to a web page, never javascript: or a file.
    if not re.fullmatch(r"https://[^\s<>\"'\x00-\x1f\x7f]+", value):
        raise PydanticCustomError(
            "web_address",
            "{value} is not a web address: write it in full, starting with https://",
            {"value": repr(value)},
        )
    return value


WebAddress = Annotated[
    str,
    StringConstraints(max_length=500),
    AfterValidator(_web_address),
    _schema(type="string", pattern="^https://", maxLength=500),
]


def _logo_file(value: str) -> str:
    # A file of the call folder, named so that it cannot climb out of it or pass for a page.
    parts = value.split("/")
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*", value) or (
        ".." in parts
    ):
        raise PydanticCustomError(
            "logo_file",
            "{value} is not a file of the call folder: write its path from the folder holding "
            "call.yaml, such as logo.png (letters, digits, - _ . and /)",
            {"value": repr(value)},
        )
    if not value.endswith(LOGO_SUFFIXES):
        raise PydanticCustomError(
            "logo_file",
            "{value} is not a PNG, JPEG or WebP image: export the logo as logo.png",
            {"value": repr(value)},
        )
    return value


#: The images a logo may be: no SVG, which can carry scripts.
LOGO_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")

LogoFile = Annotated[
    str,
    StringConstraints(max_length=200),
    AfterValidator(_logo_file),
    _schema(type="string", pattern=r"\.(png|jpe?g|webp)$", maxLength=200),
]


class Licence(Model):
    """The licence of the published data: Licence Ouverte 2.0 unless the call says otherwise."""

    id: Slug = Field(default="etalab-2.0", description="A short name, such as etalab-2.0.")
    title: Name = "Licence Ouverte / Open Licence version 2.0"
    url: WebAddress = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"


class Publishing(Model):
    """What the published site and open data say of themselves: licence and identity."""

    licence: Licence = Licence()
    legal_notice: WebAddress | None = Field(default=None, description="Mentions légales.")
    personal_data: WebAddress | None = Field(
        default=None, description="How the funder handles personal data."
    )
    accessibility: WebAddress | None = Field(
        default=None, description="The accessibility statement (déclaration d'accessibilité)."
    )
    accessibility_status: Literal["full", "partial", "none"] | None = Field(
        default=None,
        description="RGAA compliance the statement declares: full, partial or none.",
    )
    contact: Email | None = Field(default=None, description="Where the public may write.")
    languages: Annotated[list[Literal["fr", "en"]], Field(min_length=1)] = Field(
        default=["fr"],
        description="The languages gen publish writes, one folder each when there are "
        "several (the first is the one the top page names first).",
    )
    logo: LogoFile | None = Field(
        default=None,
        description="The funder's logo, a PNG, JPEG or WebP file of the call folder "
        "(at most 512 KB), shown in the site's header.",
    )


class Call(Model):
    """The call for projects: themes, rounds, rules, grids, reviewers."""

    name: Label
    funder: Funder
    currency: Literal["EUR"] = "EUR"
    timezone: TimeZone = Field(
        default=DEFAULT_TIMEZONE,
        description="Where a round's closing day ends (an IANA time zone name).",
    )
    budget: Money
    goal: Goal | None = None
    themes: Annotated[list[Theme], Field(min_length=1)]
    rounds: Annotated[list[Round], Field(min_length=1)]
    eligibility: list[EligibilityRule] = []
    grids: dict[Slug, Grid]
    scoring: Scoring = Scoring()
    selection: Selection = Selection()
    reviewers: list[Reviewer] = []
    assignment: AssignmentPolicy | None = Field(
        default=None, description="Who reviews what: the rules gen assign follows."
    )
    sealing: Sealing | None = Field(
        default=None,
        description="With recipients, reviews are committed sealed (gen seal): only the "
        "secretariat opens them.",
    )
    jury: Jury | None = None
    letters: Letters | None = None
    publication: Publishing = Field(
        default=Publishing(), description="The licence of the published data."
    )
    round_word: Label = Field(
        default=Label(fr="relevé", en="round"),
        description="The call's word for a round, such as relevé, relève, vague or session.",
    )

    def round(self, round_id: str) -> Round | None:
        """The round with this id, or None."""
        return next((r for r in self.rounds if r.id == round_id), None)


# --- The jury's deliberation on a round ------------------------------------------------


class JuryDecision(Model):
    """A departure from the computed outcome for one dossier, with its written reason."""

    dossier: Slug
    status: Literal["laureat", "liste-complementaire", "non-retenu"]
    granted: Money | None = Field(
        default=None,
        description="For a laureate: the amount granted (at most the amount requested); "
        "the amount requested when left out.",
    )
    conditions: Text | None = Field(default=None, description="Conditions attached to the grant.")
    justification: Annotated[
        str, StringConstraints(min_length=1, max_length=5000), AfterValidator(_multi_line)
    ]
    public: Flag = Field(
        default=True,
        description="Whether the justification is published; if not, only the applicant reads it.",
    )


class Withdrawal(Model):
    """A laureate that renounced its grant after the decision."""

    dossier: Slug
    date: Day
    reason: Annotated[
        str, StringConstraints(min_length=1, max_length=5000), AfterValidator(_multi_line)
    ]


class Deliberation(Model):
    """``<round>/jury.yaml``: what the jury decided, and which laureates withdrew later."""

    round: RoundId
    date: Day
    present: Annotated[list[Slug], Field(min_length=1)]
    decisions: list[JuryDecision] = []
    withdrawn: list[Withdrawal] = Field(
        default=[],
        description="Laureates that renounced after the decision: their grant returns to the "
        "envelope and the waiting list is promoted in its order, as far as it allows.",
    )


#: The file kinds and their models, as ``gen schema`` prints them.
class Assignments(Model):
    """``<round>/assignments.yaml``: the dossiers each reviewer of a round is to grade."""

    round: RoundId
    reviews_per_dossier: Annotated[int, Field(ge=1, le=50), Digits]
    reviewers: dict[Slug, list[Slug]] = Field(
        description="For each reviewer, the ids of the dossiers they are to grade."
    )


SCHEMAS: dict[str, type[Model]] = {
    "call": Call,
    "dossier": Dossier,
    "review": Review,
    "jury": Deliberation,
    "assignments": Assignments,
}


#: Constraints some pydantic versions write under their Python names, and the JSON Schema
#: keywords that say the same (editors and check-jsonschema ignore unknown keywords).
_KEYWORDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}
#: Keys whose value maps names to schemas, not keywords to values.
_NAMED = {"properties", "patternProperties", "$defs"}


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one file kind, in standard keywords only."""
    document: dict[str, Any] = _standard(SCHEMAS[kind].model_json_schema())
    return document


def _standard(node: Any, named: bool = False) -> Any:
    if isinstance(node, list):
        return [_standard(item) for item in node]
    if not isinstance(node, dict):
        return node
    if named:
        return {key: _standard(value) for key, value in node.items()}
    out: dict[str, Any] = {}
    for key, value in node.items():
        name = str(key)
        if name in {"decimal_places", "max_digits"}:
            continue  # no JSON Schema keyword says it; validation does
        out[_KEYWORDS.get(name, name)] = _standard(value, name in _NAMED)
    return out


def field_names() -> set[str]:
    """Every field name of every format (for "did you mean" hints)."""
    names: set[str] = set()
    pending: list[type[BaseModel]] = list(SCHEMAS.values())
    seen: set[type[BaseModel]] = set()
    while pending:
        model = pending.pop()
        if model in seen:
            continue
        seen.add(model)
        names.update(model.model_fields)
        pending.extend(
            sub for sub in Model.__subclasses__() + _Rule.__subclasses__() if sub not in seen
        )
    return names

"""What gets published, gathered from decision records (pure: no I/O, no templates).

Only public facts are gathered: a laureate's title, summary, organisations, region,
themes, grant, timeline and the people it targets; of the dossiers that were not
selected, only counts and sums. Contacts, reviewers, grades and comments never enter
these structures, so no template can leak them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from gen_cli.models import Call, Dossier, Round
from gen_cli.regions import REGIONS

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class PublicDossier:
    """What a publication shows of a laureate's dossier, read once: its public fields only.

    A large call's laureates are held as these, not as whole dossiers, which hold far more.
    """

    id: str
    round: str
    title: str
    summary: str
    principal_theme: str
    themes: tuple[str, ...]
    lead_name: str
    lead_siret: str
    region: str
    partners: tuple[tuple[str, str], ...]
    total_cost: Decimal
    people: int
    women_percent: Decimal
    publics: tuple[str, ...]
    start: date
    end: date

    @classmethod
    def of(cls, dossier: Dossier) -> PublicDossier:
        """The public fields of a valid dossier."""
        return PublicDossier(
            id=dossier.id,
            round=dossier.round,
            title=dossier.title,
            summary=dossier.summary,
            principal_theme=dossier.principal_theme,
            themes=tuple(dossier.themes),
            lead_name=dossier.porteur.name,
            lead_siret=dossier.porteur.siret,
            region=dossier.porteur.region,
            partners=tuple((p.name, p.role) for p in dossier.partners),
            total_cost=dossier.budget.total_cost,
            people=dossier.beneficiaries.people,
            women_percent=dossier.beneficiaries.women_percent,
            publics=tuple(dossier.beneficiaries.publics),
            start=dossier.timeline.start,
            end=dossier.timeline.end,
        )


@dataclass(frozen=True)
class Project(PublicDossier):
    """A laureate project, public fields only: its dossier's, its grant and its rank."""

    granted: Decimal
    rank: int

    @property
    def grant_share(self) -> Decimal | None:
        """The share of the project's total cost the grant covers (0 to 1)."""
        return self.granted / self.total_cost if self.total_cost else None

    @property
    def targets_women(self) -> bool:
        """True when women are among the project's target publics."""
        return "femmes" in self.publics


@dataclass(frozen=True)
class Tally:
    """A count of laureates and the amount they were granted."""

    count: int
    amount: Decimal


@dataclass(frozen=True)
class Budget:
    """The budget summary of a round, or of the whole call."""

    received: int
    eligible: int
    laureates: int
    waiting_list: int
    requested: Decimal
    granted: Decimal
    envelope: Decimal
    left: Decimal
    by_theme: dict[str, Tally]
    by_region: dict[str, Tally]
    people: int
    women_target: int

    @property
    def success_rate(self) -> Decimal | None:
        """Laureates over dossiers received."""
        return Decimal(self.laureates) / self.received if self.received else None

    @property
    def women_share(self) -> Decimal | None:
        """Share of laureates with women among their target publics."""
        return Decimal(self.women_target) / self.laureates if self.laureates else None


@dataclass(frozen=True)
class Amendment:
    """A change made to a round after it was closed: when, and why (public wording)."""

    on: date
    reason: str


@dataclass(frozen=True)
class JuryChoice:
    """A laureate the jury chose against the computed ranking, and why when that is public."""

    dossier: str
    title: str
    computed_status: str
    justification: str | None  # None: given to the applicant only


@dataclass(frozen=True)
class PublishedRound:
    """One round as published."""

    round: Round
    budget: Budget
    projects: tuple[Project, ...]  # by theme (call order), then rank
    draft: bool = False  # scored but not closed: provisional
    amendments: tuple[Amendment, ...] = ()
    jury_choices: tuple[JuryChoice, ...] = ()
    #: Departures that concern dossiers not selected: counted, never named.
    other_departures: int = 0


@dataclass(frozen=True)
class Consumed:
    """What the call had granted once a round was decided, that round's included."""

    round: Round
    granted: Decimal


@dataclass(frozen=True)
class Publication:
    """Everything the templates and open-data files are made from."""

    call: Call
    rounds: tuple[PublishedRound, ...]
    budget: Budget
    remaining: Decimal  # the call's budget left after the published rounds

    @property
    def projects(self) -> tuple[Project, ...]:
        """Every laureate of the published rounds."""
        return tuple(p for r in self.rounds for p in r.projects)

    @property
    def consumed(self) -> tuple[Consumed, ...]:
        """The call's budget granted round after round: cumulative, in the rounds' order."""
        out, total = [], ZERO
        for published in self.rounds:
            total += published.budget.granted
            out.append(Consumed(published.round, total))
        return tuple(out)

    @property
    def pending(self) -> tuple[Round, ...]:
        """The call's rounds not published: no decision yet to show (never « 0 lauréats »)."""
        shown = {r.round.id for r in self.rounds}
        return tuple(r for r in self.call.rounds if r.id not in shown)

    @property
    def draft(self) -> bool:
        """True when a published round is provisional."""
        return any(r.draft for r in self.rounds)


def _project(dossier: Dossier | PublicDossier, decision: Mapping[str, Any]) -> Project:
    public = dossier if isinstance(dossier, PublicDossier) else PublicDossier.of(dossier)
    return Project(
        **{f.name: getattr(public, f.name) for f in fields(PublicDossier)},
        granted=Decimal(str(decision["granted"])),
        rank=int(decision["rank"]),
    )


def _tallies(projects: list[Project], key: str, order: list[str]) -> dict[str, Tally]:
    tallies = {}
    for name in order:
        chosen = [p for p in projects if getattr(p, key) == name]
        if chosen:
            tallies[name] = Tally(len(chosen), sum((p.granted for p in chosen), ZERO))
    return tallies


def _budget(call: Call, projects: list[Project], counts: Mapping[str, Decimal]) -> Budget:
    theme_order = [t.id for t in call.themes]
    return Budget(
        received=int(counts["received"]),
        eligible=int(counts["eligible"]),
        laureates=len(projects),
        waiting_list=int(counts["waiting_list"]),
        requested=Decimal(counts["requested"]),
        granted=sum((p.granted for p in projects), ZERO),
        envelope=Decimal(counts["envelope"]),
        left=Decimal(counts["left"]),
        by_theme=_tallies(projects, "principal_theme", theme_order),
        by_region=_tallies(projects, "region", sorted(REGIONS)),
        people=sum(p.people for p in projects),
        women_target=sum(1 for p in projects if p.targets_women),
    )


def _amendments(record: Mapping[str, Any]) -> tuple[Amendment, ...]:
    found = record.get("amendments")
    if not isinstance(found, list):
        return ()
    return tuple(
        Amendment(date.fromisoformat(str(a["on"])), str(a["reason"]))
        for a in found
        if isinstance(a, dict)
    )


def _jury(
    record: Mapping[str, Any], dossiers: Mapping[str, Dossier | PublicDossier]
) -> tuple[tuple[JuryChoice, ...], int]:
    choices, others = [], 0
    for ident, decision in sorted(record["decisions"].items()):
        jury, computed = decision.get("jury"), decision.get("computed")
        if not isinstance(jury, dict) or not isinstance(computed, dict):
            continue
        if decision.get("status") != "laureat":
            others += 1  # a dossier not selected is never named in a published file
            continue
        public = jury.get("public") is True
        choices.append(
            JuryChoice(
                ident,
                dossiers[ident].title,
                str(computed.get("status")),
                str(jury["justification"]) if public else None,
            )
        )
    return tuple(choices), others


def build_publication(
    call: Call,
    records: Mapping[str, Mapping[str, Any]],
    dossiers: Mapping[str, Dossier | PublicDossier],
    drafts: Collection[str] = (),
) -> Publication:
    """Gather the publication of the rounds whose decision records are given.

    Args:
        records: decision records (as written by gen score) by round id.
        dossiers: every dossier of the call by id, or the public fields of each laureate
            (only laureates are read).
        drafts: the rounds that are scored but not closed (published as provisional).
    """
    theme_order = [t.id for t in call.themes]
    published = []
    everything: list[Project] = []
    totals: dict[str, Decimal] = dict.fromkeys(
        ("received", "eligible", "waiting_list", "requested", "envelope", "left"), ZERO
    )
    for round_ in call.rounds:
        record = records.get(round_.id)
        if record is None:
            continue
        decisions = record["decisions"]
        projects = [
            _project(dossiers[ident], d)
            for ident, d in decisions.items()
            if d["status"] == "laureat"
        ]
        projects.sort(key=lambda p: (theme_order.index(p.principal_theme), p.rank))
        choices, others = _jury(record, dossiers)
        statuses = record["totals"]["statuses"]
        counts: dict[str, Decimal] = {
            "received": Decimal(record["totals"]["dossiers"]),
            "eligible": Decimal(record["totals"]["eligible"]),
            "waiting_list": Decimal(statuses["liste-complementaire"]),
            "requested": Decimal(record["totals"]["requested"]),
            "envelope": Decimal(record["envelope"]["available"]),
            "left": Decimal(record["envelope"]["left"]),
        }
        for name in totals:
            totals[name] += counts[name]
        published.append(
            PublishedRound(
                round_,
                _budget(call, projects, counts),
                tuple(projects),
                draft=round_.id in drafts,
                amendments=_amendments(record),
                jury_choices=choices,
                other_departures=others,
            )
        )
        everything.extend(projects)
    budget = _budget(call, everything, totals)
    return Publication(call, tuple(published), budget, call.budget - budget.granted)


SCDL_FIELDS = (
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
    "dispositifAide",
)


def scdl_rows(publication: Publication) -> list[dict[str, str]]:
    """One SCDL « subventions » 2.1.1 row per laureate (one beneficiary each).

    Raises:
        ValueError: a round with laureates has no decision_date in call.yaml.
    """
    call = publication.call
    rows = []
    for published in publication.rounds:
        round_ = published.round
        decided = round_.decision_date
        if published.projects and decided is None:
            raise ValueError(
                f"round {round_.id} has laureates but no decision_date in call.yaml: "
                "the SCDL file needs the date of the grant decision"
            )
        for project in sorted(published.projects, key=lambda p: p.rank):
            rows.append(
                {
                    "nomAttribuant": call.funder.name,
                    "idAttribuant": call.funder.siret,
                    "dateConvention": decided.isoformat() if decided else "",
                    "referenceDecision": round_.decision_reference or "",
                    "nomBeneficiaire": project.lead_name,
                    "idBeneficiaire": project.lead_siret,
                    "rnaBeneficiaire": "",
                    "objet": project.title[:256],
                    "montant": f"{project.granted:.2f}",
                    "nature": "aide en numéraire",
                    "conditionsVersement": "échelonné",
                    "datesPeriodeVersement": f"{project.start.isoformat()}/{project.end.isoformat()}",
                    "idRAE": "",
                    "notificationUE": "non",
                    "pourcentageSubvention": "1.00",
                    "dispositifAide": "",
                }
            )
    return rows


LAUREATE_FIELDS = (
    "round",
    "id",
    "title",
    "lead_name",
    "lead_siret",
    "region",
    "region_insee",
    "principal_theme",
    "themes",
    "partners",
    "granted",
    "people_targeted",
    "women_percent",
    "publics",
    "start",
    "end",
    "decision_date",
    "decision_reference",
)


def laureate_rows(publication: Publication) -> list[dict[str, str]]:
    """One row per laureate for laureats.csv and laureats.json (columns in README)."""
    rows = []
    for published in publication.rounds:
        round_ = published.round
        # by rank, as subventions.csv: row n of one file is row n of the other
        for p in sorted(published.projects, key=lambda p: p.rank):
            rows.append(
                {
                    "round": p.round,
                    "id": p.id,
                    "title": p.title,
                    "lead_name": p.lead_name,
                    "lead_siret": p.lead_siret,
                    "region": p.region,
                    "region_insee": REGIONS[p.region].insee,
                    "principal_theme": p.principal_theme,
                    "themes": ";".join(p.themes),
                    "partners": ";".join(name for name, _ in p.partners),
                    "granted": f"{p.granted:.2f}",
                    "people_targeted": str(p.people),
                    "women_percent": str(p.women_percent),
                    "publics": ";".join(p.publics),
                    "start": p.start.isoformat(),
                    "end": p.end.isoformat(),
                    "decision_date": round_.decision_date.isoformat()
                    if round_.decision_date
                    else "",
                    "decision_reference": round_.decision_reference or "",
                }
            )
    return rows


def laureate_items(publication: Publication) -> list[dict[str, Any]]:
    """laureats.json: the rows of laureats.csv, typed (laureats.schema.json).

    Counts are numbers, lists are arrays, amounts and percentages decimal strings (exact).
    """
    items = []
    for row, project in zip(
        laureate_rows(publication),
        (p for r in publication.rounds for p in sorted(r.projects, key=lambda p: p.rank)),
        strict=True,
    ):
        items.append(
            {
                **row,
                "themes": list(project.themes),
                "partners": [{"name": name, "role": role} for name, role in project.partners],
                "people_targeted": project.people,
                "publics": list(project.publics),
                "decision_date": row["decision_date"] or None,
                "decision_reference": row["decision_reference"] or None,
            }
        )
    return items


def _budget_document(budget: Budget) -> dict[str, Any]:
    return {
        "dossiers_received": budget.received,
        "dossiers_eligible": budget.eligible,
        "laureates": budget.laureates,
        "waiting_list": budget.waiting_list,
        "success_rate": None if budget.success_rate is None else f"{budget.success_rate:.4f}",
        "requested": f"{budget.requested:.2f}",
        "granted": f"{budget.granted:.2f}",
        "envelope": f"{budget.envelope:.2f}",
        "left": f"{budget.left:.2f}",
        "by_theme": {
            k: {"laureates": t.count, "granted": f"{t.amount:.2f}"}
            for k, t in budget.by_theme.items()
        },
        "by_region": {
            k: {"laureates": t.count, "granted": f"{t.amount:.2f}"}
            for k, t in budget.by_region.items()
        },
        "people_targeted": budget.people,
        "laureates_targeting_women": budget.women_target,
        "share_targeting_women": None
        if budget.women_share is None
        else f"{budget.women_share:.4f}",
    }


def budget_document(publication: Publication) -> dict[str, Any]:
    """The budget summary as JSON-ready data (amounts as decimal strings)."""
    goal = publication.call.goal
    return {
        "call": {
            "budget": f"{publication.call.budget:.2f}",
            "remaining": f"{publication.remaining:.2f}",
            "goal": None if goal is None else {"people": goal.people, "by": goal.by.isoformat()},
            **_budget_document(publication.budget),
        },
        "rounds": {r.round.id: _budget_document(r.budget) for r in publication.rounds},
    }

"""Rules within one dossier: its dates, its organisations, its budget.

They read the dossier alone, so they run where its file is read (on any core) and their
problems are kept in the cache with it; the rules across files are in rules.py.
"""

from __future__ import annotations

from gen_cli.diagnostics import Problem
from gen_cli.models import SIRET_COUNTRIES, Budget, DossierParts
from gen_cli.names import scripts

#: How far from its submission a project's dates may plausibly lie, in years.
PLAUSIBLE_YEARS_BEFORE, PLAUSIBLE_YEARS_AFTER = 2, 10


def _timeline_problems(dossier: DossierParts, display: str) -> list[Problem]:
    """E107 for an end before the start; W013 for dates far from the submission."""
    timeline = dossier.timeline
    if timeline is None:
        return []
    problems = []
    if timeline.end < timeline.start:
        problems.append(
            Problem(
                display,
                "E107",
                f"timeline.end {timeline.end} is before timeline.start {timeline.start}",
                loc=("timeline", "end"),
            )
        )
    submitted = dossier.submitted
    if submitted is None:
        return problems
    for field, day in (("start", timeline.start), ("end", timeline.end)):
        years = (day - submitted).days / 365.25
        if -PLAUSIBLE_YEARS_BEFORE <= years <= PLAUSIBLE_YEARS_AFTER:
            continue
        when = "before" if years < 0 else "after"
        problems.append(
            Problem(
                display,
                "W013",
                f"timeline.{field} {day} is {abs(years):.0f} years {when} the dossier was "
                f"submitted ({submitted}): check the year",
                loc=("timeline", field),
            )
        )
    return problems


def _organisation_problems(dossier: DossierParts, display: str) -> list[Problem]:
    """A French partner without its SIRET (E101); a name that mixes alphabets (W012)."""
    problems: list[Problem] = []
    partners = dossier.partners or []
    for index, partner in enumerate(partners):
        if partner.siret is None and partner.country in SIRET_COUNTRIES:
            # Without a SIRET, only the name could reveal a conflict of interest.
            problems.append(
                Problem(
                    display,
                    "E101",
                    f"partners.{index}: {partner.name!r} has no siret: a partner registered "
                    "in France (overseas included) gives its SIRET (14 digits, see annuaire-entreprises.data.gouv.fr); "
                    "for one registered abroad, write its country instead, such as country: BE",
                    loc=("partners", index),
                )
            )
    organisations: list[tuple[tuple[str | int, ...], str]] = [
        (("partners", i, "name"), p.name) for i, p in enumerate(partners)
    ]
    if dossier.porteur is not None:
        organisations.insert(0, (("porteur", "name"), dossier.porteur.name))
    for loc, name in organisations:
        found = scripts(name)
        if len(found) > 1:
            problems.append(
                Problem(
                    display,
                    "W012",
                    f"{'.'.join(map(str, loc))}: {name!r} mixes alphabets "
                    f"({', '.join(sorted(found)).lower()}): write the organisation's name in "
                    "one alphabet, as it is registered",
                    loc=loc,
                )
            )
    return problems


def _budget_problems(budget: Budget | None, display: str) -> list[Problem]:
    """E108 for a request above the total cost; W001 for a budget that does not balance."""
    if budget is None:
        return []
    if budget.requested > budget.total_cost:
        return [
            Problem(
                display,
                "E108",
                f"budget.requested {budget.requested} is above budget.total_cost {budget.total_cost}",
                loc=("budget", "requested"),
            )
        ]
    if budget.requested + budget.other_funding != budget.total_cost:
        return [
            Problem(
                display,
                "W001",
                f"budget.requested {budget.requested} + budget.other_funding {budget.other_funding} = {budget.requested + budget.other_funding}, not budget.total_cost {budget.total_cost}",
                loc=("budget",),
                at_key=True,
            )
        ]
    return []


def dossier_problems(dossier: DossierParts, display: str) -> list[Problem]:
    """Check one dossier's internal consistency (dates, organisations, budget).

    Each check runs when the parts it reads are valid, even if other parts are not.
    """
    return (
        _timeline_problems(dossier, display)
        + _organisation_problems(dossier, display)
        + _budget_problems(dossier.budget, display)
    )

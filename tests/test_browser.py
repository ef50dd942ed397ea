"""The published site in a real browser: offline, navigable, keyboard usable, and accessible.

The example call is published once (French, undated) into a temporary folder and opened from
disk (file://) in Debian's Chromium through Playwright; axe-core checks four kinds of page.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gen_cli.cli import app

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} (Debian's chromium package) is not installed", allow_module_level=True)

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

EXAMPLE = Path(__file__).parent.parent / "dossiers"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("site")
    call = shutil.copytree(EXAMPLE, base / "call")
    out = base / "public"
    result = CliRunner().invoke(
        app,
        ["publish", "--call", str(call), "--out", str(out), "--draft"],  # the banner too
        env={"SOURCE_DATE_EPOCH": None, "GEN_CALL": None},
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


class Watched:
    """A page with every request and every console error recorded."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("requestfailed", lambda request: self.failed.append(request.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(java_script_enabled=True)
    try:
        yield Watched(context.new_page())
    finally:
        context.close()


def url(site: Path, name: str) -> str:
    return (site / name).as_uri()


def test_click_through_offline(site: Path, watched: Watched) -> None:
    page = watched.page
    page.goto(url(site, "index.html"))
    assert page.title() == "Appel à projets innovation de la Grande école du numérique"
    assert page.locator("h1").inner_text() == page.title()

    page.get_by_role("link", name="Relevé du 30 septembre 2021", exact=True).first.click()
    page.wait_for_url(url(site, "rounds/2021Q3.html"), timeout=5000)
    assert page.url == url(site, "rounds/2021Q3.html")
    assert page.locator("h1").inner_text() == "Lauréats — Relevé du 30 septembre 2021"
    row = page.locator("tr", has=page.get_by_role("link", name="Lovelace", exact=True))
    assert row.locator("td").all_inner_texts() == [
        "Ada Tech School",
        "Île-de-France",
        f"38{NNBSP}000{NBSP}€",
    ]

    page.get_by_role("link", name="Lovelace", exact=True).click()
    page.wait_for_url(url(site, "projects/lovelace.html"), timeout=5000)
    assert page.url == url(site, "projects/lovelace.html")
    heading = page.locator("h1")
    assert heading.inner_text() == "Lovelace"
    assert heading.is_visible()
    lead = page.locator("tr", has=page.locator("th", has_text="Porteur")).locator("td")
    assert lead.inner_text() == "Ada Tech School (SIRET 34652218809976)"
    assert lead.is_visible()
    amount = page.locator("tr", has=page.locator("th", has_text="Montant accordé")).locator("td")
    assert amount.inner_text() == f"38{NNBSP}000{NBSP}€"
    assert amount.is_visible()
    assert page.get_by_text("70 % de femmes").is_visible()  # the summary's Markdown, rendered

    page.get_by_role("link", name="Budget", exact=True).click()
    page.wait_for_url(url(site, "budget.html"), timeout=5000)
    assert page.url == url(site, "budget.html")
    assert page.locator("h1").inner_text() == "Synthèse budgétaire"

    assert watched.errors == []
    assert watched.failed == []
    assert watched.requests, "no request was seen"
    assert [u for u in watched.requests if not u.startswith("file://")] == []
    assert url(site, "style.css") in watched.requests


def test_the_stylesheet_applies(site: Path, watched: Watched) -> None:
    page = watched.page
    page.goto(url(site, "index.html"))
    skip = page.locator("a.skip")
    box = skip.bounding_box()
    assert box is not None and box["x"] < 0, "the skip link is off screen until focused"
    colour = page.locator("main a").first.evaluate("a => getComputedStyle(a).color")
    assert colour == "rgb(0, 0, 145)"  # --accent: #000091


def test_project_pages_fit_a_phone(site: Path, watched: Watched) -> None:
    page = watched.page
    page.set_viewport_size({"width": 320, "height": 640})
    for name in ("projects/lovelace.html", "projects/tech-my-ge.html", "rounds/2022Q1.html"):
        page.goto(url(site, name))
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, name


def test_no_page_scrolls_sideways_on_a_phone(site: Path, watched: Watched) -> None:
    page = watched.page
    page.set_viewport_size({"width": 320, "height": 640})
    wide = {}
    for path in sorted(site.rglob("*.html")):
        page.goto(path.as_uri())
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            wide[path.relative_to(site).as_posix()] = width
    assert wide == {}


def test_tab_first_focuses_the_skip_link(site: Path, watched: Watched) -> None:
    page = watched.page
    page.goto(url(site, "index.html"))
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "[document.activeElement.className, document.activeElement.getAttribute('href'),"
        " document.activeElement.textContent]"
    )
    assert focused == ["skip", "#content", "Aller au contenu"]
    box = page.locator("a.skip").bounding_box()
    assert box is not None and box["x"] >= 0, "the focused skip link is visible"
    page.keyboard.press("Enter")
    # Following an in-page link is a navigation the browser finishes on its own time.
    page.wait_for_url(url(site, "index.html") + "#content", timeout=5000)
    assert page.url == url(site, "index.html") + "#content"
    page.keyboard.press("Tab")
    inside_main = page.evaluate("document.activeElement.closest('main') !== null")
    assert inside_main, "after the skip link, Tab goes on inside the main content"
    assert watched.errors == []


def serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in {"serious", "critical"}]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in violations
    )


@pytest.mark.parametrize(
    "name", ["index.html", "rounds/2021Q3.html", "projects/lovelace.html", "budget.html"]
)
def test_axe_finds_no_serious_violation(site: Path, watched: Watched, name: str) -> None:
    page = watched.page
    page.goto(url(site, name))
    results = Axe().run(page)
    violations = results.response["violations"]
    assert serious(violations) == [], describe(violations)
    # axe loads the page's own stylesheet again to check colours: still nothing off disk
    assert [u for u in watched.requests if not u.startswith("file://")] == []


def test_axe_reports_what_it_should(watched: Watched) -> None:
    # a control: the harness does find serious problems when a page has them
    watched.page.set_content(
        "<!DOCTYPE html><html><head><title>t</title></head>"
        '<body><main><h1>t</h1><input type="text"></main></body></html>'
    )
    found = {v["id"]: v["impact"] for v in Axe().run(watched.page).response["violations"]}
    assert found["html-has-lang"] == "serious"
    assert found["label"] == "critical"


PAGES = ["index.html", "budget.html", "rounds/2021Q3.html", "rounds/2022Q1.html",
         "projects/lovelace.html", "projects/tech-my-ge.html"]  # fmt: skip


@pytest.mark.parametrize("width", [320, 375, 1280])
def test_every_page_reads_at_every_width(site: Path, watched: Watched, width: int) -> None:
    page = watched.page
    page.set_viewport_size({"width": width, "height": 800})
    problems = {}
    for path in sorted(site.rglob("*.html")):
        page.goto(path.as_uri())
        found = page.evaluate(
            """(width) => {
              const out = [];
              if (document.documentElement.scrollWidth > width) out.push("scrolls sideways");
              for (const cell of document.querySelectorAll("td.num, .figures td, .bar-value")) {
                const box = cell.getBoundingClientRect();
                if (box.right > width + 0.5 || box.width === 0)
                  out.push("amount out of sight: " + cell.textContent);
              }
              const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
              while (walker.nextNode()) {
                const node = walker.currentNode;
                const owner = node.parentElement;
                if (!node.textContent.trim() || owner.closest(".visually-hidden, .skip")) continue;
                const size = parseFloat(getComputedStyle(owner).fontSize);
                if (size < 12) out.push(size + "px: " + node.textContent.trim());
              }
              return out;
            }""",
            width,
        )
        if found:
            problems[path.relative_to(site).as_posix()] = found[:3]
    assert problems == {}


@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_violation_of_any_impact_on_a_phone(
    site: Path, watched: Watched, name: str
) -> None:
    page = watched.page
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(url(site, name))
    violations = Axe().run(page).response["violations"]
    assert violations == [], describe(violations)


def test_axe_finds_no_violation_of_any_impact_on_any_page(site: Path, watched: Watched) -> None:
    page = watched.page
    page.set_viewport_size({"width": 1280, "height": 800})
    axe, found = Axe(), {}
    for path in sorted(site.rglob("*.html")):
        page.goto(path.as_uri())
        violations = axe.run(page).response["violations"]
        if violations:
            found[path.relative_to(site).as_posix()] = describe(violations)
    assert found == {}


def test_the_navigation_marks_the_current_page(site: Path, watched: Watched) -> None:
    page = watched.page
    page.goto(url(site, "rounds/2021Q3.html"))
    current = page.locator('nav a[aria-current="page"]')
    assert current.all_inner_texts() == ["Relevé du 30 septembre 2021"]
    page.goto(url(site, "budget.html"))
    assert page.locator('nav a[aria-current="page"]').all_inner_texts() == ["Budget"]

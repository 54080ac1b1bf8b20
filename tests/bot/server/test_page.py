"""The chat page in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)."""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from bot import Bot
from bot.server import create_app
from tests.bot.server.conftest import serve_app
from tests.conftest import REPO, SEED

CHROMIUM = os.environ.get("NEWSBOT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
# Without the background-networking flags Chromium keeps dialling out, and this network is closed.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    bot = Bot(data_dir=tmp_path_factory.mktemp("page"))
    bot.ingest([SEED, REPO / "samples"])
    with serve_app(create_app(bot=bot)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def ask(page: Page, question: str) -> None:
    # The page holds a question back while an answer still streams, as a person would wait.
    expect(page.locator("#send")).to_be_enabled(timeout=20_000)
    page.get_by_placeholder("Ask about the news").fill(question)
    page.keyboard.press("Enter")


def test_ask_stream_cite_and_follow_up(browser: Browser, page_url: str) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(page_url)
    ask(page, "Who attends the NATO summit?")
    first = page.locator(".turn").nth(0)
    expect(first.locator(".cite").first).to_be_visible(timeout=20_000)
    expect(first.locator(".a .text")).to_contain_text("Trump")
    expect(first.locator(".cite").first).to_contain_text("NATO")
    expect(first.locator(".cite a").first).to_have_attribute("href", re.compile(r"^https://example\.org/"))

    ask(page, "And when does it start?")
    second = page.locator(".turn").nth(1)
    expect(second.locator(".cite").first).to_be_visible(timeout=20_000)
    expect(second.locator(".a .text")).to_contain_text("June")
    expect(second.locator(".understood")).to_contain_text("NATO summit")

    ask(page, "What is the spending target?")
    third = page.locator(".turn").nth(2)
    expect(third.locator(".a .text")).to_contain_text("3.5", timeout=20_000)
    expect(third.locator(".feedback")).to_be_visible()
    # [n] in the answer links to its card, and the cards under "Sources" are the cited ones
    link = third.locator(".a .text a").first
    target = link.get_attribute("href")
    assert target and third.locator(target).count() == 1
    assert third.locator(f".cite.source{target}").count() == 1
    n_cited = len(set(re.findall(r"\[(\d+)\]", third.locator(".a .text").inner_text())))
    expect(third.locator(".cite.source")).to_have_count(n_cited)
    # the newest answer is above the fixed input bar, not behind it
    answer_box, bar = third.locator(".a").bounding_box(), page.locator("form#ask").bounding_box()
    assert answer_box and bar and answer_box["y"] + answer_box["height"] <= bar["y"] + 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-page.png"), full_page=True)

    third.get_by_role("button", name="Helpful", exact=True).click()
    expect(third.locator(".feedback [role=status]")).to_have_text("Thanks")
    assert 'newsbot_feedback_total{channel="api",value="up"}' in page.request.get(page_url + "/metrics").text()

    page.reload()  # the conversation survives a reload
    expect(page.locator(".turn")).to_have_count(3, timeout=20_000)
    expect(page.locator(".turn").nth(1).locator(".understood")).to_contain_text("NATO summit")
    expect(page.locator(".turn").nth(2).locator(".a .text")).to_contain_text("3.5")

    page.get_by_role("button", name="New conversation").click()
    expect(page.locator(".turn")).to_have_count(0)
    assert not [m for m in console if "Content Security Policy" in m]  # the page runs under its own policy
    page.close()


@pytest.mark.parametrize(("size", "phone"), [((1100, 800), False), ((390, 844), True)])
def test_the_page_says_what_is_indexed_and_offers_questions_to_start(browser: Browser, page_url: str,
                                                                     size: tuple[int, int], phone: bool) -> None:
    page = browser.new_page(viewport={"width": size[0], "height": size[1]}, is_mobile=phone, has_touch=phone)
    page.goto(page_url)
    expect(page.locator("#store")).to_contain_text("articles from", timeout=20_000)
    expect(page.locator("#store")).to_contain_text("the newest of")
    examples = page.locator("#examples .example")
    expect(examples).to_have_count(3)
    assert all(t.startswith("What is the latest on ") for t in examples.all_inner_texts())
    page.screenshot(path=str(ARTIFACTS / f"chat-welcome-{'phone' if phone else 'desktop'}.png"), full_page=True)
    examples.first.click()
    first = page.locator(".turn").nth(0)
    expect(first.locator(".q")).to_have_text(examples.first.inner_text())
    expect(first.locator(".a .text")).not_to_be_empty(timeout=20_000)
    ask(page, "Who won the 1966 World Cup final?")
    declined = page.locator(".turn").nth(1).locator(".a")
    expect(declined).to_have_class("a declined", timeout=20_000)
    expect(declined).to_contain_text("What is indexed:")
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    page.close()


def test_a_citation_url_that_is_not_a_web_link_is_shown_as_text(browser: Browser, page_url: str) -> None:
    planted = {"title": "Lighthouse keepers return to Gull Rock", "url": "javascript:alert(document.domain)",
               "text": "Two lighthouse keepers returned to Gull Rock on Friday after a fifty-year absence."}
    page = browser.new_page()
    assert page.request.post(page_url + "/v1/articles", data=planted).status == 200
    page.goto(page_url)
    ask(page, "Who returned to Gull Rock?")
    card = page.locator(".turn").nth(0).locator(".cite").first
    expect(card).to_contain_text("Lighthouse keepers", timeout=20_000)
    expect(card.locator("strong")).to_have_text("Lighthouse keepers return to Gull Rock")
    assert page.locator("a[href^='javascript:']").count() == 0
    page.close()


def test_declines_and_errors_are_shown_plainly_on_a_phone(browser: Browser, page_url: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto(page_url)
    ask(page, "Who won the 1966 World Cup final?")
    declined = page.locator(".turn").nth(0).locator(".a")
    expect(declined).to_have_class("a declined", timeout=20_000)
    expect(declined.locator(".text")).to_have_text("The indexed articles don't say.")
    ask(page, "x" * 2500)
    expect(page.locator(".turn").nth(1).locator(".error[role=alert]")).to_contain_text("2000", timeout=20_000)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing overflows sideways on a phone
    page.screenshot(path=str(Path(ARTIFACTS, "chat-page-phone.png")))
    page.close()


def test_working_at_once_filters_and_dark_mode(browser: Browser, page_url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    page.goto(page_url)
    expect(page.locator("#sources option").first).to_be_attached(timeout=20_000)  # the stored sources, offered
    state = page.evaluate("""() => {
        document.getElementById('msg').value = 'What is the spending target?';
        document.getElementById('ask').requestSubmit();
        const a = document.querySelector('.turn .a');
        return [document.getElementById('send').disabled, a.getAttribute('aria-busy'), a.textContent,
                a.getAttribute('aria-live'), document.getElementById('log').getAttribute('aria-live')];
    }""")
    assert state == [True, "true", "Working…", "polite", None]  # from the first moment, before any answer
    expect(page.locator(".turn .a .text")).to_contain_text("3.5", timeout=20_000)
    expect(page.locator("#send")).to_be_enabled()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(246, 247, 249)"  # the dark palette follows the system
    page.locator("details.filters summary").click()
    page.locator("#f-source").fill("Nobody's Gazette")
    ask(page, "What is the spending target?")
    second = page.locator(".turn").nth(1)
    expect(second.locator(".a")).to_contain_text("no stored article has the source", timeout=20_000)
    page.screenshot(path=str(ARTIFACTS / "chat-page-dark.png"), full_page=True)
    page.close()


def test_api_docs_render_with_no_network_but_the_server(browser: Browser, page_url: str) -> None:
    page = browser.new_page()
    outside: list[str] = []

    def only_loopback(route: Route) -> None:
        if route.request.url.startswith(page_url):
            route.continue_()
        else:  # a CDN: what a closed network does to it
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    page.goto(page_url + "/docs")
    expect(page.get_by_text("/v1/chat").first).to_be_visible(timeout=20_000)
    assert outside == []
    page.close()

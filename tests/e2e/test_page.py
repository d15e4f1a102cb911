"""The page in a real headless Chromium (Debian's, driven by Playwright): upload a real
photo, a real video and real speech, wait for the verdicts, check that evidence and plots render,
check a ledger proof in the browser, by keyboard alone and on a phone-sized screen.

Screenshots are kept in build/e2e/ as test artefacts. The browser comes from conftest.py
(skipped without Chromium locally, a failure under CI).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from fauxlab.provenance.context import Provenance
from fauxlab.provenance.seal import ModelInfo, seal_image
from serve_helpers import running_server

ARTEFACTS = Path(__file__).resolve().parents[2] / "build" / "e2e"
VERDICT_TIMEOUT_MS = 240_000
CHART_TEXT = 15  # the smallest font size inside a chart, at its natural width
MIN_TEXT_PX = 11


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("e2e")
    # A ledger of its own, so that entry 1's audit path does not depend on what other tests
    # on this worker have sealed before.
    provenance = Provenance.default(folder / "ledger.sqlite")
    for k in range(3):  # three entries, so that an inclusion proof has a real audit path
        image = np.ascontiguousarray(np.roll(astronaut[::2, ::2], 40 * k, axis=1))
        seal_image(image, folder / f"sealed-{k}.png", ModelInfo("e2e", "ef" * 32),
                   provenance=provenance)  # fmt: skip
    ledger = ("--ledger", str(provenance.ledger_path))
    with running_server(folder / "data", *ledger) as base:  # every detector, as users get it
        yield base


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> Path:
    path = tmp_path_factory.mktemp("photo") / "astronaut.jpg"
    Image.fromarray(np.ascontiguousarray(astronaut[:, ::-1])).save(path, quality=90)
    return path


def _analyse(page: Any, path: Path) -> None:
    """Upload `path`, wait for the verdict, then for every figure to decode.

    Figures load lazily and after the verdict is drawn, so each is scrolled into view (as
    a reader would) and awaited; counting them straight after the verdict raced the loads.
    """
    page.set_input_files("#file-analyse", str(path))
    page.wait_for_selector("#verdict", timeout=VERDICT_TIMEOUT_MS)
    for image in page.locator("#result-analyse img").all():
        image.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#result-analyse img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    page.evaluate("window.scrollTo(0, 0)")


def _images_loaded(page: Any, selector: str) -> int:
    """How many images under `selector` decoded to a real picture."""
    count: int = page.eval_on_selector_all(
        selector, "imgs => imgs.filter(i => i.complete && i.naturalWidth > 0).length"
    )
    return count


def test_photo_and_video_get_verdicts_with_evidence_and_plots(
    browser: Any, server: str, photo: Path, video_with_audio: Path
) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server)
    _analyse(page, photo)
    assert page.inner_text("#verdict") in ("Fake", "No sign of manipulation", "Uncertain")
    assert "%" in page.inner_text("#probability")
    cards = page.locator("article.evidence")
    assert cards.count() >= 5  # learned, spectrum, generated, blink, lipsync, ...
    assert page.locator('article.evidence[data-detector="blink"] .na').count() == 1
    assert _images_loaded(page, "article.evidence img") >= 2  # heatmap, spectrum, ...
    assert page.locator("article.provenance").count() == 1
    page.screenshot(path=str(ARTEFACTS / "photo.png"), full_page=True)

    _analyse(page, video_with_audio)
    assert _images_loaded(page, "img.timeline") == 1
    assert _images_loaded(page, 'figure.chart img[src$=".svg"]') >= 3  # timeline, blink, ...
    # Charts are SVG images shown at (nearly) their natural width: their text stays legible.
    scales = page.eval_on_selector_all(
        "figure.chart img",
        "imgs => imgs.map(i => i.getBoundingClientRect().width / i.naturalWidth)",
    )
    assert min(scales) * CHART_TEXT >= MIN_TEXT_PX, scales
    assert page.locator('article.evidence[data-detector="lipsync"] .na').count() == 0
    assert _images_loaded(page, "article.evidence img") >= 3
    report = page.get_attribute('a[href$="/report"]', "href")
    assert report and page.request.get(server + report).ok
    page.screenshot(path=str(ARTEFACTS / "video.png"), full_page=True)
    assert errors == []
    assert (ARTEFACTS / "video.png").stat().st_size > 10_000


def test_speech_gets_a_voice_verdict_a_player_and_its_spectrogram(
    browser: Any, server: str, speech_file: Path
) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: r.status >= 400 and errors.append(f"{r.status} {r.url}"))
    page.goto(server)
    _analyse(page, speech_file)
    assert page.inner_text("#verdict") in ("Fake", "No sign of manipulation", "Uncertain")
    assert page.locator("img.thumb").count() == 0  # a sound has no frame to show
    # The uploaded file itself plays from the browser's copy (the CSP lets blob: media in).
    page.wait_for_function("() => document.querySelector('#player').readyState >= 1")
    assert page.evaluate("document.querySelector('#player').duration") > 5
    voice = page.locator('article.evidence[data-detector="voice"]')
    assert voice.count() == 1 and voice.locator(".na").count() == 0
    assert "P(fake)" in voice.inner_text()
    assert _images_loaded(page, 'article.evidence[data-detector="voice"] img') == 1
    assert page.locator("article.provenance").count() == 1
    page.screenshot(path=str(ARTEFACTS / "speech.png"), full_page=True)
    assert errors == []


def test_keyboard_only_ledger_proof_on_a_narrow_screen(browser: Any, server: str) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 740})
    page.goto(server)
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the selected tab
    assert page.evaluate("document.activeElement.id") == "tab-analyse"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.id") == "tab-ledger"
    assert page.is_visible("#panel-ledger") and not page.is_visible("#panel-analyse")
    page.wait_for_selector("#head-signature")
    assert "valid" in page.inner_text("#head-signature")
    page.keyboard.press("Tab")
    while page.evaluate("document.activeElement.id") != "query-ledger":
        page.keyboard.press("Tab")
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    page.wait_for_selector("#proof-result")
    assert "checked in your browser" in page.inner_text("#proof-result")
    assert "Audit path (2 hashes)" in page.inner_text("#result-ledger")
    # The page's own checker must also say no: the same proof against a changed root.
    verdicts = page.evaluate(
        """async () => {
          const a = await (await fetch('/api/ledger/entries/1')).json();
          const leaf = await leafHash(new TextEncoder().encode(a.proof.entry_json));
          const path = a.proof.path.map(hexToBytes);
          const root = hexToBytes(a.head.root);
          const bad = hexToBytes(a.head.root); bad[0] ^= 1;
          return [await verifyInclusion(leaf, 1, a.proof.tree_size, path, root),
                  await verifyInclusion(leaf, 1, a.proof.tree_size, path, bad),
                  await verifyInclusion(leaf, 0, a.proof.tree_size, path, root)];
        }"""
    )
    assert verdicts == [True, False, False]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width} px)"
    page.screenshot(path=str(ARTEFACTS / "ledger-narrow.png"), full_page=True)

"""The HTML report as a reader and a printer get it, in Debian's Chromium (Playwright):
`fauxlab detect` on a video with a cut and on a photo, then

- on screen (1100 px wide, 100% zoom): every chart's smallest text is at least 11 CSS px,
  no picture or chart spills out of its box, nothing scrolls sideways;
- printed to PDF on A4 and on Letter: a page count that fits, every picture in the PDF,
  and, laid out for print at each paper's width, every figure shorter than a page and
  kept whole, each file starting on a new page, the verdict kept with what follows.

The PDFs and screenshots are kept in build/e2e/ as test artefacts.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from cli_helpers import fauxlab

ARTEFACTS = Path(__file__).resolve().parents[2] / "build" / "e2e"
MIN_TEXT_PX = 11.0
SCREEN = {"width": 1100, "height": 900}
PX_PER_MM = 96 / 25.4
PAPERS = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}  # millimetres
MARGINS_MM = (14.0, 12.0)  # the report's @page margins: top and bottom, left and right
SECONDS_EACH = 2.5

# For each chart: its name, how many texts, the smallest text in CSS px as drawn.
CHART_TEXT = """() => [...document.querySelectorAll('svg.chart')].map(svg => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const sizes = [...svg.querySelectorAll('text')]
    .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
  return [svg.getAttribute('aria-label'), sizes.length, Math.min(...sizes)];
})"""
# Pictures and charts that stick out of their article (or the page), or never decoded.
OVERFLOWS = """() => {
  const bad = [];
  for (const node of document.querySelectorAll('img, svg.chart')) {
    const box = node.getBoundingClientRect();
    const holder = node.closest('figure').parentElement.getBoundingClientRect();
    const article = (node.closest('article, section') || document.body).getBoundingClientRect();
    const out = box.right > Math.min(holder.right, article.right) + 0.5
      || box.left < Math.max(holder.left, article.left) - 0.5
      || (node.tagName === 'IMG' && !(node.complete && node.naturalWidth > 0));
    if (out) bad.push(node.getAttribute('alt') || node.getAttribute('aria-label'));
  }
  return bad;
}"""
# Figures as laid out for print: [caption or label, height in px, break-inside].
FIGURES = """() => [...document.querySelectorAll('figure')].map(f => [
  (f.querySelector('figcaption') || f).textContent.slice(0, 60),
  f.getBoundingClientRect().height, getComputedStyle(f).breakInside])"""


def _clip(path: Path) -> tuple[list[np.ndarray], Fraction]:
    """The first SECONDS_EACH seconds of a clip's frames, and its frame rate."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = Fraction(stream.average_rate)
        frames: list[np.ndarray] = []
        for frame in container.decode(stream):
            frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) >= SECONDS_EACH * fps:
                break
    return frames, fps


def _spliced(first: Path, second: Path, out: Path) -> Path:
    """Two real clips joined: a video with one cut, at SECONDS_EACH seconds."""
    a, fps = _clip(first)
    b, _ = _clip(second)
    height, width = (d - d % 2 for d in a[0].shape[:2])
    size = (a[0].shape[1], a[0].shape[0])
    b = [np.asarray(Image.fromarray(f).resize(size)) for f in b]
    with av.open(str(out), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        for image in a + b:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image[:height, :width]))
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
    return out


@pytest.fixture(scope="module")
def report(
    tmp_path_factory: pytest.TempPathFactory,
    video_with_audio: Path,
    video_without_audio: Path,
    astronaut: np.ndarray,
) -> Path:
    folder = tmp_path_factory.mktemp("report")
    clip = _spliced(video_with_audio, video_without_audio, folder / "spliced.mp4")
    photo = folder / "photo.jpg"
    Image.fromarray(np.ascontiguousarray(astronaut[:, ::-1])).save(photo, quality=90)
    out = folder / "report.html"
    result = fauxlab("detect", clip, photo, "--report", out, cwd=folder)  # every detector
    assert result.returncode in (0, 1), result.stderr  # 1: something was judged fake
    return out


@pytest.fixture()
def page(browser: Any, report: Path) -> Any:
    opened = browser.new_page(viewport=SCREEN)
    opened.goto(report.as_uri())
    opened.wait_for_function("[...document.images].every(i => i.complete)")
    yield opened
    opened.close()


def _smallest_chart_text(page: Any) -> list[tuple[str, int, float]]:
    charts: list[tuple[str, int, float]] = page.evaluate(CHART_TEXT)
    return charts


def test_on_screen_chart_text_is_legible_and_nothing_spills_out(page: Any) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    charts = _smallest_chart_text(page)
    names = [name for name, _, _ in charts]
    # the video's timeline first, then its detectors' charts (blink, temporal, ...)
    assert names[0] == "How likely each moment is fake, detector by detector"
    assert len(charts) >= 5, names
    for name, count, smallest in charts:
        assert count >= 10 and smallest >= MIN_TEXT_PX, (name, count, smallest)
    assert page.evaluate(OVERFLOWS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"]
    # the cut is marked on the timeline, and faces of its suspicious moments shown under it
    timeline = page.locator("section.timeline")
    assert timeline.locator("svg.chart text", has_text="cut").count() >= 1
    assert timeline.locator(".moments img").count() >= 2
    markup = page.eval_on_selector_all("svg.chart", "s => s.map(x => x.outerHTML).join('')")
    assert "NaN" not in markup and "Infinity" not in markup
    page.screenshot(path=str(ARTEFACTS / "report.png"), full_page=True)


def _pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_the_report_prints_whole_on_each_paper(page: Any, paper: str) -> None:
    images = page.locator("img").count()
    files = page.locator("article.file").count()
    data = page.pdf(format=paper, print_background=True)
    (ARTEFACTS / f"report-{paper}.pdf").write_bytes(data)
    pages = _pdf_pages(data)
    assert files + 1 <= pages <= 12 * files, pages  # files apart; no page per chart either
    assert len(re.findall(rb"/Subtype\s*/Image", data)) == images  # every picture printed

    # The same layout Chromium printed: print style, the paper's printable width.
    width_mm, height_mm = PAPERS[paper]
    printable = (height_mm - 2 * MARGINS_MM[0]) * PX_PER_MM
    page.emulate_media(media="print")
    page.set_viewport_size(
        {"width": round((width_mm - 2 * MARGINS_MM[1]) * PX_PER_MM), "height": round(printable)}
    )
    for caption, height, breaking in page.evaluate(FIGURES):
        assert height < printable and breaking == "avoid", (caption, height, breaking)
    assert page.evaluate(OVERFLOWS) == []
    for name, _, smallest in _smallest_chart_text(page):
        assert smallest >= MIN_TEXT_PX, (paper, name, smallest)
    second = page.locator("article.file").nth(1)
    assert second.evaluate("a => getComputedStyle(a).breakBefore") == "page"
    verdict = page.locator("article.file header.verdict").first
    assert verdict.evaluate("h => getComputedStyle(h).breakAfter") == "avoid"


def test_on_a_phone_charts_scroll_in_their_box_and_keep_their_text(page: Any) -> None:
    page.set_viewport_size({"width": 400, "height": 800})
    for name, _, smallest in _smallest_chart_text(page):
        assert smallest >= MIN_TEXT_PX, (name, smallest)
    assert page.evaluate("document.documentElement.scrollWidth") <= 400

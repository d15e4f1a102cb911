"""The HTML report: one self-contained file a non-expert can read.

Charts are inline SVG (their text is text: sharp at any zoom and in print), pictures
are embedded as data: URIs and the style is inline, so the file can be mailed or archived
on its own; there is no script and no external address. Every piece of text that came
from a file or a detector is escaped. The print style keeps each file's verdict with its
first evidence, never cuts a figure, and starts each file on a new page, so the page
printed to PDF (A4 or Letter) is what an analyst attaches.
"""

from __future__ import annotations

import base64
import html
from collections import Counter
from pathlib import Path

from fauxlab import __version__
from fauxlab.charts import Svg
from fauxlab.detection.evidence import Evidence, Figure, Verdict, edits_summary
from fauxlab.detection.onefile import DetectRun, FileReport
from fauxlab.detection.registry import about as detector_about
from fauxlab.detection.report.figures import timeline_svg
from fauxlab.fileio import atomic_output

_STYLE = """
body{font:16px/1.5 system-ui,sans-serif;max-width:1000px;margin:2rem auto;padding:0 1rem;
color:#222}
h1{margin-bottom:.2rem}.sub{color:#555;margin-top:0}
article{border:1px solid #ddd;border-left:8px solid #607d8b;border-radius:6px;
padding:.6rem 1.2rem;margin:1.5rem 0}
article.fake{border-left-color:#c62828}article.real{border-left-color:#2e7d32}
article.uncertain{border-left-color:#ef6c00}
.badge{display:inline-block;padding:.1rem .7rem;border-radius:4px;color:#fff;font-weight:700;
text-transform:uppercase;background:#607d8b}
.fake .badge,.chip.fake{background:#c62828}.real .badge,.chip.real{background:#2e7d32}
.uncertain .badge,.chip.uncertain{background:#ef6c00}
.chip{display:inline-block;padding:.1rem .6rem;margin:.2rem;border-radius:4px;color:#fff;
background:#607d8b}
.prob{font-size:1.2rem;margin-left:.8rem}.why{font-size:1.05rem}
h2{margin:.4rem 0;word-break:break-all}figure{display:inline-block;margin:.5rem 1rem .5rem 0;
vertical-align:top;max-width:100%}
img,svg{box-sizing:border-box}img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{color:#555;font-size:.85rem;max-width:380px}
figure.chart{display:block;margin:.8rem 0;overflow-x:auto}figure.chart figcaption{max-width:720px}
svg.chart{display:block;width:100%;max-width:720px;min-width:540px;height:auto;
border:1px solid #ddd}
.moments{display:flex;flex-wrap:wrap;gap:.2rem 1rem}.moments figure{margin:0}
.moments figcaption{font-size:.85rem;max-width:124px}
section.timeline{margin:1rem 0}
@media print{
@page{margin:14mm 12mm}
body{max-width:none;margin:0;padding:0}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
article.file+article.file{break-before:page}
article{border-left-width:6px}
header.verdict{break-after:avoid}
h2,h3{break-after:avoid}
figure,img,svg,li,dl,section.timeline,.overview,.help{break-inside:avoid}
section.timeline,.overview{break-after:avoid}
a{color:inherit;text-decoration:none}
}
dl{display:inline-grid;grid-template-columns:auto auto;gap:.1rem .8rem;font-size:.9rem;
vertical-align:top}dt{color:#666}dd{margin:0;word-break:break-all}
li{margin:.5rem 0}.muted{color:#666}.help{background:#f6f6f6;padding:.6rem 1.2rem;
border-radius:6px}
"""

_HEADLINE = {
    Verdict.FAKE: "Fake",
    Verdict.REAL: "No sign of manipulation",
    Verdict.UNCERTAIN: "Uncertain",
    Verdict.NO_FACE: "No face found",
}


def _e(text: object) -> str:
    return html.escape(str(text))


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _figure(data: bytes, mime: str, caption: str, width: int | None = None) -> str:
    size = f' width="{width}"' if width else ""
    return (
        f'<figure><img src="{_data_uri(data, mime)}" alt="{_e(caption)}"{size}>'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _chart(svg: Svg, caption: str) -> str:
    """A chart inline, at most its natural width, so its text keeps its size."""
    return f'<figure class="chart">{svg.markup}<figcaption>{_e(caption)}</figcaption></figure>'


def _evidence_figure(figure: Figure) -> str:
    if figure.format == "svg":
        return _chart(figure.svg, figure.caption)
    return _figure(figure.png, "image/png", figure.caption, 360)


def _probability(p: float | None) -> str:
    return "could not judge" if p is None else f"P(fake) {p:.2f}"


def moved(item: Evidence, contributions: dict[str, float | None]) -> str:
    """One line: how far this evidence moved the file's probability ("" if not known)."""
    if item.probability is None:
        return "Part in the verdict: not applicable (it could not judge this file)."
    if item.detector not in contributions:
        return ""
    change = contributions[item.detector]
    if change is None or abs(change) < 0.005:
        return "Did not move the verdict."
    return f"Moved the verdict by {change:+.2f}."


def _evidence(item: Evidence, contributions: dict[str, float | None]) -> str:
    about = detector_about(item.detector)
    what = f" <span class='muted'>({_e(about)})</span>" if about else ""
    decisive = " &middot; <b>decisive</b>" if item.decisive else ""
    figures = "".join(_evidence_figure(f) for f in item.figures)
    line = moved(item, contributions)
    part = f"<br><span class='muted'>{_e(line)}</span>" if line else ""
    return (
        f"<li><b>{_e(item.detector)}</b>: {_e(_probability(item.probability))}{decisive}{what}"
        f"<br>{_e(item.summary)}{part}{'<div>' + figures + '</div>' if figures else ''}</li>"
    )


def _facts(report: FileReport) -> str:
    rows = [
        ("kind", report.kind),
        ("size", f"{report.width} x {report.height}"),
        ("faces found", str(report.face_count)),
        ("frames examined", str(report.frames_analysed)),
        ("SHA-256", report.sha256),
        ("time taken", f"{report.seconds:.1f} s"),
    ]
    if report.duration is not None:
        rows.insert(2, ("duration", f"{report.duration:.1f} s"))
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows) + "</dl>"


def timeline_series(report: FileReport) -> dict[str, list[tuple[float, float]]]:
    """Each detector's P(fake) over time: face-level detectors per face (when there are
    several), whole-picture detectors from their per-keyframe scores."""
    several = len({p.track_id for p in report.timeline}) > 1
    series: dict[str, list[tuple[float, float]]] = {}
    for p in report.timeline:
        name = f"{p.detector}, face {p.track_id}" if several else p.detector
        series.setdefault(name, []).append((p.time, p.probability))
    for item in report.evidence:
        rows = item.details.get("per_frame")
        if item.probability is None or not isinstance(rows, list) or len(rows) < 2:
            continue
        points = [(float(r["time"]), float(r["probability"])) for r in rows]
        series[f"{item.detector} (whole picture)"] = points
    return series


def file_timeline(report: FileReport, *, faces_shown: bool = True) -> Svg | None:
    """The chart a person reads first for a video: every detector's score over time,
    the verdict zones and threshold, the cuts, and (`faces_shown`: the page shows the
    faces under it) the moments whose faces are shown; None for a still or a sound."""
    if report.kind != "video":
        return None
    cuts = [e.time for e in report.edits if e.kind == "cut" and e.time is not None]
    shown = [(m.time, m.probability) for m in report.moments] if faces_shown else []
    return timeline_svg(timeline_series(report), report.bands, report.duration, cuts, shown)


def _moments(report: FileReport) -> str:
    if not report.moments:
        return ""
    faces = "".join(
        f'<figure><img src="{_data_uri(m.jpeg, "image/jpeg")}" width="120" height="120" '
        f'alt="{_e(f"face {m.track_id} at {m.time:.1f} s")}">'
        f"<figcaption>{m.time:.1f} s: {m.probability:.2f} by {_e(m.detector)}, face "
        f"{m.track_id}</figcaption></figure>"
        for m in report.moments
    )
    return f'<div class="moments">{faces}</div>'


def _timeline(report: FileReport) -> str:
    chart = file_timeline(report)
    if chart is None:
        return ""
    caption = (
        "Each line is one detector's probability of fake over the video (per face for "
        "face detectors, per keyframe for whole-picture ones). Above the dashed threshold a "
        "moment looks fake; the shaded zones are the verdict's real, uncertain and fake "
        "ranges. Dotted vertical lines are cuts (ordinary edits, not evidence)."
    )
    if report.moments:
        caption += " The black dots are the moments whose faces are shown below."
    return (
        f'<section class="timeline"><h3>Over time</h3>{_chart(chart, caption)}'
        f"{_moments(report)}</section>"
    )


def _file(report: FileReport) -> str:
    verdict = report.verdict
    if report.thumbnail is not None:
        caption = (
            "Faces found, boxed by score: vermillion fake, orange uncertain, bluish green real, "
            "grey not scored."
            if report.faces
            else "No face was found in the examined frames."
        )
        picture = _figure(report.thumbnail, "image/jpeg", caption)
    else:
        picture = ""
    evidence = "".join(_evidence(e, report.contributions) for e in report.evidence)
    return f"""<article class="file {_e(verdict.name.lower().replace("_", "-"))}">
<header class="verdict"><h2>{_e(report.path.name)}</h2><p class="muted">{_e(report.path)}</p>
<p><span class="badge">{_e(_HEADLINE[verdict])}</span>
<span class="prob">{_e(_probability(report.probability))}</span></p>
<p class="why">{_e(report.explanation)}</p>{_edits(report)}</header>
{_timeline(report)}<div class="overview">{picture}{_facts(report)}</div>
<h3>Evidence</h3><ul>{evidence}</ul>
</article>"""


def _edits(report: FileReport) -> str:
    """Ordinary edits, apart from the verdict: a person checks them, they prove nothing."""
    summary = edits_summary(report.edits)
    if not summary:
        return ""
    return f'<p class="edits"><strong>Edits (not evidence of a fake):</strong> {_e(summary)}</p>'


def _how_to_read(run: DetectRun) -> str:
    b = run.bands
    return f"""<section class="help"><h2>How to read this</h2>
<p>Each detector looks for one kind of manipulation and gives the probability that the file
is fake, or says it could not judge (for example, a face detector on a picture without a
face). Each probability is first calibrated on labelled development data, and the file's
probability is the highest of them, because a file is fake as soon as one specialised detector
is confident. Under each piece of evidence, "moved the verdict by" is the file's probability
with that evidence minus the probability without it. fauxlab's own provenance marks, when
present, settle the verdict on their own.</p>
<ul><li><b>Fake</b>: probability {b.fake_from:.2f} or more, or fauxlab's own marks say an AI
made it.</li>
<li><b>Uncertain</b>: between {b.real_below:.2f} and {b.fake_from:.2f}, too close to call;
look at the evidence and at the source of the file.</li>
<li><b>No sign of manipulation</b> ("real"): below {b.real_below:.2f}.</li>
<li><b>No face found</b>: the face detectors had nothing to look at, and no whole-image
detector was confident the file is fake.</li></ul></section>"""


_LIMITS = """<section><h2>Limits</h2><ul>
<li>A detector can be wrong, both ways. Treat a verdict as a lead to check, not as proof.</li>
<li>"No sign of manipulation" means these detectors found no evidence of manipulation; it does
not prove the file is authentic. New kinds of fakes may not be recognised.</li>
<li>Heavy compression, tiny faces and unusual lighting make every detector less reliable.</li>
<li>Missing provenance marks say nothing: only fauxlab (and tools that sign C2PA credentials)
add them.</li></ul></section>"""


def _problems(run: DetectRun) -> str:
    parts: list[str] = []
    if run.errors:
        items = "".join(f"<li>{_e(e.path)}: {_e(e.reason)}</li>" for e in run.errors)
        parts.append(f"<section><h2>Files that could not be read</h2><ul>{items}</ul></section>")
    if run.skipped:
        items = "".join(f"<li>{_e(s.name)}: {_e(s.reason)}</li>" for s in run.skipped)
        parts.append(f"<section><h2>Detectors not used</h2><ul>{items}</ul></section>")
    return "".join(parts)


def render(run: DetectRun) -> str:
    """The report page as one string."""
    counts = Counter(f.verdict for f in run.files)
    chips = "".join(
        f'<span class="chip {_e(v.name.lower().replace("_", "-"))}">'
        f"{counts[v]} {_e(_HEADLINE[v].lower())}</span>"
        for v in Verdict
        if counts[v]
    )
    detectors = ", ".join(run.detectors) or "none"
    files = "".join(_file(f) for f in run.files)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>fauxlab detection report</title><style>{_STYLE}</style></head><body>
<h1>Is it fake? fauxlab detection report</h1>
<p class="sub">{len(run.files)} file(s) examined by fauxlab {_e(__version__)} with the
detectors {_e(detectors)}; threshold {run.bands.threshold:.2f}.</p>
<p>{chips}</p>
{_how_to_read(run)}
{files}
{_problems(run)}
{_LIMITS}
</body></html>
"""


def write_html(run: DetectRun, path: Path, *, overwrite: bool = False) -> Path:
    """Write the report; an existing file is refused unless `overwrite`."""
    with atomic_output(path, overwrite=overwrite) as partial:
        partial.write_text(render(run), encoding="utf-8")
    return path

"""The demo's HTML page: every picture the demo made, with the numbers behind it."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

_STYLE = """
body{font:16px/1.5 system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#222}
h1{margin-bottom:0}.sub{color:#666;margin-top:.2rem}
section{margin:2rem 0}figure{display:inline-block;margin:.5rem;vertical-align:top}
img,video{max-width:100%;border:1px solid #ddd}figcaption{color:#555;font-size:.9rem}
pre{background:#f6f6f6;padding:1rem;overflow:auto;font-size:.85rem}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ddd;padding:.3rem .6rem;
text-align:left;font-size:.9rem}.warn{color:#b71c1c}
"""


def _figure(src: str, caption: str, width: int | None = None) -> str:
    size = f' width="{width}"' if width else ""
    return (
        f'<figure><img src="{html.escape(src)}" alt="{html.escape(caption)}"{size}>'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _provenance_table(rows: list[dict[str, Any]]) -> str:
    head = "<tr><th>file</th><th>what it is</th><th>watermark</th><th>C2PA</th><th>ledger</th></tr>"
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(row[key]))}</td>"
            for key in ("file", "what", "watermark", "c2pa", "ledger")
        )
        + "</tr>"
        for row in rows
    )
    return f"<table>{head}{body}</table>"


GAN_TEXT = """A GAN (generative adversarial network) is two networks trained against each
other: a generator turns random noise into a picture, and a discriminator is shown real
pictures and the generator's and learns to tell them apart. Each improves by beating the
other, until the generator's pictures pass for real. fauxlab ships two small generators,
trained on anime faces and on UTKFace photos at 64 px; every picture and video they make
is sealed."""

WALK_TEXT = """A latent walk: the noise the generator starts from moves smoothly from one
point to the next (one a second), and the face changes smoothly with it: the generator
has learned a continuous space of faces, not a list of pictures."""

REPLACE_TEXT = """A face swap needs a model trained for hours on two people, so the demo
does the last step alone: in every frame the astronaut's face is found and tracked, a
face drawn by the <code>utkface</code> generator is aligned to its landmarks, its colours
matched to the skin it covers (mean and spread in LAB), and pasted through a feathered
mask with the inverse transform, as <code>fauxlab swap apply</code> does. The result is
sealed, sound kept."""

DETECT_TEXT = """Each file is analysed once and told twice. <b>The content detectors</b> look
only at the pixels, as they would at a fake made by any other tool. <b>Our marks</b>
(watermark, signed C2PA credentials, ledger) settle "fake" on their own for everything
fauxlab made, so they are shown apart: a fake from another tool carries none of them.
The real photo may show a near match in the ledger: the sealed copy of it in part 3."""


def _errors(part: dict[str, Any]) -> str:
    return "".join(
        f'<p class="warn">{html.escape(name)}: not available: {html.escape(str(v["error"]))}</p>'
        for name, v in part.items()
        if isinstance(v, dict) and "error" in v
    )


def _gan_section(gan: dict[str, Any]) -> str:
    figures = "".join(
        _figure(v["grid"], f"16 sealed samples of {name} ({v['training_steps']} training steps)")
        for name, v in gan.items()
        if name != "walk" and "grid" in v
    )
    walk = gan.get("walk", {})
    video = ""
    if "file" in walk:
        src = html.escape(walk["file"])
        video = (
            f'<figure><video src="{src}" controls loop width="256"></video>'
            f"<figcaption>{WALK_TEXT}</figcaption></figure>"
        )
    return f"""<section><h2>4. GANs: faces from noise</h2><p>{GAN_TEXT}</p>
{_errors(gan)}{figures}{video}</section>"""


def _replace_section(replaced: dict[str, Any]) -> str:
    title = "<section><h2>5. A face replaced</h2>"
    if "error" in replaced:
        problem = html.escape(str(replaced["error"]))
        return f'{title}<p class="warn">Skipped: {problem}</p></section>'
    src = html.escape(replaced["file"])
    placed = (
        "the GAN face's landmarks were found on it"
        if replaced["generated_face_landmarks"] == "detected"
        else "no landmarks were found on the GAN faces, so the face was placed where "
        "UTKFace crops have it (the generator's training data)"
    )
    return f"""{title}<p>{REPLACE_TEXT}</p>
<video src="{src}" controls width="320"></video>
{_figure(replaced["still"], "the GAN face, a frame before, the same frame after")}
<p>{replaced["frames_replaced"]} of {replaced["frames"]} frames replaced; {placed}.</p>
</section>"""


def _fmt(p: float | None) -> str:
    return "&ndash;" if p is None else f"{p:.2f}"


def _detection_table(detection: dict[str, Any]) -> str:
    names: list[str] = detection.get("detectors", [])
    head = (
        '<tr><th rowspan="2">file</th><th rowspan="2">what it is</th>'
        f'<th colspan="{2 + len(names)}">content detectors (without our marks)</th>'
        '<th rowspan="2">what our marks say</th>'
        '<th rowspan="2"><code>fauxlab detect</code></th></tr><tr><th>verdict</th>'
        "<th>P(fake)</th>" + "".join(f"<th>{html.escape(n)}</th>" for n in names) + "</tr>"
    )
    body = ""
    for row in detection.get("files", []):
        src = html.escape(row["file"])
        thumb = f'<img src="{src}" alt="" width="48"> ' if src.endswith(".png") else ""
        link = f'<a href="{src}">{thumb}{src}</a>'
        cells = f"<td>{link}</td><td>{html.escape(row['what'])}</td>"
        if "error" in row:
            span = 4 + len(names)
            body += f'<tr>{cells}<td colspan="{span}">not examined: '
            body += f"{html.escape(row['error'])}</td></tr>"
            continue
        per = "".join(f"<td>{_fmt(row['detectors'].get(n))}</td>" for n in names)
        marks = html.escape(row["marks"])
        body += (
            f"<tr>{cells}<td>{html.escape(row['content_verdict'])}</td>"
            f"<td>{_fmt(row['content_probability'])}</td>{per}"
            f'<td title="{html.escape(row["marks_say"])}">{marks}</td>'
            f"<td>{html.escape(row['verdict'])} {_fmt(row['probability'])}</td></tr>"
        )
    return f"<table>{head}{body}</table>"


def _detection_section(detection: dict[str, Any]) -> str:
    if not detection:
        return ""
    skipped = "".join(
        f'<p class="warn">Detector {html.escape(s["name"])} could not load and was left out: '
        f"{html.escape(s['reason'])}</p>"
        for s in detection.get("skipped", [])
    )
    report, content = (html.escape(detection[k]) for k in ("report", "content_report"))
    return f"""<section><h2>6. Is it fake? <code>fauxlab detect</code></h2><p>{DETECT_TEXT}</p>
{skipped}{_detection_table(detection)}
<p>P(fake) per detector; &ndash; where it could not judge (no face found, or no mark).
A detector can be wrong both ways: a verdict is a lead to check, not proof.
Verdicts: fake from {detection["fake_from"]:.2f}, real below {detection["real_below"]:.2f},
uncertain between; {detection["keyframes"]} keyframes per video. The full reports, as
<code>fauxlab detect --report</code> writes them:
<a href="{report}">with our marks</a> and <a href="{content}">content detectors only</a>
(faces, heatmaps, the score over time).</p></section>"""


def write_page(out: Path, facts: dict[str, Any]) -> Path:
    identity = facts.get("identity", {})
    clip = facts.get("clip", {})
    extract = facts.get("extract", {})
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>fauxlab demo</title><style>{_STYLE}</style></head><body>
<h1>fauxlab demo</h1>
<p class="sub">fauxlab {html.escape(str(facts.get("version")))}: the face pipeline on media
fauxlab may ship (skimage's astronaut, and a clip rendered from it), what its GANs draw,
a face replaced, and what <code>fauxlab detect</code> makes of it all.</p>
<section><h2>1. A still: detect, landmark, align, mask</h2>
{_figure("still_annotated.png", "68 landmarks (iBUG scheme) and the face box", 360)}
{_figure("still_aligned.png", "aligned to the canonical face (256 px, margin 0.25)", 256)}
{_figure("still_masks.png", "feathered masks: face (blue), eyes (red), mouth (green)", 256)}
<p>Identity (dlib 128-D embedding): distance to the mirrored portrait
{identity.get("mirrored")}, to a downscaled copy {identity.get("downscaled")}; below 0.6
means the same person.</p></section>
<section><h2>2. A clip with sound: track and extract</h2>
<video src="clip.mp4" controls width="320"></video>
{_figure("clip_tracks.png", "eight frames with track ids and landmarks")}
{_figure("clip_crops.png", "aligned crops written by `fauxlab faces extract`")}
<p>{html.escape(str(clip.get("frames_with_face")))} frames with a face,
{clip.get("tracks")} track(s); {extract.get("faces_written")} crops in
{extract.get("seconds")} s.</p></section>
<section><h2>3. Provenance: seal, then verify</h2>
<p>One picture sealed (invisible watermark, signed C2PA manifest saying it is
AI-generated, entry in a Merkle ledger), then four files checked.</p>
{_provenance_table(facts.get("provenance", []))}
{_figure("provenance/sealed.png", "the sealed picture: the watermark is invisible", 256)}
</section>
{_gan_section(facts.get("gan", {}))}
{_replace_section(facts.get("face_replaced", {}))}
{_detection_section(facts.get("detection", {}))}
<section><h2>All numbers</h2><pre>{html.escape(json.dumps(facts, indent=2, default=str))}</pre>
</section></body></html>
"""
    page = out / "index.html"
    page.write_text(body, encoding="utf-8")
    return page

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
text-align:left;font-size:.9rem}
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


def write_page(out: Path, facts: dict[str, Any]) -> Path:
    identity = facts.get("identity", {})
    clip = facts.get("clip", {})
    extract = facts.get("extract", {})
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>fauxlab demo</title><style>{_STYLE}</style></head><body>
<h1>fauxlab demo</h1>
<p class="sub">fauxlab {html.escape(str(facts.get("version")))}: the face pipeline on media
fauxlab may ship (skimage's astronaut, and a clip rendered from it).</p>
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
<section><h2>All numbers</h2><pre>{html.escape(json.dumps(facts, indent=2, default=str))}</pre>
</section></body></html>
"""
    page = out / "index.html"
    page.write_text(body, encoding="utf-8")
    return page

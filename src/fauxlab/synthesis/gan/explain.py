"""`gan explain`: one self-contained HTML page about a run (curves and grids inline)."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

from fauxlab.errors import InputError
from fauxlab.synthesis.gan.plots import COLOURS
from fauxlab.training import MetricsLog

MAX_GRIDS = 6


def _svg(records: list[dict[str, object]], keys: tuple[str, ...], title: str) -> str:
    points = {
        k: [(float(str(r["step"])), float(str(r[k]))) for r in records if k in r] for k in keys
    }
    flat = [p for values in points.values() for p in values]
    if not flat:
        return f"<p>No {html.escape(title)} logged yet.</p>"
    x0, x1 = min(p[0] for p in flat), max(p[0] for p in flat)
    y0, y1 = min(p[1] for p in flat), max(p[1] for p in flat)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    width, height = 720, 240
    lines = []
    for key, values in points.items():
        colour = f"rgb{COLOURS.get(key, (0, 0, 0))}"
        coords = " ".join(
            f"{(x - x0) / (x1 - x0) * width:.1f},{height - (y - y0) / (y1 - y0) * height:.1f}"
            for x, y in values
        )
        lines.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}"/>'
        )
        lines.append(f'<text x="{width - 110}" y="{16 + 16 * len(lines) // 2}" fill="{colour}">')
        lines.append(f"{html.escape(key)}</text>")
    return (
        f"<h2>{html.escape(title)}</h2>"
        f'<svg viewBox="-40 -10 {width + 60} {height + 30}" width="{width + 60}">'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="none" stroke="#aaa"/>'
        f'<text x="-38" y="10">{y1:.3g}</text><text x="-38" y="{height}">{y0:.3g}</text>'
        f'<text x="{width - 80}" y="{height + 20}">step {int(x1)}</text>'
        + "".join(lines)
        + "</svg>"
    )


def _grids(run: Path) -> str:
    grids = sorted((run / "samples").glob("grid-*.png"))
    if len(grids) > MAX_GRIDS:  # the first, the last, and evenly spaced ones between
        picks = [round(i * (len(grids) - 1) / (MAX_GRIDS - 1)) for i in range(MAX_GRIDS)]
        grids = [grids[i] for i in sorted(set(picks))]
    figures = []
    for path in grids:
        data = base64.b64encode(path.read_bytes()).decode()
        step = int(path.stem.split("-")[1])
        figures.append(
            f'<figure><img src="data:image/png;base64,{data}" width="360">'
            f"<figcaption>step {step} (sealed: watermarked, signed, in the ledger)"
            "</figcaption></figure>"
        )
    return "".join(figures) or "<p>No grids yet.</p>"


INTRO = """<p>A GAN is a game between two networks. The generator G turns random noise into
images; the discriminator D scores images as real (from the training folder) or fake (from
G). D is trained to tell them apart, G to make D call its images real. When the game is
balanced, D's loss and G's loss stay level and D(real) and D(fake) stay close: neither
side wins outright. D(real) near 1 with D(fake) near 0 for long means D has won and G's
gradients are vanishing; losses that swing wildly mean the game is unstable.</p>"""


def explain_page(run: Path) -> str:
    config_path = run / "config.json"
    if not config_path.is_file():
        raise InputError(f"{run}: not a GAN run folder (no config.json)")
    config = json.loads(config_path.read_text())
    records: list[dict[str, object]] = MetricsLog(run / "metrics.jsonl").read()
    step = int(str(records[-1]["step"])) if records else 0
    arch = config.get("arch", {})
    summary = (
        f"model <b>{html.escape(str(arch.get('model')))}</b> at {arch.get('size')} px, "
        f"loss {html.escape(str(config.get('loss')))}, batch {config.get('batch')}, "
        f"augment {html.escape(', '.join(config.get('augment', [])) or 'none')}, "
        f"R1 gamma {config.get('r1_gamma')}, EMA {config.get('ema_beta')}; {step} steps logged."
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GAN run {html.escape(run.name)}</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:2em auto}}
figure{{display:inline-block;margin:8px}}</style></head><body>
<h1>GAN run: {html.escape(run.name)}</h1>
<p>{summary}</p>
{INTRO}
{_svg(records, ("loss_d", "loss_g"), "Discriminator and generator loss")}
{_svg(records, ("d_real", "d_fake"), "D(real) and D(fake): D's mean score, after a sigmoid")}
<h2>Fixed-noise grids over training</h2>
<p>The same 64 latent vectors drawn at each point: faces emerge from blobs.</p>
{_grids(run)}
</body></html>
"""

"""`gan explain`: one self-contained HTML page about a run (curves and grids inline)."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

from fauxlab.charts import Svg
from fauxlab.errors import InputError
from fauxlab.synthesis.gan.plots import losses_chart, scores_chart
from fauxlab.training import MetricsLog

MAX_GRIDS = 6


def _chart(chart: Svg | None, what: str) -> str:
    if chart is None:
        return f"<p>No {html.escape(what)} logged yet.</p>"
    return f'<figure class="chart">{chart.markup}</figure>'


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
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:900px;margin:2em auto;padding:0 1rem}}
figure{{display:inline-block;margin:8px;break-inside:avoid}}img{{max-width:100%;height:auto}}
figure.chart{{display:block;margin:1rem 0}}
svg.chart{{display:block;width:100%;max-width:720px;height:auto}}</style></head><body>
<h1>GAN run: {html.escape(run.name)}</h1>
<p>{summary}</p>
{INTRO}
<h2>Training curves</h2>
{_chart(losses_chart(records), "losses")}
{_chart(scores_chart(records), "D(real) and D(fake) scores")}
<h2>Fixed-noise grids over training</h2>
<p>The same 64 latent vectors drawn at each point: faces emerge from blobs.</p>
{_grids(run)}
</body></html>
"""

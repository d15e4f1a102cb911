"""Training curves as SVG charts: both losses, and D's scores on real and generated images.

The run folder keeps them as curves.svg (a diagnostic chart, not GAN output: it is not
sealed), and `gan explain` shows the same charts inline.
"""

from __future__ import annotations

from typing import Any

from fauxlab.charts import Rule, Series, Svg, line_chart, palette

COLOURS = {
    "loss_d": palette.VERMILLION,
    "loss_g": palette.BLUE,
    "d_real": palette.GREEN,
    "d_fake": palette.ORANGE,
}
LABELS = {
    "loss_d": "discriminator D's loss",
    "loss_g": "generator G's loss",
    "d_real": "D's score on training images",
    "d_fake": "D's score on generated images",
}


def _series(records: list[dict[str, Any]], key: str) -> list[tuple[float, float]]:
    return [(float(r["step"]), float(r[key])) for r in records if key in r and "step" in r]


def losses_chart(records: list[dict[str, Any]]) -> Svg | None:
    """Both losses over training steps; None before anything was logged."""
    series = [Series(LABELS[k], _series(records, k), COLOURS[k]) for k in ("loss_d", "loss_g")]
    if not any(s.points for s in series):
        return None
    return line_chart(
        series,
        title="Discriminator and generator loss",
        x_title="training step",
        y_title="loss",
        size=(720, 280),
    )


def scores_chart(records: list[dict[str, Any]]) -> Svg | None:
    """D(real) and D(fake), D's mean score after a sigmoid; 0.5 is D unable to tell."""
    series = [Series(LABELS[k], _series(records, k), COLOURS[k]) for k in ("d_real", "d_fake")]
    if not any(s.points for s in series):
        return None
    return line_chart(
        series,
        title="D(real) and D(fake): how real D finds each kind of image",
        x_title="training step",
        y_title="D's score (1 = real)",
        y_range=(0.0, 1.0),
        rules=[Rule(0.5, "D cannot tell them apart")],
        size=(720, 280),
    )


def curves_svg(records: list[dict[str, Any]]) -> bytes:
    """Both charts stacked in one SVG document (curves.svg)."""
    charts = [c for c in (losses_chart(records), scores_chart(records)) if c is not None]
    width = max((c.width for c in charts), default=720)
    parts, height = [], 0
    for chart in charts:
        parts.append(chart.markup.replace("<svg ", f'<svg x="0" y="{height}" ', 1))
        height += chart.height
    markup = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {max(height, 1)}" '
        f'width="{width}" height="{max(height, 1)}">' + "".join(parts) + "</svg>"
    )
    return Svg(markup, width, height).data

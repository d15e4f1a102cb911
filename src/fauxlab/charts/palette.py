"""The Okabe-Ito colours: eight that readers with any common colour-vision deficiency
still tell apart (Okabe and Ito, "Color Universal Design", 2008)."""

from __future__ import annotations

BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"  # "bluish green"
YELLOW = "#F0E442"  # too pale for lines on white: kept for fills only
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"  # "reddish purple"
GREY = "#767676"  # the lightest grey with 4.5:1 contrast on white, for rules and notes
INK = "#222222"
GRID = "#E4E4E4"

# Lines in the order charts hand them out: the most distinct first.
LINES = (BLUE, VERMILLION, GREEN, ORANGE, PURPLE, SKY_BLUE, BLACK)
# Dash patterns that come with the colours once they repeat, so lines stay apart.
DASHES = ("", "8 4", "2 3", "10 3 2 3")

# The verdict bands: real, uncertain, fake.
REAL = GREEN
UNCERTAIN = ORANGE
FAKE = VERMILLION


def rgb(colour: str) -> tuple[int, int, int]:
    """ "#D55E00" -> (213, 94, 0), for code that paints pixels."""
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)

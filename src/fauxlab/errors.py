"""The errors fauxlab raises on purpose, each with a message a user can act on.

The CLI turns every `FauxlabError` into one line on stderr and its `exit_code`;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class FauxlabError(Exception):
    """Base class: an expected failure with a message meant for a person."""

    exit_code = 2


class InputError(FauxlabError):
    """The input cannot be used: missing, unreadable, corrupt, unsupported or too large."""


class UnsupportedFormatError(InputError):
    """The file is readable but not a format fauxlab handles."""


class CorruptMediaError(InputError):
    """The file claims a supported format but cannot be decoded (empty, truncated, damaged)."""


class MediaTooLargeError(InputError):
    """The media exceeds the pixel limit that guards against decompression bombs."""


class NoFaceError(FauxlabError):
    """No face was found where one is required."""


class OutputExistsError(FauxlabError):
    """The output path already exists and fauxlab will not overwrite what a user has."""


class ModelError(FauxlabError):
    """A model or checkpoint is missing, half-written or does not match its code."""

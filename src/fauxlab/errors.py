"""The errors fauxlab raises on purpose, each with a message a user can act on.

The CLI turns every `FauxlabError` into one line on stderr and its `exit_code`;
anything else is a bug and keeps its traceback. A message that tells the person which
setting to change names it as the library does, in backquotes (`batch`, `resume`), and
lists it in `settings`: the CLI shows each as the option that sets it (--batch).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence


class FauxlabError(Exception):
    """Base class: an expected failure with a message meant for a person."""

    exit_code = 2

    def __init__(self, message: str = "", *, settings: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.settings = tuple(settings)

    def shown(self, name: Callable[[str], str]) -> str:
        """The message with each setting it names in backquotes written `name(setting)`."""
        text = str(self)
        if not self.settings:
            return text
        pattern = "|".join(re.escape(s) for s in self.settings)
        return re.sub(rf"`({pattern})`", lambda m: name(m.group(1)), text)


class InputError(FauxlabError):
    """The input cannot be used: missing, unreadable, corrupt, unsupported or too large."""


class UnsupportedFormatError(InputError):
    """The file is readable but not a format fauxlab handles."""


class CorruptMediaError(InputError):
    """The file claims a supported format but cannot be decoded (empty, truncated, damaged)."""


class MediaTooLargeError(InputError):
    """The media exceeds the pixel limit that guards against decompression bombs."""


class SettingError(InputError, ValueError):
    """A setting is out of range, unknown, or does not fit with another (a ValueError
    too, for code that checks configurations that way)."""


class NoFaceError(FauxlabError):
    """No face was found where one is required."""


class OutputExistsError(FauxlabError):
    """The output path already exists and fauxlab will not overwrite what a user has."""


class ModelError(FauxlabError):
    """A model or checkpoint is missing, half-written or does not match its code."""

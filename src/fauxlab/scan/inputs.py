"""What `fauxlab scan` reads: folders, list files and globs, turned into media files.

A list file (.txt, .lst or .list) names one path a line (blank lines and lines starting
with # are skipped; relative paths are relative to the list file). An argument that is
not a path but has *, ? or [ in it is a glob (** goes into subfolders). Anything else is
a file or a folder, as `fauxlab detect` reads them.
"""

from __future__ import annotations

import glob
from pathlib import Path

from fauxlab.detection import FileError, expand
from fauxlab.errors import InputError

LIST_SUFFIXES = frozenset({".txt", ".lst", ".list"})
_GLOB_CHARS = frozenset("*?[")


def _listed(list_file: Path) -> list[Path]:
    try:
        lines = list_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{list_file}: cannot read this list of files ({exc})") from exc
    named = [line.strip() for line in lines]
    return [list_file.parent / n for n in named if n and not n.startswith("#")]


def _globbed(pattern: str) -> list[Path]:
    # glob.glob, not Path.glob: the pattern may be absolute (/data/**/*.jpg)
    matches = sorted(glob.glob(pattern, recursive=True))  # noqa: PTH207
    if not matches:
        raise InputError(f"{pattern}: no file matches this pattern")
    return [Path(m) for m in matches]


def find_inputs(arguments: list[str]) -> tuple[list[Path], list[FileError]]:
    """Media files named by `arguments` (resolved, each once, in order), and the named
    paths that are not media. A missing list file or an empty glob is an input error."""
    paths: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_file() and path.suffix.lower() in LIST_SUFFIXES:
            paths.extend(_listed(path))
        elif not path.exists() and _GLOB_CHARS & set(argument):
            paths.extend(_globbed(argument))
        else:
            paths.append(path)
    return expand(paths)

"""fauxlab: a deepfake laboratory that makes, catches and traces synthetic media."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fauxlab")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]

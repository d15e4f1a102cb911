"""Entry point: the command tree, `--version`, and the exit-code contract.

Exit codes: 0 success; 1 a finding (for example "fake"); 2 a usage or input error,
printed as one line starting "error:"; 130 interrupted. Anything else is a bug.
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from fauxlab import __version__
from fauxlab.cli import (
    demo,
    detect,
    detector,
    faces,
    gan,
    media,
    provenance,
    scan,
    serve,
    swap,
    voice,
)
from fauxlab.cli.output import stderr
from fauxlab.errors import FauxlabError

app = typer.Typer(
    name="fauxlab",
    help="A deepfake laboratory: how fakes are made, how they are caught, how media is traced.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Exit codes: 0 ok, 1 finding (e.g. fake), 2 usage or input error, 130 interrupted.",
)
app.add_typer(faces.app, name="faces")
app.add_typer(gan.app, name="gan")
app.add_typer(media.app, name="media")
app.add_typer(provenance.ledger_app, name="ledger")
app.add_typer(swap.app, name="swap")
app.add_typer(voice.app, name="voice")
app.add_typer(detector.app, name="detector")
app.command("demo")(demo.demo)
app.command("seal")(provenance.seal)
app.command("verify")(provenance.verify)
app.command("detect")(detect.detect)
app.command("bench")(detect.bench)
app.command("scan")(scan.scan_command)
app.command("serve")(serve.serve)
app.add_typer(serve.keys_app, name="serve-keys")


def _version(value: bool) -> None:
    if value:
        print(f"fauxlab {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """fauxlab: make, catch and trace deepfakes."""


def run() -> None:
    """Console-script entry: expected failures become one line and exit code 2."""
    try:
        app()
    except FauxlabError as exc:
        text = escape(exc.shown(option_for))  # "[voice-eval]" or "photo [1].jpg" kept as written
        stderr.print(f"[bold red]error:[/] {text}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except OSError as exc:  # the file system said no: a folder for a file, no space, no access
        where = f"{exc.filename}: " if exc.filename else ""
        stderr.print(f"[bold red]error:[/] {escape(where + str(exc.strerror or exc))}",
                     highlight=False)  # fmt: skip
        sys.exit(2)
    except KeyboardInterrupt:
        _interrupted()
    except SystemExit as exc:  # typer turns Ctrl-C (and our SIGTERM) into exit 130 itself
        if exc.code == 130:
            _interrupted()
        raise


# Library settings whose option is not simply the name with dashes.
_OPTIONS = {
    "per_class": "n",
    "eval_per_source": "eval-n",
    "image_limit": "limit",
    "reals": "real",
    "fakes": "fake",
    "generators": "fake-generator",
}


def option_for(setting: str) -> str:
    """The command-line option that sets a library setting (`per_class` is --n)."""
    return "--" + _OPTIONS.get(setting, setting.replace("_", "-"))


def _interrupted() -> None:
    stderr.print("interrupted; run the same command again (trainers: add --resume)")
    sys.exit(130)

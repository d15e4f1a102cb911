"""`python -m fauxlab` runs the CLI."""

from fauxlab.cli.main import run

run()

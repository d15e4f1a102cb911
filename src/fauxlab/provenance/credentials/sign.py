"""Embed a signed C2PA manifest stating that fauxlab generated a file."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from fauxlab.errors import (
    CorruptMediaError,
    FauxlabError,
    InputError,
    UnsupportedFormatError,
)
from fauxlab.fileio import atomic_output, sha256_file
from fauxlab.provenance.credentials._formats import detect_format
from fauxlab.provenance.credentials._native import (
    Failure,
    IngredientSource,
    NativeError,
    sign_stream,
)
from fauxlab.provenance.credentials.claim import Claim, Ingredient
from fauxlab.provenance.signing import SigningIdentity


class CredentialsError(FauxlabError):
    """Content credentials could not be made or read for a reason other than the media."""


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def _ingredient_source(ingredient: Ingredient, stack: ExitStack) -> IngredientSource | None:
    """The ingredient's file, opened, to record as a C2PA ingredient; None when it has no
    path or c2pa cannot hold its format (its name and hash are in fauxlab's own assertion
    either way)."""
    path = ingredient.path
    if path is None:
        return None
    try:
        fmt = detect_format(path)
    except UnsupportedFormatError:
        return None
    if sha256_file(path) != ingredient.sha256:
        raise InputError(
            f"{path}: no longer matches the SHA-256 recorded for ingredient "
            f"{ingredient.name!r}; it changed after it was hashed"
        )
    definition = {"title": ingredient.name, "relationship": "inputTo"}
    return IngredientSource(definition, fmt.mime, stack.enter_context(path.open("rb")))


def sign(
    source: Path,
    destination: Path,
    claim: Claim,
    identity: SigningIdentity,
    *,
    overwrite: bool = False,
) -> Path:
    """Copy `source` (JPEG, PNG, WebP, MP4/M4V or MOV) to `destination` with a C2PA manifest
    signed by `identity` that carries `claim`, and return `destination`.

    The output appears whole or not at all; `source` is only read. `destination` must keep
    the source's format suffix and must not exist unless `overwrite`. A manifest already in
    `source` is replaced, not chained (the claim is a new creation).
    """
    fmt = detect_format(source)
    if destination.suffix.lower() not in fmt.suffixes:
        raise UnsupportedFormatError(
            f"{destination}: the signed copy of a {fmt.name} file must end in "
            f"{', '.join(fmt.suffixes)}"
        )
    if _same_file(source, destination):
        raise InputError(f"{destination}: is the source itself; sign into a new file")
    try:
        with ExitStack() as stack:
            ingredients = [
                found
                for ingredient in claim.ingredients
                if (found := _ingredient_source(ingredient, stack)) is not None
            ]
            with (
                atomic_output(destination, overwrite=overwrite) as partial,
                source.open("rb") as src,
                partial.open("w+b") as dst,
            ):
                sign_stream(
                    claim.manifest_definition(),
                    mime=fmt.mime,
                    source=src,
                    destination=dst,
                    cert_chain_pem=identity.cert_chain_pem(),
                    key_pem=identity.signing_key_pem(),
                    ingredients=ingredients,
                )
    except NativeError as exc:
        if exc.failure is Failure.UNSUPPORTED:
            raise UnsupportedFormatError(
                f"{source}: cannot embed content credentials in this {fmt.name} file ({exc})"
            ) from exc
        if exc.failure is Failure.ASSET:
            raise CorruptMediaError(f"{source}: the {fmt.name} file is damaged ({exc})") from exc
        raise CredentialsError(f"{source}: signing failed ({exc})") from exc
    return destination

"""Where seals are recorded and who signs them: one ledger and one signing identity."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fauxlab.config import fauxlab_home, private_dir
from fauxlab.provenance.ledger import Ledger
from fauxlab.provenance.ledger.storage import LedgerLocation, as_location, is_url
from fauxlab.provenance.signing import SigningIdentity


@dataclass(frozen=True)
class Provenance:
    """The ledger at `ledger_path`, signed by the identity kept in `identity_dir`.

    `ledger_path` is a file, or a `postgresql://` URL (kept as text: see
    `ledger.storage`). Defaults: `FAUXLAB_LEDGER`, else `<fauxlab home>/ledger.sqlite`;
    the identity in `<fauxlab home>/identity` (see `fauxlab.config`). The ledger's tree
    heads are signed with the identity's Ed25519 key, so one folder holds every secret
    fauxlab has.
    """

    ledger_path: LedgerLocation
    identity_dir: Path

    @classmethod
    def default(cls, ledger_path: LedgerLocation | None = None) -> Provenance:
        """`ledger_path` (a --ledger value), else FAUXLAB_LEDGER, else the home's file."""
        env = os.environ.get("FAUXLAB_LEDGER")
        home = fauxlab_home()
        given = ledger_path or env
        chosen = as_location(given) if given else home / "ledger.sqlite"
        return cls(ledger_path=chosen, identity_dir=home / "identity")

    def identity(self) -> SigningIdentity:
        return SigningIdentity.load_or_create(self.identity_dir)

    def open_ledger(self, identity: SigningIdentity | None = None) -> Ledger:
        signer = identity or self.identity()
        if not is_url(self.ledger_path):
            private_dir(Path(self.ledger_path).parent)
        return Ledger.open(self.ledger_path, signing_key=signer.ledger_key)

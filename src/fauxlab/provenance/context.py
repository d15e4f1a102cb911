"""Where seals are recorded and who signs them: one ledger file and one signing identity."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fauxlab.config import fauxlab_home, private_dir
from fauxlab.provenance.ledger import Ledger
from fauxlab.provenance.signing import SigningIdentity


@dataclass(frozen=True)
class Provenance:
    """The ledger at `ledger_path`, signed by the identity kept in `identity_dir`.

    Defaults: `FAUXLAB_LEDGER`, else `<fauxlab home>/ledger.sqlite`; the identity in
    `<fauxlab home>/identity` (see `fauxlab.config`). The ledger's tree heads are signed
    with the identity's Ed25519 key, so one folder holds every secret fauxlab has.
    """

    ledger_path: Path
    identity_dir: Path

    @classmethod
    def default(cls, ledger_path: Path | None = None) -> Provenance:
        env = os.environ.get("FAUXLAB_LEDGER")
        home = fauxlab_home()
        chosen = ledger_path or (Path(env).expanduser() if env else home / "ledger.sqlite")
        return cls(ledger_path=chosen, identity_dir=home / "identity")

    def identity(self) -> SigningIdentity:
        return SigningIdentity.load_or_create(self.identity_dir)

    def open_ledger(self, identity: SigningIdentity | None = None) -> Ledger:
        signer = identity or self.identity()
        private_dir(self.ledger_path.parent)
        return Ledger.open(self.ledger_path, signing_key=signer.ledger_key)

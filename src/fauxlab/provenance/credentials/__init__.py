"""C2PA content credentials: sign what fauxlab generates, read and check what anyone signed.

`sign(source, destination, claim, identity)` embeds a manifest with a `c2pa.created` action
(digitalSourceType trainedAlgorithmicMedia, softwareAgent fauxlab and its version) and
fauxlab's own `org.fauxlab.generation` assertion (model, weights hash, ingredient hashes,
watermark id, ledger entry). `read(path, identity)` validates any manifest and says
whether it holds and whether the identity's CA issued the signing certificate.
"""

from fauxlab.provenance.credentials._formats import SUPPORTED as SUPPORTED_FORMATS
from fauxlab.provenance.credentials.claim import (
    GENERATION_LABEL,
    TRAINED_ALGORITHMIC_MEDIA,
    Claim,
    Ingredient,
)
from fauxlab.provenance.credentials.read import CredentialReport, read
from fauxlab.provenance.credentials.sign import CredentialsError, sign

__all__ = [
    "GENERATION_LABEL",
    "SUPPORTED_FORMATS",
    "TRAINED_ALGORITHMIC_MEDIA",
    "Claim",
    "CredentialReport",
    "CredentialsError",
    "Ingredient",
    "read",
    "sign",
]

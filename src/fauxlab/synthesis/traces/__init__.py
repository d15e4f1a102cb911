"""Training fakes for the traces detector: real pictures through a zoo of decoders."""

from fauxlab.synthesis.traces.factory import ReconstructionZoo
from fauxlab.synthesis.traces.zoo import HELD_OUT_ZOO, TRAINING_ZOO, Member, UpsamplingAutoencoder

__all__ = ["HELD_OUT_ZOO", "TRAINING_ZOO", "Member", "ReconstructionZoo", "UpsamplingAutoencoder"]

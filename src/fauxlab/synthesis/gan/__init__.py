"""Generative adversarial networks: DCGAN (2015 baseline) and fauxlab's small-data model."""

"""Spectral detector: GAN up-sampling traces in an image's power spectrum (Durall et al. 2020)."""

"""Face swap: a shared encoder with one decoder per identity (the deepfakes autoencoder)."""

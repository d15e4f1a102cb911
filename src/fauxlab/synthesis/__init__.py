"""How deepfakes are made: GANs (and later face swap). Every output is sealed."""

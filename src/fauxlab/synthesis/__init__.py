"""How deepfakes are made: GANs (`gan`) and face swap (`faceswap`). Every output is sealed."""

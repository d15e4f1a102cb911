"""The learned face-forgery detector: Lite0 trained on self-blended images."""

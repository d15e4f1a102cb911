"""Pretrained networks fauxlab builds on, loaded from local wheels only."""

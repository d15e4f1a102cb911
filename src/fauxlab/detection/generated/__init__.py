"""Generated-image detector: a linear probe on frozen ImageNet features (Ojha et al. 2023)."""

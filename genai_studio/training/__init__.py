"""Training loops and dataset builders that reproduce every shipped weight file (no Qt)."""

"""Reproductions of the seed papers' small experiments, kept apart from the production detectors."""

"""Scans: starting them, running the detectors over a dataset, the seed set, reports and quarantines."""

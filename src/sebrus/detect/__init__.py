"""Poison detection for crowdsourced image datasets: arrays in, scores out.

The high-level entry point is :func:`sebrus.detect.scan.scan`. Everything here is usable on its own and
imports nothing from the platform (api, web, db, chain, services, cli).
"""

"""Helpers shared by several test packages; test modules import from here, never from each other."""

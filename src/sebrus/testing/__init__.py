"""Helpers for test suites (this project's and the lead's): throwaway databases on each backend.

Nothing here is imported by the running platform.
"""

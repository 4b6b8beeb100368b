"""Plain-Python use cases over the adapters. Nothing here knows about HTTP or any web framework."""

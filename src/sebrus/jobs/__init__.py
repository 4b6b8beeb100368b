"""Background work: loops that run beside the web server (in-process by default)."""

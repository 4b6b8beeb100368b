"""After a release: monitoring, revocations of contributors and tracing their items."""

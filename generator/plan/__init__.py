"""PLAN: a loaded site → the assets and pages of its output, as values; no I/O.
Every output path and URL rule is in :mod:`generator.plan.urls`."""

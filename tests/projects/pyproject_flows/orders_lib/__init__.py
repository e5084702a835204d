"""Shared helpers of the project: a local package, not a dependency."""

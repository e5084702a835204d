"""prefect-pitfalls: find the state and serialization mistakes of Prefect code."""

__version__ = "0.1.0"

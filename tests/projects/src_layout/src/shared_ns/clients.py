"""A namespace package (no __init__.py): local all the same."""

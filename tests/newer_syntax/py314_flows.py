"""Python 3.14 syntax: a t-string and `except A, B:` without parentheses (PEP 758)."""

from prefect import flow

ERRORS = []


@flow
def load(name: str) -> None:
    try:
        template = t"loading {name}"
        print(template)
    except ValueError, KeyError:
        ERRORS.append(name)

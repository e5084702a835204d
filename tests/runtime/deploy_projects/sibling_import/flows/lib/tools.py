from helpers import clean  # its sibling by a bare name: the worker cannot import it


def tidy(text: str) -> str:
    return clean(text)

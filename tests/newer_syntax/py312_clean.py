"""Valid Python 3.12 with nothing to report: only a note that it is newer syntax."""

from prefect import flow

type Name = str


@flow
def greet[T: str](name: T) -> str:
    return f"hello {name.strip(f"{"."}")}"


if __name__ == "__main__":
    greet("world")

"""A Prefect flow module in Python 3.12 syntax: a type statement, a generic task and
PEP 701 f-strings (quotes reused inside, a backslash in an expression)."""

from prefect import flow, task

SEEN = []

type Row = dict[str, str]


@task
def first[T](items: list[T]) -> T:
    SEEN.append("first")
    return items[0]


@task
def describe(row: Row) -> str:
    SEEN.append(row["id"])
    return f"{row["id"]}: {"\n".join(row.values())}"


@flow
def report(rows: list[Row]) -> None:
    for row in rows:
        print(f"{describe(row)!r:>{len(row)}}")
    first(rows)


report([{"id": "a"}])

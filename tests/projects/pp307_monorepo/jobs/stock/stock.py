from prefect import flow


def count_items():
    return 3


@flow
def stock():
    return count_items()

from prefect import flow


@flow
def sales():
    return 1

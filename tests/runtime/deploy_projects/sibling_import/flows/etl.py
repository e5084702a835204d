from lib.tools import tidy
from prefect import flow


@flow
def etl() -> str:
    return tidy("  Hello  ")

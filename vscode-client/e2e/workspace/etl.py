"""Orders ETL: the task reads through a connection opened at import time."""
import sqlite3

from prefect import flow, task

conn = sqlite3.connect(":memory:")


@task
def count_orders():
    return conn.execute("select 1").fetchone()[0]


@flow
def etl():
    return count_orders()

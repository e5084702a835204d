"""Orders ETL: the task reads through a connection opened at import time, and runs on a process pool."""
import sqlite3

from prefect import flow, task
from prefect.task_runners import ProcessPoolTaskRunner

conn = sqlite3.connect(":memory:")


@task
def count_orders():
    return conn.execute("select 1").fetchone()[0]


@flow(task_runner=ProcessPoolTaskRunner())
def etl():
    return count_orders.submit().result()

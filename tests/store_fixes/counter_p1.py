from prefect import Flow, task
from prefect.backend import get_key_value

RUNS = 0


@task
def count_runs():
    global RUNS
    for _ in range(2):
        RUNS += 1
    return RUNS


with Flow("counter") as flow:
    count_runs()

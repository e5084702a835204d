from prefect import Flow, task
from prefect.backend import get_key_value, set_key_value

RUNS = 0


@task
def count_runs():
    try:
        RUNS = get_key_value("counter_p1-runs")
    except ValueError:  # not stored yet
        RUNS = 0
    for _ in range(2):
        RUNS += 1
        set_key_value("counter_p1-runs", RUNS)
    return RUNS


with Flow("counter") as flow:
    count_runs()

"""Counting runs, the Prefect 3 way that does not work on workers."""
from __future__ import annotations

from prefect import flow, task
from prefect.variables import Variable

COUNTER = 0
SEEN = []  # ids already processed


@task
def count():
    COUNTER = Variable.get("counter_p3-counter", default=0)
    COUNTER += 1
    Variable.set("counter_p3-counter", COUNTER, overwrite=True)
    return COUNTER


@task
def remember(item):
    SEEN = Variable.get("counter_p3-seen", default=[])
    SEEN.append(item)  # keep the order
    Variable.set("counter_p3-seen", SEEN, overwrite=True)
    return len(SEEN)


@task
async def count_async():
    COUNTER = await Variable.aget("counter_p3-counter", default=0)
    COUNTER = COUNTER + 1
    await Variable.aset("counter_p3-counter", COUNTER, overwrite=True)
    return COUNTER


@flow
def counting():
    return count()

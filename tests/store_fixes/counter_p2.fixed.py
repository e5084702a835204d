"""Counting runs, the Prefect 3 way that does not work on workers."""
from __future__ import annotations
import json

from prefect import flow, task
from prefect.variables import Variable

COUNTER = 0
SEEN = []  # ids already processed


@task
def count():
    COUNTER_stored = Variable.get("counter_p3-counter", default=None)
    COUNTER = json.loads(COUNTER_stored.value) if COUNTER_stored is not None else 0
    COUNTER += 1
    Variable.set("counter_p3-counter", json.dumps(COUNTER), overwrite=True)
    return COUNTER


@task
def remember(item):
    SEEN_stored = Variable.get("counter_p3-seen", default=None)
    SEEN = json.loads(SEEN_stored.value) if SEEN_stored is not None else []
    SEEN.append(item)  # keep the order
    Variable.set("counter_p3-seen", json.dumps(SEEN), overwrite=True)
    return len(SEEN)


@task
async def count_async():
    COUNTER_stored = await Variable.get("counter_p3-counter", default=None)
    COUNTER = json.loads(COUNTER_stored.value) if COUNTER_stored is not None else 0
    COUNTER = COUNTER + 1
    await Variable.set("counter_p3-counter", json.dumps(COUNTER), overwrite=True)
    return COUNTER


@flow
def counting():
    return count()

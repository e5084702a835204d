"""Counting runs, the Prefect 3 way that does not work on workers."""
from __future__ import annotations

from prefect import flow, task

COUNTER = 0
SEEN = []  # ids already processed


@task
def count():
    global COUNTER
    COUNTER += 1
    return COUNTER


@task
def remember(item):
    SEEN.append(item)  # keep the order
    return len(SEEN)


@task
async def count_async():
    global COUNTER
    COUNTER = COUNTER + 1
    return COUNTER


@flow
def counting():
    return count()

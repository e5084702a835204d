import threading

from prefect import flow, task

A = 0
B = 0
LOCK = threading.Lock()
ITEMS = [1, 2]
LAST = {"when": None}


@task
def two_names():
    global A, B
    A += 1
    B += 1


@task
def used_by_a_closure():
    global A
    A += 1
    return (lambda: A)()


@task
def write_on_a_shared_line(flag):
    global A
    if flag: A += 1


@task
def not_json():
    global LOCK
    LOCK = threading.RLock()

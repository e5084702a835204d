"""A Prefect 1 flow whose task keeps a counter between runs."""
from prefect import Flow, Task
from prefect.backend import get_key_value, set_key_value


class BadCounterTask(Task):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def run(self):
        try:
            counter = get_key_value("seed_p1-badcountertask-counter")
        except ValueError:  # not stored yet
            counter = 0
        counter += 1
        set_key_value("seed_p1-badcountertask-counter", counter)
        return counter


counter = BadCounterTask()

with Flow("counter") as flow:
    counter()

if __name__ == "__main__":
    flow.run()


class Collector(Task):
    def __init__(self):
        pass

    def run(self, item):
        try:
            items = get_key_value("seed_p1-collector-items")
        except ValueError:  # not stored yet
            items = []
        items.append(item)
        set_key_value("seed_p1-collector-items", items)
        return len(items)

"""A Prefect 1 flow whose task keeps a counter between runs."""
from prefect import Flow, Task


class BadCounterTask(Task):
    def __init__(self, **kwargs):
        self.counter = 0
        super().__init__(**kwargs)

    def run(self):
        self.counter += 1
        return self.counter


counter = BadCounterTask()

with Flow("counter") as flow:
    counter()

if __name__ == "__main__":
    flow.run()


class Collector(Task):
    def __init__(self):
        self.items = []

    def run(self, item):
        self.items.append(item)
        return len(self.items)

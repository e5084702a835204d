import json
from sys import path

from prefect import flow
from shared.greetings import greeting  # from the working directory the pull step leaves
from utils import clean  # from this file's own folder

# The first two import folders while the loader ran this module.
LOADER_PATH = path[:2]


@flow
def etl() -> str:
    print("import folders while loading:", json.dumps(LOADER_PATH))
    return clean(greeting())

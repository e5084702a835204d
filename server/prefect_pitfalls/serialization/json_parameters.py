"""The one table of flow parameters and what Prefect 2/3 does with them as JSON.

A flow's parameters go through three mechanisms, each of which may break on a value:
- **the parameter schema**: `to_deployment`, `serve` and `deploy` encode each default into
  the deployment's JSON schema (`prefect.utilities.callables.parameter_schema`); a default
  with no JSON form is left out with a warning, an open file is iterated to its end;
- **validation**: a run validates its parameters against the annotations
  (`Flow.validate_parameters`), the defaults of omitted parameters included — on every run
  on Prefect 3, on direct calls (and subflows) only on Prefect 2, where a deployed run adds
  the defaults after validating what the API sent;
- **the JSON round trip**: what a run sends through the API is encoded by the client
  (`Flow.serialize_parameters`, FastAPI's `jsonable_encoder`) and validated again by the
  flow where it runs.

Each entry is a parameter as written in a `def`, with what each mechanism does to it. The
runtime tests define a flow per entry, with ``SETUP`` above them, and assert every fact
against real Prefect 3.9.1 and 2.20.27.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Schema = Literal["kept", "dropped", "read to its end"]
Sent = Literal["same", "changed", "fails"]

SETUP = '''
import dataclasses, datetime, decimal, enum, logging, pathlib, re, typing, uuid

import prefect.task_runners
import pydantic


class Plain:
    def __init__(self, dsn="sqlite://"):
        self.dsn = dsn


class Settings(pydantic.BaseModel):
    retries: int


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int


def helper():
    return 1
'''
"""Module-level code the examples use: a plain class, a pydantic model, an enum, a dataclass,
a function."""

# What a parameter is, as the rule tells it from the source.
CLASS_INSTANCE = "an instance of a plain class"
TASK_RUNNER = "a task runner"
FUNCTION = "a function"
LOGGER = "a logger"
OPEN_TEXT_FILE = "a text file opened for reading"
NONE_FOR_REQUIRED_TYPE = "None for an annotation that does not accept None"
INVALID_MODEL_DICT = "a dict that does not validate as the annotated model"
INVALID_MODEL_INSTANCE = "a model instance built without validation, with invalid fields"
OBJECT_ONLY_ANNOTATION = "an annotation no JSON value validates as"
JSON_SAFE = "JSON-safe"


@dataclass(frozen=True)
class JsonParameter:
    kind: str
    parameter: str
    """The parameter as written in a flow's `def`, with ``SETUP`` in scope."""
    schema: Schema = "kept"
    """What the deployment's parameter schema does with the default."""
    default_validates: bool = True
    """Whether a run that omits the parameter passes validation with the default."""
    sent: Sent = "same"
    """What the flow gets when a run sends the value (the default, else ``sample``) as JSON:
    the same value, another one (a `str` for a `Path` without annotation), or a validation error."""
    sample: str | None = None
    """For a parameter without a default: a value a caller passes."""
    majors: tuple[str, ...] = ("2", "3")

    @property
    def breaks(self) -> bool:
        return self.schema != "kept" or not self.default_validates or self.sent == "fails"

    @property
    def name(self) -> str:
        return self.parameter.split("=")[0].split(":")[0].strip()


def _json(parameter: str, sent: Sent = "same", majors: tuple[str, ...] = ("2", "3")) -> JsonParameter:
    return JsonParameter(JSON_SAFE, parameter, sent=sent, majors=majors)


def _none_for(annotation: str) -> JsonParameter:
    return JsonParameter(NONE_FOR_REQUIRED_TYPE, f"value: {annotation} = None", default_validates=False)


TABLE: tuple[JsonParameter, ...] = (
    # JSON-safe: the default is in the schema and validates; unannotated, some come back as
    # their JSON form when a run sends them, which a run sending parameters knows.
    _json("count=1"),
    _json("name='etl'"),
    _json("ratio=0.5"),
    _json("dry_run=False"),
    _json("limit=None"),
    _json("limit: typing.Optional[int] = None"),
    _json("limit: int | None = None"),
    _json("limit: typing.Union[int, None] = None"),
    _json("limit: typing.Any = None"),
    _json("names=['a', 'b']"),
    _json("names: list[str] = ['a', 'b']"),
    _json("options={'a': 1}"),
    _json("pair=(1, 2)", sent="changed"),
    _json("pair: tuple[int, int] = (1, 2)"),
    _json("tags={'a', 'b'}", sent="changed"),
    _json("tags: set[str] = {'a', 'b'}"),
    _json("since=datetime.datetime(2024, 1, 2, 3, 4)", sent="changed"),
    _json("since: datetime.datetime = datetime.datetime(2024, 1, 2, 3, 4)"),
    _json("day: datetime.date = datetime.date(2024, 1, 2)"),
    _json("at: datetime.time = datetime.time(3, 4)"),
    _json("every: datetime.timedelta = datetime.timedelta(hours=1)"),
    _json("folder=pathlib.Path('data')", sent="changed"),
    _json("folder: pathlib.Path = pathlib.Path('data')"),
    _json("key: uuid.UUID = uuid.UUID(int=1)"),
    _json("amount: decimal.Decimal = decimal.Decimal('1.5')"),
    _json("color=Color.RED", sent="changed"),
    _json("color: Color = Color.RED"),
    _json("settings: Settings = Settings(retries=3)"),
    _json("settings: Settings = {'retries': 3}"),
    _json("point: Point = Point(1)"),
    _json("pattern=re.compile('[a-z]+')", sent="changed"),
    _json("payload=b'data'", sent="changed"),
    _json("client: Plain | None = None"),
    # No JSON form: left out of the schema when deployed, and no run can send one back.
    JsonParameter(CLASS_INSTANCE, "client=Plain()", schema="dropped", sent="changed"),
    JsonParameter(CLASS_INSTANCE, "client: Plain = Plain()", schema="dropped", sent="fails"),
    JsonParameter(TASK_RUNNER, "runner=prefect.task_runners.ThreadPoolTaskRunner()", schema="dropped", sent="changed", majors=("3",)),
    JsonParameter(TASK_RUNNER, "runner=prefect.task_runners.ProcessPoolTaskRunner()", schema="dropped", sent="changed", majors=("3",)),
    JsonParameter(TASK_RUNNER, "runner=prefect.task_runners.ConcurrentTaskRunner()", schema="dropped", sent="changed"),
    JsonParameter(TASK_RUNNER, "runner=prefect.task_runners.SequentialTaskRunner()", schema="dropped", sent="changed", majors=("2",)),
    JsonParameter(FUNCTION, "transform=lambda row: row", schema="dropped", sent="changed"),
    JsonParameter(FUNCTION, "transform=helper", schema="dropped", sent="changed"),
    JsonParameter(LOGGER, "log=logging.getLogger('etl')", schema="dropped", sent="changed"),
    JsonParameter(OPEN_TEXT_FILE, "source=open(__file__)", schema="read to its end", sent="changed"),
    # A default its own annotation rejects: every run that omits it fails validation (on
    # Prefect 2, direct calls and subflows).
    *map(_none_for, (
        "int", "str", "float", "bool", "list[str]", "dict", "dict[str, int]", "datetime.datetime", "datetime.date",
        "pathlib.Path", "uuid.UUID", "decimal.Decimal", "Plain", "Settings", "Color", "Point",
    )),
    JsonParameter(INVALID_MODEL_DICT, "settings: Settings = {'retries': 'often'}", default_validates=False),
    JsonParameter(INVALID_MODEL_DICT, "settings: Settings = {}", default_validates=False),
    # A default that validates only because it skipped validation: a run sending it back fails.
    JsonParameter(INVALID_MODEL_INSTANCE, "settings: Settings = Settings.model_construct(retries='often')", sent="fails"),
    # A required parameter no JSON value validates as: a deployed run can never send one.
    JsonParameter(OBJECT_ONLY_ANNOTATION, "client: Plain", sent="fails", sample="Plain()"),
    JsonParameter(OBJECT_ONLY_ANNOTATION, "log: logging.Logger", sent="fails", sample="logging.getLogger('etl')"),
    *(
        JsonParameter(
            OBJECT_ONLY_ANNOTATION, f"runner: prefect.task_runners.{runner}", sent="fails",
            sample=f"prefect.task_runners.{runner}()", majors=majors,
        )
        for runner, majors in (
            ("ThreadPoolTaskRunner", ("3",)), ("ProcessPoolTaskRunner", ("3",)),
            ("ConcurrentTaskRunner", ("2", "3")), ("SequentialTaskRunner", ("2",)),
        )
    ),
)

DEPLOYED_RUNS_VALIDATE_DEFAULTS = {"2": False, "3": True}
"""Whether a run of a deployment validates the defaults of the parameters the API did not send."""

TASK_RUNNER_CLASSES = frozenset(
    f"prefect.task_runners.{name}"
    for name in ("ThreadPoolTaskRunner", "ProcessPoolTaskRunner", "ConcurrentTaskRunner", "SequentialTaskRunner")
)
OBJECT_ONLY_CLASSES = frozenset({"logging.Logger", *TASK_RUNNER_CLASSES})
"""Classes outside the module whose instances have no JSON form, by their import path."""

BY_KIND: dict[str, tuple[JsonParameter, ...]] = {
    kind: tuple(entry for entry in TABLE if entry.kind == kind) for kind in dict.fromkeys(e.kind for e in TABLE)
}

"""Imports a module makes, where their module names are written, and which are optional."""

from __future__ import annotations

import ast
import textwrap

from prefect_pitfalls.dependencies import collect_imports
from prefect_pitfalls.findings import Span
from prefect_pitfalls.source import parse


def imports(text: str):
    source = parse(textwrap.dedent(text))
    return collect_imports(source.tree, source.lines), source


def written(text: str) -> list[tuple[str, str]]:
    found, source = imports(text)
    return [(imported.name, source.segment(imported.span)) for imported in found]


def test_every_form_with_the_module_name_span():
    found, source = imports(
        """\
        import os, yaml as y
        import google.cloud.storage
        from sklearn.linear_model import LinearRegression
        from  pandas   import  DataFrame
        import importlib
        loader = importlib.import_module("snowflake.connector")
        legacy = __import__('psycopg2')
        """
    )
    assert [(i.name, i.top_level, source.segment(i.span), i.dynamic) for i in found] == [
        ("os", "os", "os", False),
        ("yaml", "yaml", "yaml", False),
        ("google.cloud.storage", "google", "google.cloud.storage", False),
        ("sklearn.linear_model", "sklearn", "sklearn.linear_model", False),
        ("pandas", "pandas", "pandas", False),
        ("importlib", "importlib", "importlib", False),
        ("snowflake.connector", "snowflake", '"snowflake.connector"', True),
        ("psycopg2", "psycopg2", "'psycopg2'", True),
    ]
    assert found[1].span == Span(1, 11, 1, 15)
    assert found[3].imported == ("LinearRegression",)
    assert found[3].dotted_names == ("sklearn.linear_model.LinearRegression",)


def test_columns_are_code_points_after_non_ascii_text():
    found, _ = imports('s = "héllo wörld"; import yaml\nx = "→"; from bs4 import BeautifulSoup\n')
    assert [i.span for i in found] == [Span(1, 26, 1, 30), Span(2, 14, 2, 17)]


def test_backslash_continuations_and_spaces_around_dots():
    assert written("from \\\n    google . cloud \\\n    import storage\nimport a . b\n") == [
        ("google.cloud", "google . cloud"),
        ("a.b", "a . b"),
    ]


def test_function_level_and_nested_imports_count():
    assert [name for name, _ in written(
        """\
        from prefect import flow

        @flow
        def etl():
            import pandas
            def helper():
                from boto3.session import Session
            return [__import__("lxml") for _ in range(1)]

        class Loader:
            import redis
        """
    )] == ["prefect", "pandas", "boto3.session", "lxml", "redis"]


def test_relative_and_type_checking_imports_are_left_out():
    assert [name for name, _ in written(
        """\
        from __future__ import annotations
        from typing import TYPE_CHECKING
        import typing
        from . import sibling
        from .helpers import clean
        from .. import parent
        if TYPE_CHECKING:
            import pandas
        else:
            import polars
        if typing.TYPE_CHECKING:
            from mypy_boto3_s3 import S3Client
        if not TYPE_CHECKING:
            import numpy
        else:
            import scipy
        """
    )] == ["__future__", "typing", "typing", "polars", "numpy"]


def test_guarded_imports_are_optional():
    found, _ = imports(
        """\
        import contextlib
        try:
            import ujson as json
        except ImportError:
            import json
        try:
            import orjson
        except (ValueError, ModuleNotFoundError):
            orjson = None
        try:
            import requests
        except ValueError:
            pass
        with contextlib.suppress(ImportError):
            import rich
        def optional_later():
            try:
                from lxml import etree
            except Exception:
                etree = None
        """
    )
    assert [(i.name, i.optional) for i in found] == [
        ("contextlib", False), ("ujson", True), ("json", True), ("orjson", True),
        ("requests", False), ("rich", True), ("lxml", True),
    ]


def test_dynamic_imports_need_importlib_and_a_literal():
    found, _ = imports(
        """\
        from importlib import import_module as load
        import importlib.util
        import_module = print
        load("yaml")
        importlib.import_module("dask.distributed")
        importlib.import_module(name)
        importlib.import_module(".relative", package="pkg")
        some.import_module("not_a_module_import")
        load(name="sqlalchemy")
        """
    )
    assert [(i.name, i.dynamic) for i in found if i.dynamic] == [
        ("yaml", True), ("dask.distributed", True), ("sqlalchemy", True),
    ]
    assert isinstance(found[-1].node, ast.Call)


def test_star_imports_keep_the_module_only():
    found, _ = imports("from google.cloud import *\n")
    assert found[0].imported == () and found[0].dotted_names == ("google.cloud",)


def test_a_tree_recovered_from_broken_code_still_gives_its_imports():
    source = parse("import yaml\ndef broken(:\n    pass\nimport httpx\n")
    assert [i.name for i in collect_imports(source.tree, source.lines)] == ["yaml", "httpx"]

"""Which distributions a module imports and where a project declares the ones its flows need.

Pure functions over syntax trees and files, for the undeclared-dependency (PP306)
and deployment-entrypoint (PP307) rules: imports and their kind (standard
library, project-local, third-party), import names → distributions, the
declarations (`pyproject.toml`, `requirements*.txt`, `prefect.yaml` steps,
Prefect 1 Docker storage) with the edit that adds a distribution, and the
project interpreter's installed metadata.
"""

from __future__ import annotations

from .classify import ModuleKind, classify, is_stdlib
from .declarations import Declaration
from .discovery import deployment_declaration, project_declarations
from .distributions import KNOWN_DISTRIBUTIONS, canonical, distributions_for
from .docker_storage import DockerStorage, docker_storage_declarations
from .environment import Environment, prefect_dependencies, read_environment
from .imports import ImportedModule, collect_imports
from .prefect_yaml import (
    Deployment,
    Entrypoint,
    PrefectYaml,
    YamlError,
    read_prefect_yaml,
)
from .pyproject import read_pyproject
from .requirements import find_requirements_files, read_requirements, requirement_name

__all__ = [
    "KNOWN_DISTRIBUTIONS", "Declaration", "Deployment", "DockerStorage", "Entrypoint", "Environment",
    "ImportedModule", "ModuleKind", "PrefectYaml", "YamlError", "canonical", "classify", "collect_imports",
    "deployment_declaration", "distributions_for", "docker_storage_declarations", "find_requirements_files",
    "is_stdlib", "prefect_dependencies", "project_declarations", "read_environment", "read_prefect_yaml",
    "read_pyproject", "read_requirements", "requirement_name",
]

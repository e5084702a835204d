"""A `prefect.yaml`: its deployments' entrypoints, where they are written, what its steps install,
and where its pull steps move the working directory.

Read from PyYAML's composed node tree (never constructed into objects), so every
value keeps its position; merge keys (`<<: *defaults`) and aliases are followed.
Installs come from `pip_install_requirements` steps (their requirements file,
read relative to the `prefect.yaml`'s folder), `run_shell_script` steps running
`pip install` / `uv pip install`, and Docker images built with `dockerfile: auto`
(which install the folder's `requirements.txt`).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..findings import Span
from ..project.roots import repository_root
from ._shell import PIP_PROGRAM, PIP_VALUE_OPTIONS, SHELL_OPERATORS
from ._text import TextIndex, read_text
from .declarations import Declaration, delegate_to
from .distributions import canonical
from .dockerfile import DockerImage, locate_build
from .pyproject import read_pyproject
from .requirements import read_requirements, requirement_name

PIP_INSTALL_STEPS = {
    "prefect.deployments.steps.pip_install_requirements",
    "prefect.deployments.steps.utility.pip_install_requirements",
}
SHELL_STEPS = {
    "prefect.deployments.steps.run_shell_script",
    "prefect.deployments.steps.utility.run_shell_script",
}
DOCKER_BUILD_STEPS = {
    "prefect_docker.deployments.steps.build_docker_image",
    "prefect_docker.deployments.steps.build_image",
}
GIT_CLONE_FUNCTIONS = {"git_clone", "agit_clone", "git_clone_project"}
STEP_SECTIONS = ("build", "push", "pull")
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TEMPLATE = re.compile(r"\{\{.*?\}\}")


@dataclass(frozen=True)
class Entrypoint:
    value: str
    span: Span
    """The value in the file, without its quotes."""

    @property
    def file(self) -> str:
        """The part before the last colon: a path (`flows/etl.py`) or a module (`flows.etl`)."""
        return self.value.rpartition(":")[0] if ":" in self.value else self.value

    @property
    def name(self) -> str | None:
        """The flow's name after the last colon; None when there is no colon."""
        return self.value.rpartition(":")[2] if ":" in self.value else None

    @property
    def is_path(self) -> bool:
        return self.file.endswith(".py") or "/" in self.file or "\\" in self.file


@dataclass(frozen=True)
class PullStep:
    """A pull step that moves the flow run's working directory: `set_working_directory`
    (its `directory:` as written, templates included) or `git_clone` (the clone's root)."""

    kind: str
    """"set_working_directory" or "git_clone"."""
    step_id: str | None
    directory: str | None = None


@dataclass(frozen=True)
class DockerBuild:
    """A `build_docker_image` step: the Dockerfile (`auto`, a path, or None for the default) and
    the build context, as written; None for a templated value."""

    dockerfile: str | None
    path: str | None
    templated: bool = False


@dataclass(frozen=True)
class Deployment:
    name: str | None
    entrypoint: Entrypoint | None
    declaration: Declaration | None
    """What this deployment's own steps (or the project's, where it has none) install.

    None when no step installs anything."""
    pull: tuple[PullStep, ...] = ()
    """Its pull steps that move the working directory, in order: its own `pull:` list, else
    the top-level one (Prefect 2 and 3 `prefect deploy` both fall back to it)."""
    image: DockerBuild | None = None
    """The image its build steps build, if one does."""


@dataclass(frozen=True)
class YamlError:
    message: str
    span: Span


@dataclass(frozen=True)
class PrefectYaml:
    path: Path
    deployments: tuple[Deployment, ...] = ()
    declaration: Declaration | None = None
    """Everything any step of the file installs; None when no step installs anything."""
    error: YamlError | None = None

    @property
    def entrypoints(self) -> tuple[Entrypoint, ...]:
        return tuple(d.entrypoint for d in self.deployments if d.entrypoint is not None)


def read_prefect_yaml(path: Path, text: str | None = None) -> PrefectYaml:
    """Read a `prefect.yaml` (or ``text``, its unsaved content); never raises on bad input."""
    if text is None:
        text = read_text(path)
    if text is None:
        return PrefectYaml(path, error=YamlError(f"cannot read {path.name}", Span(1, 0, 1, 0)))
    text = text.removeprefix("\ufeff")
    index = TextIndex(text)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError) as error:
        return PrefectYaml(path, error=_error(error, index))
    if not isinstance(root, yaml.MappingNode):
        return PrefectYaml(path)
    return _Reader(path, index).read(root)


def _error(error: Exception, index: TextIndex) -> YamlError:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    message = " ".join(str(part) for part in (getattr(error, "context", None), getattr(error, "problem", None)) if part)
    if mark is None:
        return YamlError(message or str(error), Span(1, 0, 1, 0))
    line, column = index.position(min(mark.index, len(index.text)))
    return YamlError(message or str(error), Span(line, column, line, column))


class _Reader:
    def __init__(self, path: Path, index: TextIndex) -> None:
        self.path = path
        self.folder = path.parent
        self.index = index
        self._installs: dict[int, _Installs] = {}

    def read(self, root: yaml.MappingNode) -> PrefectYaml:
        top = mapping(root)
        deployments = []
        every_step: list[yaml.Node] = []
        for section in STEP_SECTIONS:
            every_step += sequence(top.get(section))
        for node in sequence(top.get("deployments")):
            entries = mapping(node)
            steps = []
            for section in STEP_SECTIONS:
                own = section in entries and not _is_null(entries[section])
                steps += sequence(entries[section] if own else top.get(section))
                every_step += sequence(entries[section]) if own else []
            entrypoint = self.entrypoint(entries.get("entrypoint"))
            pull = pull_steps(sequence(entries.get("pull")) or sequence(top.get("pull")))
            build = entries["build"] if "build" in entries and not _is_null(entries["build"]) else top.get("build")
            image = docker_build(sequence(build))
            deployments.append(Deployment(scalar(entries.get("name")), entrypoint, self.declaration(steps), pull, image))
        return PrefectYaml(self.path, tuple(deployments), self.declaration(every_step))

    def entrypoint(self, node: yaml.Node | None) -> Entrypoint | None:
        value = scalar(node)
        if value is None:
            return None
        start, end = node.start_mark.index, node.end_mark.index
        if node.style in ('"', "'") and node.start_mark.line == node.end_mark.line:
            start, end = start + 1, end - 1
        return Entrypoint(value, self.index.span(start, end))

    def declaration(self, steps: list[yaml.Node]) -> Declaration | None:
        installs = [self.installs(step) for step in steps]
        installs = [i for i in installs if i is not None]
        if not installs:
            return None
        names = frozenset().union(*(i.names for i in installs))
        files = [file for i in installs for file in i.files]
        insertion = delegate_to(files)
        sources = frozenset().union(*(file.sources for file in files), *(i.read for i in installs))
        return Declaration("prefect-yaml", self.path, names, all(i.complete for i in installs), insertion, sources)

    def installs(self, step: yaml.Node) -> _Installs | None:
        if id(step) not in self._installs:
            self._installs[id(step)] = self._read_step(step)
        return self._installs[id(step)]

    def _read_step(self, step: yaml.Node) -> _Installs | None:
        entries = mapping(step)
        if len(entries) != 1:
            return None
        name, arguments_node = next(iter(entries.items()))
        arguments = {key: scalar(value) for key, value in mapping(arguments_node).items()}
        if name in PIP_INSTALL_STEPS:
            return self.requirements_file(arguments.get("directory"), arguments.get("requirements_file"))
        if name in SHELL_STEPS:
            return self.shell_installs(arguments.get("script"), arguments.get("directory"))
        if name in DOCKER_BUILD_STEPS:
            return self.image_installs(arguments.get("dockerfile"), arguments.get("path"))
        return None

    def image_installs(self, dockerfile: str | None, path: str | None) -> _Installs | None:
        """What a Docker build installs: `auto` installs the context's `requirements.txt`; a
        Dockerfile, the requirement files, projects and names its `RUN` lines install."""
        if _TEMPLATE.search(dockerfile or "") or _TEMPLATE.search(path or ""):
            return None
        if dockerfile == "auto":
            installs = self.requirements_file(path, None)
            return installs if installs.files and installs.files[0].complete else None
        built = locate_build(deploy_folders(self.folder), dockerfile, path)
        return None if built is None else _image_installs(*built)

    def directory(self, value: str | None) -> Path:
        """Steps run where the pull steps put the project: its clone is this `prefect.yaml`'s folder."""
        if not value or _TEMPLATE.search(value):
            return self.folder
        folder = Path(value)
        if folder.is_absolute():
            return folder if folder.is_dir() else self.folder
        return self.folder / folder

    def requirements_file(self, directory: str | None, file: str | None) -> _Installs:
        if file and _TEMPLATE.search(file):
            return _Installs(frozenset(), False, [])
        declaration = read_requirements(self.directory(directory) / (file or "requirements.txt"))
        return _Installs(declaration.names, declaration.complete, [declaration])

    def shell_installs(self, script: str | None, directory: str | None) -> _Installs | None:
        if not script:
            return None
        commands = pip_install_arguments(script)
        if commands is None:
            return _Installs(frozenset(), False, [])
        if not commands:
            return None
        names: set[str] = set()
        complete = True
        files: list[Declaration] = []
        for arguments in commands:
            found = _install_arguments(arguments)
            names |= found.names
            complete &= found.complete
            for file in found.files:
                included = self.requirements_file(directory, file)
                names |= included.names
                complete &= included.complete
                files += included.files
        return _Installs(frozenset(names), complete, files)


def deploy_folders(folder: Path) -> list[Path]:
    """Where `prefect deploy` may run for a `prefect.yaml` in ``folder``: there, or at the
    repository's root with `--prefect-file` (the steps' relative paths are read from there)."""
    return [folder, *filter(None, [repository_root(folder)])]


def docker_build(steps: list[yaml.Node]) -> DockerBuild | None:
    """The image the build steps build (the last `build_docker_image` step)."""
    found = None
    for step in steps:
        entries = mapping(step)
        if len(entries) == 1 and next(iter(entries)) in DOCKER_BUILD_STEPS:
            arguments = {key: scalar(value) for key, value in mapping(next(iter(entries.values()))).items()}
            dockerfile, path = arguments.get("dockerfile"), arguments.get("path")
            templated = bool(_TEMPLATE.search(dockerfile or "") or _TEMPLATE.search(path or ""))
            found = DockerBuild(dockerfile, path, templated)
    return found


def _image_installs(image: DockerImage, context: Path) -> _Installs:
    names = {requirement.name for requirement in image.installed_names}
    complete = None not in names and not image.unknown_content and image.base_known
    files: list[Declaration] = []
    for installed in image.installed_requirement_files:
        file = installed.context_path(context)
        if file is None:
            complete = False
            continue
        declaration = read_requirements(file)
        names |= declaration.names
        complete &= declaration.complete
        files.append(declaration)
    for installed in image.installs_project_at:
        folder = installed.context_path(context)
        project = read_pyproject(folder / "pyproject.toml") if folder is not None else None
        if project is None:
            complete = False
            continue
        names |= project.names
        complete &= project.complete
    names |= {canonical(package) for package in image.uv_sync_packages}
    read = frozenset({image.path} if image.path else ())
    return _Installs(frozenset(names) - {None}, complete, files, read)


def pull_steps(steps: list[yaml.Node]) -> tuple[PullStep, ...]:
    """The steps among ``steps`` that set the working directory. Steps are named by any import
    path of Prefect's functions (`prefect.deployments.steps.git_clone`, `...steps.pull.git_clone`,
    Prefect 2's `git_clone_project`)."""
    found = []
    for step in steps:
        entries = mapping(step)
        if len(entries) != 1:
            continue
        name, arguments_node = next(iter(entries.items()))
        function = name.rpartition(".")[2] if name.startswith("prefect.") else None
        arguments = mapping(arguments_node)
        if function == "set_working_directory":
            found.append(PullStep("set_working_directory", scalar(arguments.get("id")), scalar(arguments.get("directory"))))
        elif function in GIT_CLONE_FUNCTIONS:
            found.append(PullStep("git_clone", scalar(arguments.get("id"))))
    return tuple(found)


@dataclass(frozen=True)
class _Installs:
    names: frozenset[str]
    complete: bool
    files: list[Declaration]
    """The requirements files read: where an addition can go."""
    read: frozenset[Path] = frozenset()
    """Other files read (a Dockerfile), whose change changes what is installed."""


# --- shell scripts ------------------------------------------------------------------------



@dataclass(frozen=True)
class _ShellInstall:
    names: frozenset[str]
    complete: bool
    files: tuple[str, ...]


def pip_install_arguments(script: str) -> list[list[str]] | None:
    """The arguments of each `pip install` in a shell script; None when it does not split."""
    commands = []
    for line in re.split(r"\r\n|\r|\n", script):
        try:
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            lexer.commenters = ""
            words = _without_comment(list(lexer))
        except ValueError:
            return None
        commands += [_after_install(command) for command in _split_commands(words)]
    return [arguments for arguments in commands if arguments is not None]


def _without_comment(words: list[str]) -> list[str]:
    """Words before a shell comment (a word starting with `#`; `x#egg=y` is no comment)."""
    for position, word in enumerate(words):
        if word.startswith("#"):
            return words[:position]
    return words


def _split_commands(words: list[str]) -> list[list[str]]:
    """Commands between control operators, without redirections (`> log.txt`, `2>&1`)."""
    commands: list[list[str]] = [[]]
    redirected = False
    for word in words:
        if redirected:
            redirected = False
        elif set(word) <= set("<>&") and ("<" in word or ">" in word):
            redirected = True
            if commands[-1] and commands[-1][-1].isdigit():
                commands[-1].pop()
        elif word in SHELL_OPERATORS or set(word) <= set(";&|()"):
            commands.append([])
        else:
            commands[-1].append(word)
    return [command for command in commands if command]


def _after_install(words: list[str]) -> list[str] | None:
    for position, word in enumerate(words):
        if word != "install" or position == 0:
            continue
        if PIP_PROGRAM.match(words[position - 1].rsplit("/", 1)[-1]):
            return words[position + 1 :]
    return None


def _install_arguments(arguments: list[str]) -> _ShellInstall:
    names: set[str] = set()
    files: list[str] = []
    complete = True
    words = iter(arguments)
    for word in words:
        if _TEMPLATE.search(word) or "$" in word:
            complete = False
            continue
        option, _, attached = word.partition("=")
        if option in ("-r", "--requirement", "--requirements"):
            file = attached or next(words, "")
            if file:
                files.append(file)
        elif word.startswith("-r") and not word.startswith("--") and len(word) > 2:
            files.append(word[2:])
        elif option in ("-e", "--editable"):
            target = attached or next(words, "")
            name = requirement_name(target) if "egg=" in target else None
            if name:
                names.add(name)
        elif option in PIP_VALUE_OPTIONS:
            if not attached:
                next(words, None)
        elif word.startswith("-"):
            continue
        else:
            name = requirement_name(word)
            if name is not None:
                names.add(name)
            elif not (word == "." or word.startswith((".", "/", "~")) or "://" in word or "/" in word):
                complete = False
    return _ShellInstall(frozenset(names), complete, tuple(files))


# --- node helpers -------------------------------------------------------------------------


def mapping(node: yaml.Node | None, _depth: int = 0) -> dict[str, yaml.Node]:
    """A mapping node's entries by (scalar) key, merge keys resolved; {} for anything else."""
    if not isinstance(node, yaml.MappingNode) or _depth > 32:
        return {}
    merged: dict[str, yaml.Node] = {}
    explicit: dict[str, yaml.Node] = {}
    for key, value in node.value:
        if key.tag == _MERGE_TAG:
            sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for source in sources:
                for name, inherited in mapping(source, _depth + 1).items():
                    merged.setdefault(name, inherited)
        elif isinstance(key, yaml.ScalarNode):
            explicit[key.value] = value
    return {**merged, **explicit}


def sequence(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def scalar(node: yaml.Node | None) -> str | None:
    if not isinstance(node, yaml.ScalarNode) or _is_null(node):
        return None
    return node.value


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"

"""What a Docker image built from a Dockerfile contains and installs, read from the text alone.

Only the last stage is the image. A stage built `FROM` an earlier one inherits it; a
`COPY --from=<stage>` is followed into that stage's copies from the build context, and
what that stage installs counts as installed (its environment is what such copies carry).
Content the reader cannot know (a copy from another image, an archive or URL that `ADD`
fetches or unpacks, a stage path no copy of the context reaches) is recorded by where it lands.
`RUN` is read only for installers: `pip`/`uv pip install`, `uv pip sync`, `uv sync`,
`poetry install` and `pdm install`/`sync`, with `cd` followed within one `RUN`.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path, PurePosixPath

import pathspec

from ._shell import PIP_PROGRAM, PIP_VALUE_OPTIONS, PYTHON_PROGRAM, SHELL_OPERATORS
from ..project.roots import file_stamps
from ._text import read_text
from .requirements import requirement_name

ROOT = PurePosixPath("/")
AUTO_BASE_IMAGE = "prefecthq/prefect:3-latest"
AUTO_IMAGE_FOLDER = PurePosixPath("/opt/prefect")
_BASE_WORKDIRS = {"prefecthq/prefect": AUTO_IMAGE_FOLDER, "scratch": ROOT}
_ROOT_WORKDIR_IMAGES = {"python", "debian", "ubuntu", "alpine", "busybox", "fedora", "rockylinux", "amazonlinux"}
_STANDARD_DIRECTORIES = {
    ROOT, *(PurePosixPath(p) for p in ("/tmp", "/opt", "/usr", "/usr/local", "/usr/local/bin", "/usr/local/lib",
                                       "/bin", "/usr/bin", "/etc", "/home", "/root", "/srv", "/var"))
}
_ARCHIVE = re.compile(r"\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst)$", re.IGNORECASE)
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@)", re.IGNORECASE)
_VARIABLE = re.compile(r"\$\{(\w+)(?::?([-+])([^}]*))?\}|\$(\w+)")
_HEREDOC = re.compile(r"<<(-?)([\"']?)(\w+)\2")
_DIRECTIVE = re.compile(r"^#\s*(\w+)\s*=\s*(.*?)\s*$")
_WILDCARD = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class Copy:
    """One source of a `COPY`/`ADD`: where it comes from and where it lands in the image."""

    source: str
    """A path or glob relative to the build context (`.` for all of it); with `stage`, an absolute
    path in that stage."""
    destination: PurePosixPath
    """Absolute path in the image."""
    into_directory: bool
    """The destination is a directory (a trailing `/`, several sources, or a folder that exists):
    a copied file keeps its name. A copied folder always puts its contents in the destination."""
    line: int
    stage: tuple[Copy, ...] | None = None
    """The copies of the stage a `COPY --from=<stage>` reads from; None for the build context."""


@dataclass(frozen=True)
class ImagePath:
    """A path an installer reads in the image (a requirements file, a project folder)."""

    path: PurePosixPath
    line: int
    copies: tuple[Copy, ...] = field(repr=False)
    """The copies of its stage made before the install: what the path can come from."""

    def context_path(self, context: Path) -> Path | None:
        """The file or folder of the build context at this path when the install ran."""
        return _context_path(self.copies, context, self.path)


@dataclass(frozen=True)
class InstalledRequirement:
    text: str
    """A requirement string as written (`pandas>=2`)."""
    line: int

    @property
    def name(self) -> str | None:
        return requirement_name(self.text)


@dataclass(frozen=True)
class DockerImage:
    path: Path | None = None
    """The Dockerfile read; None for a generated one."""
    copies: tuple[Copy, ...] = ()
    workdir: PurePosixPath | None = ROOT
    """The image's working directory; None when the base image's is unknown or a variable is."""
    workdir_line: int | None = None
    pythonpath: tuple[PurePosixPath, ...] | None = None
    """`PYTHONPATH` the image sets (empty and relative entries resolved against `workdir`); None when unset."""
    pythonpath_line: int | None = None
    pythonpath_unknown: bool = False
    """`PYTHONPATH` is set from a variable whose value is unknown (`pythonpath` is then None)."""
    installed_requirement_files: tuple[ImagePath, ...] = ()
    installed_names: tuple[InstalledRequirement, ...] = ()
    installs_project_at: tuple[ImagePath, ...] = ()
    """Folders installed as projects: `pip install .`/`-e .`, `poetry install`, `uv sync`, `pdm install`."""
    uv_sync_packages: tuple[str, ...] = ()
    """Packages `uv sync --package NAME` installs (a workspace member and its dependencies)."""
    unknown_paths: tuple[PurePosixPath, ...] = ()
    """Image paths holding content the reader cannot know."""
    base_known: bool = True
    """Whether its base image is one whose installed Python packages are known (`python`, Prefect's)."""

    @property
    def unknown_content(self) -> bool:
        return bool(self.unknown_paths)


@dataclass(frozen=True)
class _Instruction:
    keyword: str
    arguments: str
    line: int
    heredocs: tuple[str, ...] = ()


def read_dockerfile(path: Path, build_args: Mapping[str, str] | None = None) -> DockerImage | None:
    """The image a Dockerfile builds; None when it cannot be read."""
    text = read_text(path)
    return None if text is None else parse_dockerfile(text, path, build_args)


def parse_dockerfile(text: str, path: Path | None = None, build_args: Mapping[str, str] | None = None) -> DockerImage:
    """The image a Dockerfile's text builds."""
    builder = _Builder(dict(build_args or {}))
    for instruction in _instructions(text):
        builder.apply(instruction)
    return builder.image(path)


def locate_build(
    cwds: Sequence[Path], dockerfile: str | None = "Dockerfile", path: str | None = None,
) -> tuple[DockerImage, Path] | None:
    """The image a `build_docker_image` step builds and its context, for the first of the folders
    `prefect deploy` may run in (``cwds``, most likely first) where the step's Dockerfile exists;
    `dockerfile: auto` builds the first folder's context.

    The step builds the context `path` (default: the current directory of `prefect deploy`) and
    hands `dockerfile` to the builder relative to that context (docker-py's
    `docker.utils.build.process_dockerfile`, Prefect's `prefect._internal.buildx.buildx_build_image`).
    """
    for cwd in dict.fromkeys(cwds):
        context = cwd / path if path else cwd
        if dockerfile == "auto":
            return auto_dockerfile_image(context), context
        image = read_dockerfile(context / (dockerfile or "Dockerfile"))
        if image is not None:
            return image, context
    return None


def auto_dockerfile_lines(context: Path, base_image: str = AUTO_BASE_IMAGE) -> list[str]:
    """The Dockerfile `dockerfile: auto` generates for a context.

    Follows `prefect_docker.deployments.steps:build_docker_image` (prefect-docker 0.7.4) and
    `prefect.utilities.dockerutils:generate_default_dockerfile` (Prefect 3.9.1): the context's
    `requirements.txt`, when there is one, installed with `uv pip install -r`, then the whole
    context copied to `/opt/prefect/<context folder name>/`, the working directory.
    """
    folder = AUTO_IMAGE_FOLDER / context.name
    lines = [f"FROM {base_image}"]
    if (context / "requirements.txt").exists():
        lines.append(f"COPY requirements.txt {folder}/requirements.txt")
        lines.append(f"RUN uv pip install -r {folder}/requirements.txt")
    lines.append(f"COPY . {folder}/")
    lines.append(f"WORKDIR {folder}/")
    return lines


def auto_dockerfile_image(context: Path) -> DockerImage:
    """The image `dockerfile: auto` builds from a context (see `auto_dockerfile_lines`)."""
    return parse_dockerfile("\n".join(auto_dockerfile_lines(context)) + "\n")


def image_paths_of(image: DockerImage, context: Path, file: Path) -> tuple[PurePosixPath, ...]:
    """Every place a file or folder of the build context lands in the image, in copy order."""
    relative = _relative(context, file)
    if relative is None or (relative != "." and is_dockerignored(context, relative)):
        return ()
    return tuple(dict.fromkeys(_destinations(image.copies, context, relative)))


def image_path_of(image: DockerImage, context: Path, file: Path) -> PurePosixPath | None:
    """Where a file or folder of the build context lands in the image (its last copy), or None."""
    paths = image_paths_of(image, context, file)
    return paths[-1] if paths else None


def context_path_of(image: DockerImage, context: Path, image_path: PurePosixPath | str) -> Path | None:
    """The file or folder of the build context at an image path, or None when no copy puts one there."""
    return _context_path(image.copies, context, PurePosixPath(posixpath.normpath(str(image_path))))


def is_dockerignored(context: Path, relative: str) -> bool:
    """Whether `.dockerignore` keeps a context path (posix, relative) out of the build."""
    spec = _dockerignore(context, _stamp(context / ".dockerignore"))
    return spec is not None and spec.match_file(relative)


# --- reading the text ------------------------------------------------------------------------


def _instructions(text: str) -> Iterator[_Instruction]:
    lines = text.splitlines()
    escape = _escape_character(lines)
    position = 0
    while position < len(lines):
        stripped = lines[position].strip()
        if not stripped or stripped.startswith("#"):
            position += 1
            continue
        start = position
        logical, position = _logical_line(lines, position, escape)
        keyword, _, arguments = logical.strip().partition(" ")
        arguments = arguments.strip()
        heredocs = []
        for match in _HEREDOC.finditer(arguments) if keyword.upper() in ("RUN", "COPY", "ADD") else ():
            body, position = _heredoc(lines, position, match.group(3), bool(match.group(1)))
            heredocs.append(body)
        yield _Instruction(keyword.upper(), arguments, start + 1, tuple(heredocs))


def _escape_character(lines: Sequence[str]) -> str:
    """The `# escape=` parser directive, read from the directives that open the file."""
    escape = "\\"
    for line in lines:
        directive = _DIRECTIVE.match(line)
        if directive is None:
            break
        if directive.group(1).lower() == "escape" and directive.group(2) in ("\\", "`"):
            escape = directive.group(2)
    return escape


def _logical_line(lines: Sequence[str], position: int, escape: str) -> tuple[str, int]:
    """An instruction joined over its continuation lines (comment and blank lines inside skipped)."""
    parts = []
    while position < len(lines):
        text = lines[position].rstrip()
        position += 1
        if not text.endswith(escape):
            parts.append(text)
            break
        parts.append(text[:-1])
        while position < len(lines) and (not lines[position].strip() or lines[position].lstrip().startswith("#")):
            position += 1
    return " ".join(parts), position


def _heredoc(lines: Sequence[str], position: int, delimiter: str, strip_tabs: bool) -> tuple[str, int]:
    body = []
    while position < len(lines):
        line = lines[position]
        position += 1
        if (line.lstrip("\t") if strip_tabs else line).rstrip() == delimiter:
            break
        body.append(line)
    return "\n".join(body), position


# --- building the stages ------------------------------------------------------------------------


@dataclass
class _Stage:
    name: str | None
    workdir: PurePosixPath | None
    variables: dict[str, str | None] = field(default_factory=dict)
    copies: list[Copy] = field(default_factory=list)
    directories: set[PurePosixPath] = field(default_factory=lambda: set(_STANDARD_DIRECTORIES))
    workdir_line: int | None = None
    pythonpath: str | None = None
    pythonpath_line: int | None = None
    pythonpath_unknown: bool = False
    requirement_files: list[ImagePath] = field(default_factory=list)
    names: list[InstalledRequirement] = field(default_factory=list)
    projects: list[ImagePath] = field(default_factory=list)
    uv_packages: list[str] = field(default_factory=list)
    unknown: list[PurePosixPath] = field(default_factory=list)
    base_known: bool = False

    def child(self, name: str | None) -> _Stage:
        lists = {key: list(getattr(self, key)) for key in
                 ("copies", "requirement_files", "names", "projects", "uv_packages", "unknown")}
        return replace(self, name=name, variables=dict(self.variables), directories=set(self.directories), **lists)

    def take_installs(self, other: _Stage) -> None:
        self.requirement_files += [i for i in other.requirement_files if i not in self.requirement_files]
        self.names += [n for n in other.names if n not in self.names]
        self.projects += [p for p in other.projects if p not in self.projects]
        self.uv_packages += [p for p in other.uv_packages if p not in self.uv_packages]

    def resolve(self, value: str | None, cwd: PurePosixPath | None = None) -> PurePosixPath | None:
        """An absolute image path for a path written in the stage, relative to ``cwd`` or the workdir."""
        base = cwd if cwd is not None else self.workdir
        if value is None or (not value.startswith("/") and base is None):
            return None
        return PurePosixPath(posixpath.normpath(posixpath.join(str(base or ROOT), value)))


class _Builder:
    def __init__(self, build_args: dict[str, str]) -> None:
        self.build_args = build_args
        self.global_args: dict[str, str | None] = {}
        self.stages: list[_Stage] = []

    @property
    def stage(self) -> _Stage:
        if not self.stages:
            self.stages.append(_Stage(None, None))
        return self.stages[-1]

    def apply(self, instruction: _Instruction) -> None:
        handler = getattr(self, f"_{instruction.keyword.lower()}", None)
        if handler is not None:
            handler(instruction)

    def image(self, path: Path | None) -> DockerImage:
        stage = self.stage
        return DockerImage(
            path=path,
            copies=tuple(stage.copies),
            workdir=stage.workdir,
            workdir_line=stage.workdir_line,
            pythonpath=self._pythonpath(stage),
            pythonpath_line=stage.pythonpath_line,
            pythonpath_unknown=stage.pythonpath_unknown,
            installed_requirement_files=tuple(stage.requirement_files),
            installed_names=tuple(stage.names),
            installs_project_at=tuple(stage.projects),
            uv_sync_packages=tuple(dict.fromkeys(stage.uv_packages)),
            unknown_paths=tuple(dict.fromkeys(stage.unknown)),
            base_known=stage.base_known,
        )

    @staticmethod
    def _pythonpath(stage: _Stage) -> tuple[PurePosixPath, ...] | None:
        if stage.pythonpath is None:
            return None
        if not stage.pythonpath:
            return ()
        entries = [stage.resolve(entry or ".") for entry in stage.pythonpath.split(":")]
        return tuple(dict.fromkeys(entry for entry in entries if entry is not None))

    def _from(self, instruction: _Instruction) -> None:
        words = [w for w in instruction.arguments.split() if not w.startswith("--")]
        if not words:
            return
        image = _substitute(words[0], self.global_args) or ""
        name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
        parent = self._stage_named(image)
        if parent is not None:
            self.stages.append(parent.child(name))
            return
        stage = _Stage(name, _base_workdir(image), base_known=_is_known_base(image))
        if stage.workdir is not None:
            stage.directories.update([stage.workdir, *stage.workdir.parents])
        self.stages.append(stage)

    def _stage_named(self, reference: str) -> _Stage | None:
        if reference.isdigit():
            return self.stages[int(reference)] if int(reference) < len(self.stages) else None
        return next((s for s in reversed(self.stages) if s.name == reference.lower()), None)

    def _arg(self, instruction: _Instruction) -> None:
        for word in _split_words(instruction.arguments):
            name, has_default, default = word.partition("=")
            value: str | None = self.build_args.get(name)
            if value is None and has_default:
                value = default
            if value is None:
                value = self.global_args.get(name) if self.stages else None
            if not self.stages:
                self.global_args[name] = value
            else:
                self.stage.variables[name] = value

    def _env(self, instruction: _Instruction) -> None:
        stage = self.stage
        before = dict(stage.variables)
        for name, raw in _env_pairs(instruction.arguments):
            value = _substitute(raw, before)
            stage.variables[name] = value
            if name == "PYTHONPATH":
                stage.pythonpath = value
                stage.pythonpath_line = instruction.line
                stage.pythonpath_unknown = value is None

    def _workdir(self, instruction: _Instruction) -> None:
        stage = self.stage
        words = _split_words(instruction.arguments)
        stage.workdir = stage.resolve(_substitute(words[0], stage.variables)) if words else None
        stage.workdir_line = instruction.line
        if stage.workdir is not None:
            stage.directories.update([stage.workdir, *stage.workdir.parents])

    def _copy(self, instruction: _Instruction, is_add: bool = False) -> None:
        stage = self.stage
        flags, words = _copy_words(instruction.arguments)
        if len(words) < 2:
            return
        written = _substitute(words[-1], stage.variables)
        destination = stage.resolve(written)
        sources = [_substitute(word, stage.variables) for word in words[:-1] if not word.startswith("<<")]
        if destination is None or not sources:
            if destination is None and sources:
                stage.unknown.append(stage.workdir or ROOT)
            return
        into = written.endswith(("/", ".")) or len(sources) > 1 or destination in stage.directories
        origin = flags.get("from")
        for source in sources:
            self._copy_source(stage, source, destination, into, origin, is_add, instruction.line)

    def _add(self, instruction: _Instruction) -> None:
        self._copy(instruction, is_add=True)

    def _copy_source(
        self, stage: _Stage, source: str | None, destination: PurePosixPath, into: bool,
        origin: str | None, is_add: bool, line: int,
    ) -> None:
        if source is None or (is_add and (_REMOTE.match(source) or _ARCHIVE.search(source))):
            stage.unknown.append(destination)
            return
        if origin is not None:
            self._copy_from_stage(stage, source, destination, into, origin, line)
            return
        relative = posixpath.normpath(source.lstrip("/")) if source.strip("/") else "."
        stage.copies.append(Copy(relative, destination, into, line))
        if into or relative == "." or source.endswith("/"):
            stage.directories.add(destination)
        stage.directories.update(destination.parents)

    def _copy_from_stage(
        self, stage: _Stage, source: str, destination: PurePosixPath, into: bool, origin: str, line: int
    ) -> None:
        other = self._stage_named(_substitute(origin, self.global_args) or "")
        path = PurePosixPath(posixpath.normpath(posixpath.join("/", source)))
        if other is None or _WILDCARD.search(source) or not any(_overlaps(c.destination, path) for c in other.copies):
            stage.unknown.append(destination)
        else:
            stage.copies.append(Copy(str(path), destination, into, line, tuple(other.copies)))
        if other is not None:
            stage.take_installs(other)
        stage.directories.update(destination.parents)

    def _run(self, instruction: _Instruction) -> None:
        stage = self.stage
        for script in instruction.heredocs or (_run_script(instruction.arguments),):
            _Installers(stage, instruction.line).read(script)


def _base_workdir(image: str) -> PurePosixPath | None:
    """The working directory a base image starts with, for the few images where it is known."""
    repository = _repository(image)
    if repository in _BASE_WORKDIRS:
        return _BASE_WORKDIRS[repository]
    return ROOT if repository in _ROOT_WORKDIR_IMAGES else None


def _is_known_base(image: str) -> bool:
    """Whether the base image is a public one whose Python packages are known (Prefect's, or an
    operating system or Python image): another may hold anything already installed."""
    repository = _repository(image)
    return repository in _BASE_WORKDIRS or repository in _ROOT_WORKDIR_IMAGES


def _repository(image: str) -> str:
    repository = image.lower().partition("@")[0]
    name, colon, tag = repository.rpartition(":")
    if colon and "/" not in tag:
        repository = name
    return re.sub(r"^(?:(?:index\.)?docker\.io/)?(?:library/)?", "", repository)


def _overlaps(first: PurePosixPath, second: PurePosixPath) -> bool:
    return first == second or first.is_relative_to(second) or second.is_relative_to(first)


def _substitute(text: str, variables: Mapping[str, str | None]) -> str | None:
    """``text`` with `$VAR`/`${VAR}`/`${VAR:-x}`/`${VAR:+x}` replaced; None when a value is unknown."""
    unknown = False

    def value(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group(1) or match.group(4)
        current = variables.get(name, "")
        if current is None:
            unknown = True
            return ""
        if match.group(2) == "-":
            return current or match.group(3)
        if match.group(2) == "+":
            return match.group(3) if current else ""
        return current

    result = _VARIABLE.sub(value, text)
    return None if unknown else result


def _split_words(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=False)
    except ValueError:
        return text.split()


def _env_pairs(arguments: str) -> list[tuple[str, str]]:
    """`ENV A=1 B="two words"` and the legacy `ENV NAME value with spaces`."""
    name, _, value = arguments.partition(" ")
    if "=" in name:
        return [(key, value) for key, _, value in (w.partition("=") for w in _split_words(arguments)) if key]
    value = value.strip()
    unquoted = _split_words(value) if value[:1] in ("'", '"') else []
    return [(name, unquoted[0] if len(unquoted) == 1 else value)] if name else []


def _copy_words(arguments: str) -> tuple[dict[str, str], list[str]]:
    """The `--flag=value` options of a `COPY`/`ADD` and its sources and destination."""
    flags = {}
    rest = arguments
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        name, _, value = flag[2:].partition("=")
        flags[name.lower()] = value
        rest = rest.lstrip()
    if rest.startswith("["):
        try:
            words = json.loads(rest)
        except ValueError:
            words = None
        if isinstance(words, list) and all(isinstance(w, str) for w in words):
            return flags, words
    return flags, _split_words(rest)


# --- installers in RUN ------------------------------------------------------------------------------


def _run_script(arguments: str) -> str:
    """The shell text of a `RUN`: its exec form joined, its `--mount`-style flags dropped."""
    while arguments.startswith("--"):
        arguments = arguments.partition(" ")[2].lstrip()
    if arguments.startswith("["):
        try:
            words = json.loads(arguments)
        except ValueError:
            return arguments
        if isinstance(words, list) and all(isinstance(w, str) for w in words):
            return " ".join(shlex.quote(w) for w in words)
    return arguments


def _commands(script: str) -> Iterator[list[str]]:
    for line in script.splitlines():
        try:
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            words = list(lexer)
        except ValueError:
            continue
        yield from _split_commands(words)


def _split_commands(words: list[str]) -> Iterator[list[str]]:
    """Commands between control operators, without redirections (`> log`, `2>&1`) or a comment."""
    command: list[str] = []
    redirected = False
    for word in words:
        if redirected:
            redirected = False
        elif word.startswith("#"):
            break
        elif set(word) <= set("<>&") and ("<" in word or ">" in word):
            redirected = True
            if command and command[-1].isdigit():
                command.pop()
        elif word in SHELL_OPERATORS:
            if command:
                yield command
            command = []
        else:
            command.append(word)
    if command:
        yield command


class _Installers:
    def __init__(self, stage: _Stage, line: int) -> None:
        self.stage = stage
        self.line = line
        self.cwd = stage.workdir

    def read(self, script: str) -> None:
        for command in _commands(script):
            self.command(_without_prefixes(command))

    def path(self, value: str) -> PurePosixPath | None:
        """An image path written in the command, relative to the shell's current folder."""
        if "$" in value or _WILDCARD.search(value) or (self.cwd is None and not value.startswith("/")):
            return None
        return self.stage.resolve(value, self.cwd)

    def at(self, value: str) -> ImagePath | None:
        path = self.path(value)
        return None if path is None else ImagePath(path, self.line, tuple(self.stage.copies))

    def command(self, words: list[str]) -> None:
        if not words:
            return
        program = words[0].rsplit("/", 1)[-1]
        if program == "cd":
            self.cwd = self.path(words[1]) if len(words) > 1 else None
        elif PYTHON_PROGRAM.match(program) and words[1:3] == ["-m", "pip"]:
            self.pip(words[3:])
        elif PIP_PROGRAM.match(program):
            self.pip(words[1:])
        elif program == "uv" and words[1:2] == ["pip"]:
            self.pip(words[2:])
        elif program == "uv" and words[1:2] == ["sync"]:
            self.uv_sync(words[2:])
        elif program in ("poetry", "pdm") and words[1:2] in (["install"], ["sync"]):
            self.project(_option(words[2:], "-C", "--directory", "-P", "--project", "-p") or ".")

    def pip(self, words: list[str]) -> None:
        if words[:1] == ["sync"]:
            for word in _positionals(words[1:]):
                self.add(self.stage.requirement_files, self.at(word))
        elif words[:1] == ["install"]:
            self.pip_install(words[1:])

    def pip_install(self, words: list[str]) -> None:
        for file in _option_values(words, "-r", "--requirement", "--requirements"):
            self.add(self.stage.requirement_files, self.at(file))
        for target in _option_values(words, "-e", "--editable"):
            self.install_target(target)
        for word in _positionals(words):
            self.install_target(word)

    def install_target(self, word: str) -> None:
        if _is_local(word):
            if not _ARCHIVE.search(word) and not word.endswith((".whl", ".zip")):
                self.project(re.sub(r"\[[^\]]*\]$", "", word))
        elif requirement_name(word) is not None:
            self.stage.names.append(InstalledRequirement(word, self.line))

    def uv_sync(self, words: list[str]) -> None:
        self.project(_option(words, "--project", "--directory") or ".")
        self.stage.uv_packages += _option_values(words, "--package")

    def project(self, folder: str) -> None:
        self.add(self.stage.projects, self.at(folder))

    @staticmethod
    def add(found: list[ImagePath], path: ImagePath | None) -> None:
        if path is not None:
            found.append(path)


def _without_prefixes(words: list[str]) -> list[str]:
    """A command without leading `VAR=value` assignments, `sudo`, `env` or `exec`."""
    position = 0
    while position < len(words) and (re.match(r"^\w+=", words[position]) or words[position] in ("sudo", "env", "exec")):
        position += 1
    return words[position:]


def _option_values(words: list[str], *names: str) -> list[str]:
    """Values of an option given as `-r x`, `--requirement=x` or `-rx`."""
    values = []
    for position, word in enumerate(words):
        option, has_value, attached = word.partition("=")
        if option in names:
            value = attached if has_value else (words[position + 1] if position + 1 < len(words) else "")
            if value:
                values.append(value)
        elif any(len(n) == 2 and word.startswith(n) and len(word) > 2 for n in names if not n.startswith("--")):
            values.append(word[2:])
    return values


def _option(words: list[str], *names: str) -> str | None:
    values = _option_values(words, *names)
    return values[-1] if values else None


def _positionals(words: list[str]) -> Iterator[str]:
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word.startswith("-"):
            option = word.partition("=")[0]
            skip = "=" not in word and option in (PIP_VALUE_OPTIONS | {"-r", "--requirement", "-e", "--editable"})
        else:
            yield word


def _is_local(word: str) -> bool:
    return (word in (".", "..") or word.startswith(("./", "../", "/", "~", ".["))) or (
        "/" in word and "://" not in word and "@" not in word
    )


# --- mapping paths through the copies ---------------------------------------------------------------


def _relative(context: Path, file: Path) -> str | None:
    try:
        relative = Path(file).absolute().relative_to(Path(context).absolute())
    except ValueError:
        return None
    return relative.as_posix()


def _destinations(copies: Sequence[Copy], context: Path, relative: str) -> Iterator[PurePosixPath]:
    for copy in copies:
        if copy.stage is None:
            yield from _context_destinations(copy, context, relative)
            continue
        for inner in _destinations(copy.stage, context, relative):
            landed = _through(copy, PurePosixPath(copy.source), inner)
            if landed is not None:
                yield landed


def _context_destinations(copy: Copy, context: Path, relative: str) -> Iterator[PurePosixPath]:
    if copy.source == ".":
        yield copy.destination / relative if relative != "." else copy.destination
        return
    for matched in _matching_ancestors(copy.source, relative):
        if matched == relative and not (context / relative).is_dir():
            yield _file_destination(copy, PurePosixPath(relative).name)
        else:
            inside = posixpath.relpath(relative, matched)
            yield copy.destination / inside if inside != "." else copy.destination


def _matching_ancestors(source: str, relative: str) -> Iterator[str]:
    """``relative`` or its folders that a copy's source (a path or glob) names."""
    parts = relative.split("/")
    pattern = source.split("/")
    if len(pattern) <= len(parts):
        candidate = "/".join(parts[: len(pattern)])
        if all(fnmatchcase(part, _go_pattern(p)) for part, p in zip(parts, pattern)):
            yield candidate


def _through(copy: Copy, source: PurePosixPath, path: PurePosixPath) -> PurePosixPath | None:
    """Where a path of a stage lands when a `COPY --from` copies ``source`` of that stage."""
    if path == source:
        return copy.destination / source.name if copy.into_directory and not _is_folder(copy) else copy.destination
    if path.is_relative_to(source):
        return copy.destination / path.relative_to(source)
    return None


def _is_folder(copy: Copy) -> bool:
    return any(inner.destination.is_relative_to(PurePosixPath(copy.source)) and
               inner.destination != PurePosixPath(copy.source) for inner in copy.stage or ())


def _context_path(copies: Sequence[Copy], context: Path, image_path: PurePosixPath) -> Path | None:
    for copy in reversed(copies):
        for candidate in _sources_at(copy, context, image_path):
            relative = _relative(context, candidate)
            if candidate.exists() and relative is not None and (relative == "." or not is_dockerignored(context, relative)):
                return candidate
    return None


def _sources_at(copy: Copy, context: Path, image_path: PurePosixPath) -> Iterator[Path]:
    if copy.stage is not None:
        source = PurePosixPath(copy.source)
        if image_path == copy.destination / source.name and copy.into_directory and not _is_folder(copy):
            found = _context_path(copy.stage, context, source)
            if found is not None:
                yield found
        if image_path.is_relative_to(copy.destination):
            found = _context_path(copy.stage, context, source / image_path.relative_to(copy.destination))
            if found is not None:
                yield found
        return
    for match in _glob(context, copy.source):
        if match.is_dir() and image_path.is_relative_to(copy.destination):
            yield match / image_path.relative_to(copy.destination)
        elif match.is_file() and image_path == _file_destination(copy, match.name):
            yield match


def _file_destination(copy: Copy, name: str) -> PurePosixPath:
    return copy.destination / name if copy.into_directory else copy.destination


def _glob(context: Path, source: str) -> list[Path]:
    if source == ".":
        return [context]
    if not _WILDCARD.search(source):
        return [context / source]
    return sorted(context.glob(_go_pattern(source)))


def _go_pattern(pattern: str) -> str:
    """A Go `filepath.Match` pattern in fnmatch's syntax (`[^a]` is `[!a]`)."""
    return pattern.replace("[^", "[!")


# --- .dockerignore ----------------------------------------------------------------------------------


def _stamp(path: Path) -> tuple[int, int] | None:
    return file_stamps((path,))[0]


@lru_cache(maxsize=64)
def _dockerignore(context: Path, stamp: tuple[int, int] | None) -> pathspec.PathSpec | None:
    """`.dockerignore` as anchored gitwildmatch patterns.

    Docker matches each pattern, cleaned and without a leading `/`, against the whole path
    from the context root, and a match on a folder covers what it holds; the last matching
    pattern wins, `!` re-includes (docker-py's `docker.utils.build.PatternMatcher`).
    """
    text = read_text(context / ".dockerignore") if stamp is not None else None
    if text is None:
        return None
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        body = posixpath.normpath(line[1:].strip() if negated else line).lstrip("/")
        if body and body != ".":
            lines.append(("!" if negated else "") + "/" + body)
    try:
        return pathspec.PathSpec.from_lines("gitignore", lines)
    except KeyError:  # pathspec before 1.0 names the same patterns "gitwildmatch"
        return pathspec.PathSpec.from_lines("gitwildmatch", lines)

"""The project's interpreter and what it has installed, read from files and never by running it.

The interpreter a project uses is chosen by where it lives (a setting, the active
virtual environment, a `.venv` of the project); what it has installed is located
from `pyvenv.cfg`, the `lib/pythonX.Y/site-packages` layout and the path lines of
`.pth` files. Nothing here starts that interpreter or imports from it: a checked
tree may name any executable as its interpreter, and only the probe, when asked,
runs it (SPEC, "Trust boundary").
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .roots import file_stamps


OWN_INTERPRETER = "the server's own"
"""`Interpreter.chosen_by` when neither a setting nor a project environment named one."""


@dataclass(frozen=True)
class Interpreter:
    path: str
    chosen_by: str


def choose_interpreter(explicit: str | None, project_root: Path | None) -> Interpreter:
    """The explicit setting, else the active virtualenv, else `.venv`/`venv` in the project, else ours."""
    if explicit:
        return Interpreter(shutil.which(explicit) or explicit, "setting")
    active = os.environ.get("VIRTUAL_ENV")
    # Our own environment is active when a tool runner (pre-commit, pipx) started us: the
    # project's environment is elsewhere.
    if active and _python_in(Path(active)) and not _is_own_prefix(Path(active)):
        return Interpreter(str(_python_in(Path(active))), "VIRTUAL_ENV")
    for folder in [project_root, *(project_root.parents if project_root else [])]:
        if folder is None:
            continue
        for name in (".venv", "venv"):
            python = _python_in(folder / name)
            if python:
                return Interpreter(str(python), f"{folder / name}")
    return Interpreter(sys.executable, OWN_INTERPRETER)


@lru_cache(maxsize=256)
def project_interpreter(explicit: str | None, project_root: Path | None) -> str:
    """The path of the interpreter `choose_interpreter` picks (cached per project)."""
    return choose_interpreter(explicit, project_root).path


@lru_cache(maxsize=256)
def project_environment(explicit: str | None, project_root: Path | None) -> str | None:
    """The interpreter of the project's own environment: None when only ours is left."""
    chosen = choose_interpreter(explicit, project_root)
    return None if chosen.chosen_by == OWN_INTERPRETER else chosen.path


def _python_in(venv: Path) -> Path | None:
    for candidate in (venv / "bin" / "python", venv / "Scripts" / "python.exe"):
        if candidate.exists():
            return candidate
    return None


def _is_own_prefix(prefix: Path) -> bool:
    try:
        return prefix.resolve() == Path(sys.prefix).resolve()
    except OSError:
        return False


def is_own_interpreter(python: str) -> bool:
    """Whether ``python`` is the interpreter this process runs on. A virtual environment's
    `python` links to its base interpreter, so environments compare by their root."""
    venv = _venv_config(Path(python))
    if venv is not None:
        return _is_own_prefix(venv[0])
    try:
        return sys.prefix == sys.base_prefix and os.path.samefile(python, sys.executable)
    except OSError:
        return False


# --- what an interpreter has installed, located from files -------------------------------


@dataclass(frozen=True)
class SitePackages:
    """Where an interpreter's installed distributions live, found without running it."""

    python: str
    version: tuple[int, int] | None
    """The interpreter's Python version, when its files tell (`pyvenv.cfg`, `lib/pythonX.Y`)."""
    full_version: str | None
    folders: tuple[str, ...]
    """Its site-packages folders, in the order the interpreter searches them."""
    added_paths: tuple[str, ...]
    """Folders that `.pth` path lines and editable-install finders add to its import path."""
    own: bool = False

    @property
    def import_path(self) -> list[str]:
        return [*self.folders, *self.added_paths]

    def stamp(self) -> tuple:
        """Changes when a package is installed or removed (a site folder's entries change)."""
        return file_stamps((self.python, *self.folders))


def locate_site_packages(python: str) -> SitePackages | None:
    """The site-packages of an interpreter (a path or a command on PATH); None when it does not exist.

    Asked on every analysis (jedi, PP306): the layout is located again only when the
    interpreter, its `pyvenv.cfg` or a site folder (where `.pth` files live) changed."""
    executable = shutil.which(python) or python
    cached = _located.get(executable)
    if cached is not None and file_stamps(cached[0]) == cached[1]:
        return cached[2]
    site = _locate(executable)
    watched = (executable, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(executable))), "pyvenv.cfg"))
    watched += site.folders if site else ()
    if len(_located) >= 64:
        _located.clear()
    _located[executable] = (watched, file_stamps(watched), site)
    return site


_located: dict[str, tuple[tuple[str, ...], tuple, "SitePackages | None"]] = {}


def _locate(executable: str) -> SitePackages | None:
    if not os.path.exists(executable):
        return None
    venv = _venv_config(Path(executable))
    if venv is not None:
        root, config = venv
        full_version = config.get("version_info") or config.get("version")
        version = _major_minor(full_version) or _version_from_layout(root)
        folders = _site_folders(root, version)
        if config.get("include-system-site-packages", "").lower() == "true" and config.get("home"):
            folders += _site_folders(Path(config["home"]).parent, version, system=True)
    else:
        resolved = Path(executable).resolve()
        prefix = resolved.parent if resolved.parent.name.lower() != "bin" else resolved.parent.parent
        full_version = None
        version = _major_minor(_version_in_name(resolved.name)) or _version_from_layout(prefix)
        folders = _user_site(version) + _site_folders(prefix, version, system=True)
    folders = tuple(dict.fromkeys(str(f.resolve()) for f in folders if f.is_dir()))
    own = is_own_interpreter(executable)
    return SitePackages(executable, version, full_version, folders, tuple(_added_paths(folders)), own)


def _venv_config(executable: Path) -> tuple[Path, dict[str, str]] | None:
    """The virtual environment's root and `pyvenv.cfg` of an interpreter inside one."""
    for root in (executable.absolute().parent.parent, executable.absolute().parent):
        config = root / "pyvenv.cfg"
        if config.is_file():
            try:
                lines = config.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                return None
            pairs = (line.split("=", 1) for line in lines if "=" in line)
            return root, {key.strip().lower(): value.strip() for key, value in pairs}
    return None


_VERSION = re.compile(r"(\d+)\.(\d+)")


def _major_minor(text: str | None) -> tuple[int, int] | None:
    match = _VERSION.search(text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def _version_in_name(name: str) -> str | None:
    match = re.fullmatch(r"python(\d+\.\d+)[a-z]*(?:\.exe)?", name)
    return match.group(1) if match else None


def _version_from_layout(prefix: Path) -> tuple[int, int] | None:
    """The X.Y of the one `lib/pythonX.Y` folder of a prefix, if there is exactly one."""
    versions = {_major_minor(folder.name) for folder in prefix.glob("lib/python3.*")} - {None}
    return versions.pop() if len(versions) == 1 else None


def _site_folders(prefix: Path, version: tuple[int, int] | None, system: bool = False) -> list[Path]:
    lib = f"python{version[0]}.{version[1]}" if version else "python3.*"
    patterns = [f"lib/{lib}/site-packages", f"lib64/{lib}/site-packages", "Lib/site-packages"]
    if system:  # Debian's layout of the system interpreter
        patterns += [f"local/lib/{lib}/dist-packages", "lib/python3/dist-packages", f"lib/{lib}/dist-packages"]
    return [folder for pattern in patterns for folder in sorted(prefix.glob(pattern))]


def _user_site(version: tuple[int, int] | None) -> list[Path]:
    if version is None or os.environ.get("PYTHONNOUSERSITE"):
        return []
    base = Path(os.environ.get("PYTHONUSERBASE") or Path.home() / ".local")
    return [base / "lib" / f"python{version[0]}.{version[1]}" / "site-packages"]


def _added_paths(folders: tuple[str, ...]) -> list[str]:
    """The folders `.pth` files add, as `site` would, without running their `import` lines;
    and the package folders that setuptools' editable finders map (read as literals)."""
    added: list[str] = []
    for folder in folders:
        for pth in sorted(Path(folder).glob("*.pth")):
            added += _pth_paths(pth)
        for finder in sorted(Path(folder).glob("__editable__*_finder.py")):
            added += _editable_finder_paths(finder)
    return list(dict.fromkeys(p for p in added if p not in folders))


def _pth_paths(pth: Path) -> list[str]:
    try:
        lines = pth.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        line = line.rstrip()
        if not line or line.startswith("#") or line.startswith(("import ", "import\t")):
            continue
        path = os.path.normpath(os.path.join(pth.parent, line))
        if os.path.isdir(path):
            found.append(path)
    return found


def _editable_finder_paths(finder: Path) -> list[str]:
    """The parents of the packages in a finder's literal `MAPPING = {name: path}`."""
    try:
        tree = ast.parse(finder.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return []
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (node.targets[0] if isinstance(node, ast.Assign) else None)
        if isinstance(target, ast.Name) and target.id == "MAPPING" and node.value is not None:
            try:
                mapping = ast.literal_eval(node.value)
            except ValueError:
                return []
            return [os.path.dirname(path) for path in mapping.values() if isinstance(path, str) and os.path.isdir(path)]
    return []


def own_standard_library() -> list[str]:
    """This interpreter's standard library folders (for reading other environments' sources)."""
    bases = tuple(os.path.join(prefix, "") for prefix in {sys.base_prefix, sys.base_exec_prefix})
    return [
        path for path in sys.path
        if path.startswith(bases) and not path.endswith(("site-packages", "dist-packages"))
    ]

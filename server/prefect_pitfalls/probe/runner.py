"""The server's half of the probe: choosing the interpreter, supervising its worker,
timeouts, and caching answers by file content and the files the module imported.

The worker (`worker.py`, next to this file) runs in the project's interpreter; this
module never imports user code.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import cloudpickle

from ..project import locate_site_packages
from ..serialization.jedi_types import import_root

WORKER = Path(__file__).with_name("worker.py")
STARTUP_TIMEOUT = 90.0
DEFAULT_MEMORY_MB = 4096


def module_of(file: Path) -> tuple[Path, str]:
    """The folder the module is imported from and its dotted name there."""
    root = import_root(file)
    relative = file.resolve().relative_to(root).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return root, ".".join(parts)


@dataclass
class ProbeOutcome:
    """What a probe found out: ``status`` "ok", "import-error", or why it did not finish."""

    status: str
    reply: dict = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    interpreter: str = ""

    @property
    def finished(self) -> bool:
        return self.status in ("ok", "import-error")


class WorkerProcess:
    """A fork server in one interpreter: started once, warmed, restarted when it misbehaves."""

    def __init__(self, python: str) -> None:
        self.python = python
        self.process: subprocess.Popen | None = None
        self.replies = None
        self.info: dict = {}
        self.lock = threading.Lock()
        self.requests = 0
        self.fingerprint: tuple = ()

    def ensure_started(self) -> None:
        fingerprint = _environment_fingerprint(self.python)
        if self.process is not None and self.process.poll() is None and fingerprint == self.fingerprint:
            return
        self.stop()
        read_fd, write_fd = os.pipe()
        environment = dict(os.environ)
        environment["PREFECT_PITFALLS_CLOUDPICKLE"] = str(Path(cloudpickle.__file__).parent.parent)
        environment.setdefault("PYTHONDONTWRITEBYTECODE", "1")
        try:
            self.process = subprocess.Popen(
                [self.python, "-u", str(WORKER), "--serve", str(write_fd)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(write_fd,),
                env=environment,
                start_new_session=True,
            )
        finally:
            os.close(write_fd)
        self.replies = os.fdopen(read_fd, "rb", buffering=0)
        self.fingerprint = fingerprint
        ready = self._read(STARTUP_TIMEOUT)
        if ready is None or ready.get("event") != "ready":
            self.stop()
            raise RuntimeError(f"the probe worker did not start in {self.python}")
        self.info = ready

    def probe(self, request: dict, timeout: float) -> dict | None:
        """Send one request; None when the worker itself stopped answering (it is then restarted)."""
        assert self.process is not None and self.process.stdin is not None
        self.requests += 1
        request = {**request, "id": self.requests}
        try:
            self.process.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            self.stop()
            return None
        # The worker enforces the probe's own timeout; this one guards against the worker itself.
        reply = self._read(timeout * 2 + 10)
        if reply is None:
            self.stop()
        return reply

    def _read(self, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        buffer = b""
        while not buffer.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self.replies], [], [], remaining)
            if not ready:
                return None
            chunk = self.replies.read(65536)
            if not chunk:
                return None
            buffer += chunk
        try:
            return json.loads(buffer.decode("utf-8"))
        except ValueError:
            return None

    def stop(self) -> None:
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                pass
            self.process.wait()
            self.process = None
        if self.replies is not None:
            self.replies.close()
            self.replies = None


def _environment_fingerprint(python: str) -> tuple:
    """Changes when the interpreter or its installed packages change."""
    site = locate_site_packages(python)
    return site.stamp() if site is not None else ("missing",)


class Prober:
    """Probes files, one warm worker per interpreter, with answers cached per file content."""

    def __init__(self) -> None:
        self.workers: dict[str, WorkerProcess] = {}
        self.cache: dict[tuple[str, str], tuple[str, dict[str, int], ProbeOutcome]] = {}
        self.lock = threading.Lock()

    def probe(self, file: Path, python: str, timeout: float, by_value: bool | None, memory_mb: int = DEFAULT_MEMORY_MB) -> ProbeOutcome:
        started = time.monotonic()
        if not Path(python).exists() and shutil.which(python) is None:
            return ProbeOutcome("unavailable", error=f"the interpreter {python} does not exist", interpreter=python)
        try:
            content = hashlib.sha256(file.read_bytes()).hexdigest()
        except OSError as error:
            return ProbeOutcome("unavailable", error=f"cannot read {file}: {error.strerror}", interpreter=python)
        key = (python, str(file.resolve()))
        cached = self.cache.get(key)
        if cached is not None and cached[0] == content and _unchanged(cached[1]):
            return cached[2]
        root, module = module_of(file)
        request = {
            "module": module, "root": str(root), "file": str(file.resolve()),
            "timeout": timeout, "by_value": by_value, "memory_mb": memory_mb,
        }
        with self.lock:
            worker = self.workers.setdefault(python, WorkerProcess(python))
        with worker.lock:
            try:
                worker.ensure_started()
            except (OSError, RuntimeError) as error:
                return ProbeOutcome("unavailable", error=str(error), seconds=time.monotonic() - started, interpreter=python)
            reply = worker.probe(request, timeout)
        seconds = time.monotonic() - started
        if reply is None:
            return ProbeOutcome("failed", error="the probe worker stopped answering", seconds=seconds, interpreter=python)
        status = reply.get("status", "failed")
        if status == "failed" and "did not finish" in (reply.get("error") or ""):
            status = "timeout"
            worker.stop()  # a fresh fork server after a timeout
        outcome = ProbeOutcome(status, reply, reply.get("error"), seconds, python)
        if outcome.finished:
            dependencies = {f: _mtime(f) for f in reply.get("files", []) if f != str(file.resolve())}
            self.cache[key] = (content, dependencies, outcome)
        return outcome

    def close(self) -> None:
        for worker in self.workers.values():
            worker.stop()


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def _unchanged(dependencies: dict[str, int]) -> bool:
    return all(_mtime(path) == mtime for path, mtime in dependencies.items())

"""The probe's worker: runs inside the project's interpreter with only the standard library
and cloudpickle. It imports one module under its real dotted name, finds its Prefect flows
and tasks (Prefect 1 and 2/3), and round-trips each through cloudpickle the way a worker
would receive it. When a round trip fails it walks the object down to the smallest part
that fails and reports the path (`etl -> global 'conn' -> sqlite3.Connection`).

Modes:
    worker.py --serve REPLY_FD   a fork server: imports prefect and cloudpickle once, warms them,
                                 then forks a fresh child per request read from stdin (JSON lines)
    worker.py --once REPLY_FD    one request from stdin, in this process (no fork)

Replies are JSON lines on REPLY_FD, never on stdout: user code may print anything.
Nothing here calls a flow or a task, and the module's `__main__` block never runs.
"""

from __future__ import annotations

import base64
import importlib
import io
import json
import os
import select
import signal
import sys
import time
import traceback
import types

PREFECT_CLASSES = {
    "prefect.flows.Flow": ("flow", "2/3"),
    "prefect.tasks.Task": ("task", "2/3"),
    "prefect.core.flow.Flow": ("flow", "1"),
    "prefect.core.task.Task": ("task", "1"),
}
MAX_DEPTH = 12
MAX_CHILDREN = 200


# --- finding Prefect objects ----------------------------------------------------------------


def prefect_kind(obj):
    """("flow" | "task", "1" | "2/3") for a Prefect Flow or Task object, else None."""
    if isinstance(obj, type):
        return None
    for cls in type(obj).__mro__:
        found = PREFECT_CLASSES.get(f"{cls.__module__}.{cls.__qualname__}")
        if found:
            return found
    return None


def defined_here(obj, style, module_name):
    """Whether a module-level Prefect object belongs to this module (not an import of another's)."""
    fn = getattr(obj, "fn", None)
    if style == "2/3" and fn is not None:
        return getattr(fn, "__module__", None) == module_name
    return True


def source_line(obj, style):
    fn = getattr(obj, "fn", None)
    if fn is None and style == "1" and prefect_kind(obj) == ("task", "1"):
        fn = getattr(type(obj), "run", None)
    code = getattr(fn, "__code__", None)
    return code.co_firstlineno if code else None


def prefect_objects(module):
    found = []
    for name, obj in sorted(vars(module).items()):
        kind = prefect_kind(obj)
        if kind and defined_here(obj, kind[1], module.__name__):
            found.append((name, obj, kind[0], kind[1]))
    return found


# --- round trips and the offending object ---------------------------------------------------


def round_trip(cloudpickle, obj):
    cloudpickle.loads(cloudpickle.dumps(obj))


def describe(error):
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def type_name(obj):
    cls = type(obj)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def referenced_globals(code, seen=None):
    seen = set() if seen is None else seen
    names = list(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType) and id(const) not in seen:
            seen.add(id(const))
            names.extend(referenced_globals(const, seen))
    return names


def function_parts(fn):
    code = fn.__code__
    for name in dict.fromkeys(referenced_globals(code)):
        if name in fn.__globals__:
            value = fn.__globals__[name]
            if not isinstance(value, types.ModuleType):
                yield f"global '{name}'", value
    for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
        try:
            yield f"closure '{name}'", cell.cell_contents
        except ValueError:
            continue
    arguments = code.co_varnames[: code.co_argcount]
    for name, value in zip(arguments[len(arguments) - len(fn.__defaults__ or ()):], fn.__defaults__ or ()):
        yield f"default '{name}'", value
    for name, value in (fn.__kwdefaults__ or {}).items():
        yield f"default '{name}'", value


def parts(obj):
    """(label, part) pairs an object is serialized with; label None: not shown in the path."""
    if isinstance(obj, (types.ModuleType, type, str, bytes, int, float, bool, type(None))):
        return
    if isinstance(obj, types.FunctionType):
        yield from function_parts(obj)
        return
    if isinstance(obj, types.MethodType):
        yield None, obj.__func__
        yield "bound to", obj.__self__
        return
    if isinstance(obj, dict):
        for key, value in list(obj.items())[:MAX_CHILDREN]:
            yield f"item {key!r}", value
        return
    if isinstance(obj, (list, tuple, set, frozenset)):
        for index, value in enumerate(list(obj)[:MAX_CHILDREN]):
            yield f"[{index}]", value
        return
    kind = prefect_kind(obj)
    attributes = getattr(obj, "__dict__", None)
    if isinstance(attributes, dict):
        if kind and kind[1] == "2/3" and "fn" in attributes:
            yield None, attributes["fn"]
        for name, value in list(attributes.items())[:MAX_CHILDREN]:
            if kind and name in ("fn", "__wrapped__"):
                continue
            yield f"attribute '{name}'", value
    for name in getattr(type(obj), "__slots__", ()) or ():
        if isinstance(name, str) and hasattr(obj, name):
            yield f"attribute '{name}'", getattr(obj, name)


def offender(cloudpickle, obj, depth=0, seen=None):
    """(path labels, culprit, error) of the smallest part of ``obj`` that fails a round trip."""
    seen = set() if seen is None else seen
    try:
        round_trip(cloudpickle, obj)
        return None
    except BaseException as error:  # noqa: BLE001 - any failure of user objects is a finding
        failure = error
    if depth < MAX_DEPTH and id(obj) not in seen:
        seen.add(id(obj))
        try:
            children = list(parts(obj))
        except Exception:
            children = []
        for label, child in children:
            found = offender(cloudpickle, child, depth + 1, seen)
            if found is not None:
                path, culprit, error = found
                return ([label] if label else []) + path, culprit, error
    return [], obj, failure


def check_object(cloudpickle, name, obj, kind, style, mode):
    result = {"name": name, "kind": kind, "style": style, "mode": mode, "line": source_line(obj, style), "ok": True}
    if style == "1" and kind == "task":
        result["class"] = type(obj).__name__
    try:
        payload = cloudpickle.dumps(obj)
    except BaseException as error:  # noqa: BLE001
        found = offender(cloudpickle, obj) or ([], obj, error)
        path, culprit, failure = found
        result.update(ok=False, path=path, type=type_name(culprit), error=describe(failure))
        return result, None
    return result, base64.b64encode(payload).decode("ascii")


# --- one probe --------------------------------------------------------------------------------


def import_module(request):
    root = request["root"]
    if root not in sys.path:
        sys.path.insert(0, root)
    os.chdir(root)
    return importlib.import_module(request["module"])


def import_failure(error, request):
    """Where an import failed: the missing module, or the deepest frame in the probed file."""
    info = {"status": "import-error", "error": describe(error), "exception": type(error).__name__}
    if isinstance(error, ModuleNotFoundError):
        info["missing"] = error.name
    target = os.path.realpath(request["file"])
    line = None
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        if os.path.realpath(frame.f_code.co_filename) == target:
            line = lineno
    if isinstance(error, SyntaxError) and error.filename and os.path.realpath(error.filename) == target:
        line = error.lineno
    info["line"] = line
    return info


def probe_in_this_process(request, cloudpickle):
    """Import and serialize; payloads of what serialized, to be loaded in a fresh process."""
    already_loaded = set(sys.modules)
    try:
        module = import_module(request)
    except SystemExit as error:
        return {"status": "exited", "error": f"the module called sys.exit({error.code!r}) on import"}, []
    except MemoryError:
        return {"status": "memory", "error": "the module ran out of the probe's memory on import"}, []
    except BaseException as error:  # noqa: BLE001
        return import_failure(error, request), []
    objects, payloads = [], []
    by_value = request.get("by_value")
    for name, obj, kind, style in prefect_objects(module):
        modes = ["by-reference"]
        if by_value or (by_value is None and style == "1" and kind == "flow"):
            modes.append("by-value")
        for mode in modes:
            if mode == "by-value":
                cloudpickle.register_pickle_by_value(module)
            try:
                result, payload = check_object(cloudpickle, name, obj, kind, style, mode)
            finally:
                if mode == "by-value":
                    cloudpickle.unregister_pickle_by_value(module)
            objects.append(result)
            if payload is None:
                continue
            if mode == "by-reference":
                # Loading where the module is imported costs nothing more; a fresh process would
                # import it again (doubling the probe) and find nothing else: cloudpickle already
                # ships whatever cannot be imported by value.
                error = _load_one(cloudpickle, payload)
                if error:
                    result.update(ok=False, path=[], type=None, error=error, on_load=True)
            else:
                payloads.append((len(objects) - 1, mode, payload))
    return {"status": "ok", "objects": objects, "files": project_files(request, already_loaded)}, payloads


def project_files(request, already_loaded):
    """The project's files the import loaded: a change to any of them invalidates the answer."""
    root = os.path.realpath(request["root"]) + os.sep
    files = set()
    for name in set(sys.modules) - already_loaded:
        path = getattr(sys.modules.get(name), "__file__", None)
        if path:
            path = os.path.realpath(path)
            if path.startswith(root):
                files.add(path)
    return sorted(files)


class _BlockPackage:
    """An import hook that hides the user's code, as on a worker that does not have it."""

    def __init__(self, package):
        self.package = package

    def find_spec(self, name, path=None, target=None):
        if name == self.package or name.startswith(self.package + "."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def load_payloads(request, cloudpickle, payloads):
    """In a fresh process with the user's code hidden, as on a worker without it: load the
    by-value payloads; {index: error} for those that do not load."""
    root = os.path.realpath(request["root"])
    sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != root]
    sys.meta_path.insert(0, _BlockPackage(request["module"].split(".")[0]))
    failures = {}
    for index, _, payload in payloads:
        error = _load_one(cloudpickle, payload)
        if error:
            failures[str(index)] = error
    return failures


def _load_one(cloudpickle, payload):
    try:
        cloudpickle.loads(base64.b64decode(payload) if isinstance(payload, str) else payload)
    except BaseException as error:  # noqa: BLE001
        return describe(error)
    return None


# --- processes ---------------------------------------------------------------------------------


def limit_resources(request):
    try:
        import resource

        memory = int(request.get("memory_mb") or 0) * 1024 * 1024
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ImportError, ValueError, OSError):
        pass


def run_child(request, work, timeout, output_limit):
    """Fork a child in its own process group running ``work() -> dict``; supervise it.

    Returns (reply dict or None, exit description, captured output). The child's stdout and
    stderr go to a pipe read here (kept up to ``output_limit`` bytes, the rest discarded).
    """
    result_read, result_write = os.pipe()
    output_read, output_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            me = os.getpid()
            os.setsid()
            os.close(result_read)
            os.close(output_read)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.dup2(output_write, 1)
            os.dup2(output_write, 2)
            sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", buffering=0), write_through=True)
            sys.stderr = sys.stdout
            limit_resources(request)
            reply = work()
            if os.getpid() != me:
                os._exit(0)  # a process the module forked came back here: only the probe's child answers
            data = json.dumps(reply).encode("utf-8")
            with os.fdopen(result_write, "wb") as out:
                out.write(data)
            os._exit(0)
        except BaseException:  # noqa: BLE001 - nothing may escape a forked child
            os._exit(70)
    os.close(result_write)
    os.close(output_write)
    chunks, output, output_size = [], [], 0
    deadline = time.monotonic() + timeout
    open_fds = {result_read, output_read}
    timed_out = False

    def take(fd):
        nonlocal output_size
        data = os.read(fd, 65536)
        if not data:
            open_fds.discard(fd)
        elif fd == result_read:
            chunks.append(data)
        elif output_size < output_limit:
            output.append(data[: output_limit - output_size])
            output_size += len(output[-1])

    while open_fds:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        ready, _, _ = select.select(list(open_fds), [], [], min(remaining, 0.05))
        for fd in ready:
            take(fd)
        if not ready and _exited(pid):
            # The child is gone but a process it started still holds the pipes: all the child
            # wrote is already in them; take it without waiting for an end of file.
            for _ in range(64):
                ready, _, _ = select.select(list(open_fds), [], [], 0)
                if not ready:
                    break
                for fd in ready:
                    take(fd)
            break
    # The child on a timeout, and in every case whatever the module left running in its group.
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    _, status = os.waitpid(pid, 0)
    for fd in (result_read, output_read):
        try:
            os.close(fd)
        except OSError:
            pass
    captured = b"".join(output).decode("utf-8", "replace")
    if timed_out:
        return None, f"did not finish within {timeout:g} s", captured
    if not chunks:  # an answer counts even if the group kill above reached its writer
        if os.WIFSIGNALED(status):
            return None, f"crashed with {signal.Signals(os.WTERMSIG(status)).name}", captured
        return None, f"exited with status {os.WEXITSTATUS(status)} without an answer", captured
    try:
        return json.loads(b"".join(chunks).decode("utf-8")), None, captured
    except ValueError:
        return None, "answered something that is not JSON", captured


def _exited(pid):
    """Whether a child has ended, without reaping it (its process group stays valid for killpg)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def probe(request, cloudpickle, forking):
    """One probe: import + serialize in a child, then load in a fresh child per mode."""
    started = time.monotonic()
    timeout = float(request.get("timeout") or 10)
    output_limit = int(request.get("output_limit") or 8192)

    def serialize():
        reply, payloads = probe_in_this_process(request, cloudpickle)
        reply["payloads"] = payloads
        return reply

    if forking:
        reply, failure, output = run_child(request, serialize, timeout, output_limit)
    else:
        reply, failure, output = _in_process(serialize), None, ""
    if reply is None:
        return {"status": "failed", "error": failure, "output": output, "seconds": time.monotonic() - started}
    payloads = reply.pop("payloads", [])
    if payloads:
        remaining = max(timeout - (time.monotonic() - started), 0.5)
        if forking:
            failures, failure, _ = run_child(request, lambda: load_payloads(request, cloudpickle, payloads), remaining, output_limit)
        else:
            failures, failure = load_payloads(request, cloudpickle, payloads), None
        if failures is None:
            error = f"loading the serialized objects {failure}"
            return {"status": "failed", "error": error, "output": output, "seconds": time.monotonic() - started}
        for index, error in failures.items():
            reply["objects"][int(index)].update(ok=False, path=[], type=None, error=error, on_load=True)
    reply["output"] = output
    reply["seconds"] = time.monotonic() - started
    return reply


def _in_process(work):
    try:
        return work()
    except BaseException as error:  # noqa: BLE001
        return {"status": "failed", "error": describe(error)}


# --- warming and serving ---------------------------------------------------------------------


def load_cloudpickle():
    try:
        import cloudpickle
    except ImportError:
        fallback = os.environ.get("PREFECT_PITFALLS_CLOUDPICKLE")
        if not fallback:
            raise
        # Only cloudpickle may come from the server's environment: nothing else of it is visible.
        sys.path.append(fallback)
        try:
            import cloudpickle
        finally:
            sys.path.remove(fallback)
    return cloudpickle


def warm(cloudpickle):
    """Import prefect and pay its lazy imports once, so that each probe pays only the user's module."""
    try:
        import prefect
    except Exception:  # noqa: BLE001 - a probe without prefect still reports import errors
        return None
    version = getattr(prefect, "__version__", "?")
    try:
        if version.startswith("1."):
            flow = prefect.Flow("prefect-pitfalls-warm-up")
            round_trip(cloudpickle, flow)
            round_trip(cloudpickle, prefect.task(lambda: 1))
        else:
            # Flows with parameters load pydantic's v1 layer lazily: pay for it here, once.
            round_trip(cloudpickle, prefect.task(lambda x: x))
            round_trip(cloudpickle, prefect.flow(lambda x: x))
            round_trip(cloudpickle, prefect.flow(lambda: None))
    except Exception:  # noqa: BLE001 - warming is an optimisation only
        pass
    return version


def reply_writer(fd):
    stream = os.fdopen(fd, "w", buffering=1, encoding="utf-8")

    def write(message):
        stream.write(json.dumps(message) + "\n")
        stream.flush()

    return write


def main(argv):
    mode, reply_fd = argv[1], int(argv[2])
    write = reply_writer(reply_fd)
    # This process's own stdout belongs to nobody: keep stray prints out of every channel.
    sys.stdout = sys.stderr
    cloudpickle = load_cloudpickle()
    prefect_version = warm(cloudpickle)
    forking = mode == "--serve" and hasattr(os, "fork")
    write({"event": "ready", "prefect": prefect_version, "cloudpickle": cloudpickle.__version__,
           "python": sys.version.split()[0], "executable": sys.executable, "forking": forking})
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        reply = probe(request, cloudpickle, forking)
        reply["id"] = request.get("id")
        write(reply)
        if not forking:
            break  # the module stays imported here: the next probe needs a fresh process


if __name__ == "__main__":
    main(sys.argv)

"""Run in a project's interpreter (`python -I _environment_probe.py`): print what its environment provides.

Standard library only and Python 3.7 syntax, since it runs in whatever interpreter
the project uses; it imports no project code and no installed package (except
`packaging`, when there, to evaluate requirement markers). Prints one JSON object:

- packages_distributions: import name → distributions, like
  `importlib.metadata.packages_distributions()`, plus dotted keys below top-level
  names that several distributions share (`google.cloud.storage`);
- installed: canonical names of every installed distribution;
- prefect_version: the installed Prefect's version, or null;
- prefect_closure: canonical names Prefect requires, directly or indirectly,
  without Prefect's own extras, markers evaluated for this interpreter.
"""

import json
import re
import sys

try:
    from importlib import metadata
except ImportError:  # Python 3.7
    try:
        import importlib_metadata as metadata
    except ImportError:
        metadata = None

MODULE_SUFFIXES = (".py", ".pyc", ".so", ".pyd")
NAMESPACE_DEPTH = 4
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_distributions(path=None):
    """Installed distributions by canonical name; the first on the path wins, as for imports."""
    found = {}
    discovered = metadata.distributions() if path is None else metadata.distributions(path=path)
    for dist in discovered:
        name = dist.metadata["Name"]
        if name and canonical(name) not in found:
            found[canonical(name)] = dist
    return found


def module_parts(file):
    """`google/cloud/storage/__init__.py` → ['google', 'cloud', 'storage']; None for data files."""
    parts = list(file.parts)
    if not parts or not parts[-1].endswith(MODULE_SUFFIXES) or parts[0] in ("..", "__pycache__"):
        return None
    last = parts.pop()
    if last.split(".")[0] != "__init__":
        parts.append(last.split(".")[0])
    if not parts or not all(part.isidentifier() for part in parts):
        return None
    return parts


def top_level_names(dist):
    declared = (dist.read_text("top_level.txt") or "").split()
    if declared:
        return declared
    names = set()
    for file in dist.files or ():
        parts = module_parts(file)
        if parts:
            names.add(parts[0])
    return sorted(names)


def packages_distributions(dists):
    mapping = {}
    for dist in dists.values():
        for name in top_level_names(dist):
            mapping.setdefault(name, [])
            if dist.metadata["Name"] not in mapping[name]:
                mapping[name].append(dist.metadata["Name"])
    mapping.update(namespace_keys(dists, mapping))
    return mapping


def namespace_keys(dists, mapping):
    """Dotted keys below names several distributions provide, down to where one remains."""
    shared = set(name for name, providers in mapping.items() if len(providers) > 1)
    prefixes = {}
    for dist in dists.values():
        for file in dist.files or ():
            parts = module_parts(file)
            if not parts or parts[0] not in shared:
                continue
            for depth in range(2, min(len(parts), NAMESPACE_DEPTH) + 1):
                providers = prefixes.setdefault(".".join(parts[:depth]), [])
                if dist.metadata["Name"] not in providers:
                    providers.append(dist.metadata["Name"])
    found = {}
    for key in sorted(prefixes, key=lambda key: key.count(".")):
        parent = key.rsplit(".", 1)[0]
        if len(found.get(parent) or mapping.get(parent) or ()) > 1:
            found[key] = prefixes[key]
    return found


def marker_evaluator():
    for module_name in ("packaging.markers", "pip._vendor.packaging.markers"):
        try:
            module = __import__(module_name, fromlist=["Marker"])
        except Exception:
            continue
        return lambda marker, extra: evaluate_with(module, marker, extra)
    return evaluate_roughly


def evaluate_with(module, marker, extra):
    try:
        return module.Marker(marker).evaluate({"extra": extra})
    except Exception:
        return evaluate_roughly(marker, extra)


def evaluate_roughly(marker, extra):
    """Without `packaging`: a requirement counts unless an extra we did not ask for gates it."""
    if "extra" not in marker:
        return True
    return bool(extra) and ('"' + extra + '"' in marker or "'" + extra + "'" in marker)


def parse_requirement(text):
    requirement, _, marker = text.partition(";")
    match = _REQUIREMENT.match(requirement)
    if not match:
        return None
    extras = tuple(canonical(e.strip()) for e in (match.group(2) or "").split(",") if e.strip())
    return canonical(match.group(1)), extras, marker.strip()


def closure(dists, root, evaluate):
    """Canonical names of ``root`` and everything it requires, following requested extras."""
    required, seen = set(), set()
    pending = [(canonical(root), ())]
    while pending:
        name, extras = pending.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        required.add(name)
        dist = dists.get(name)
        for text in (dist.requires or ()) if dist is not None else ():
            parsed = parse_requirement(text)
            if parsed is None:
                continue
            requirement, requested, marker = parsed
            if marker and not any(evaluate(marker, extra) for extra in ("",) + extras):
                continue
            pending.append((requirement, requested))
    return sorted(required)


def describe(path=None):
    if metadata is None:
        return {"error": "importlib.metadata is not available in Python " + sys.version.split()[0]}
    dists = installed_distributions(path)
    prefect = dists.get("prefect")
    return {
        "packages_distributions": packages_distributions(dists),
        "installed": sorted(dists),
        "prefect_version": prefect.version if prefect is not None else None,
        "prefect_closure": closure(dists, "prefect", marker_evaluator()) if prefect is not None else [],
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(describe()) + "\n")

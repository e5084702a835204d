"""Words of the shell commands that install Python packages, shared by the readers of
`prefect.yaml` `run_shell_script` steps and of Dockerfile `RUN` lines."""

from __future__ import annotations

import re

SHELL_OPERATORS = {"&&", "||", ";", "|", "&", "(", ")", ";;", "|&"}
PIP_PROGRAM = re.compile(r"^pip(?:\d+(?:\.\d+)?)?$")
PYTHON_PROGRAM = re.compile(r"^python(?:\d+(?:\.\d+)?)?$")
PIP_VALUE_OPTIONS = {
    "--abi", "-b", "--build-constraint", "-C", "-c", "--cache-dir", "--cert", "--client-cert",
    "--config-file", "--config-settings", "--constraint", "--default-index", "--exclude-newer",
    "--exists-action", "--extra", "--extra-index-url", "-f", "--find-links", "--global-option",
    "--group", "-i", "--implementation", "--index", "--index-strategy", "--index-url",
    "--keyring-provider", "--link-mode", "--log", "--no-binary", "--no-build-isolation-package",
    "--only-binary", "--override", "-P", "-p", "--platform", "--prefix", "--prerelease",
    "--progress-bar", "--proxy", "--python", "--python-platform", "--python-version",
    "--refresh-package", "--reinstall-package", "--report", "--resolution", "--retries", "--root",
    "--root-user-action", "--src", "-t", "--target", "--timeout", "--torch-backend",
    "--trusted-host", "--upgrade-package", "--upgrade-strategy",
}
"""Options of `pip install` and `uv pip install` that take a value (`-c FILE`), so that the value is
not read as a requirement."""

"""`check --format sarif` and `--format github`, run through the real CLI entry point."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from cache_dir import CACHE
from prefect_pitfalls import __version__
from prefect_pitfalls.findings import Applicability, Edit, Finding, Fix, Related, Severity, Span
from prefect_pitfalls.report.github import render_github
from prefect_pitfalls.report.sarif import render_sarif
from prefect_pitfalls.rules import RULES
from test_cli import STATEFUL, write

# A file whose findings sit after a character outside the Basic Multilingual Plane: one code
# point, two UTF-16 code units, four UTF-8 bytes, so each wrong column unit gives another number.
MUTABLE = textwrap.dedent(
    """\
    from prefect import task


    @task
    def tally(label="😀", seen=[]):
        seen.append(label)
        return seen
    """
)
STATEFUL_FILE = "my flows/stateful.py"
MUTABLE_FILE = "my flows/défaut.py"


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    """A project with a PP102 (unsafe fix) and a PP103 (safe fix); the working directory."""
    root = tmp_path / "project"
    write(root, STATEFUL_FILE, STATEFUL)
    write(root, MUTABLE_FILE, MUTABLE)
    monkeypatch.chdir(root)
    return root


def sarif(check, *args: str) -> dict:
    status, out, err = check(*args, "--format", "sarif")
    assert status == 1, err
    assert out.endswith("}\n")
    return json.loads(out)


def artifact_path(location: dict, run: dict) -> Path:
    """The local file an artifactLocation points at, resolved as a SARIF consumer does."""
    uri = location["uri"]
    if "uriBaseId" in location:
        uri = urllib.parse.urljoin(run["originalUriBaseIds"][location["uriBaseId"]]["uri"], uri)
    parsed = urllib.parse.urlsplit(uri)
    assert parsed.scheme == "file", uri
    return Path(urllib.request.url2pathname(parsed.path))


# --- SARIF content ----------------------------------------------------------------------------


def test_sarif_describes_the_tool_and_every_rule(project: Path, check) -> None:
    log = sarif(check)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "prefect-pitfalls"
    assert driver["version"] == driver["semanticVersion"] == __version__
    assert driver["informationUri"] == "https://github.com/prefect-pitfalls/prefect-pitfalls"
    assert [rule["id"] for rule in driver["rules"]] == [rule.code for rule in RULES]
    levels = {"error": "error", "warning": "warning", "information": "note", "hint": "note"}
    for descriptor, rule in zip(driver["rules"], RULES):
        assert descriptor["name"] == "".join(part.capitalize() for part in rule.name.split("-"))
        assert descriptor["shortDescription"]["text"] == rule.summary
        full = descriptor["fullDescription"]["text"]
        assert full.startswith(rule.summary) and "##" not in full
        assert descriptor["help"] == {"text": rule.doc, "markdown": rule.doc}
        assert descriptor["helpUri"] == f"https://prefect-pitfalls.github.io/prefect-pitfalls/rules/{rule.code}"  # a page of docs/rules/
        assert descriptor["defaultConfiguration"]["level"] == levels[rule.severity.value]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": project.as_uri() + "/"}}


def test_sarif_results_equal_the_json_findings(project: Path, check) -> None:
    _, findings = check.json()
    run = sarif(check)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [f["code"] for f in findings] == ["PP103", "PP102"]  # sorted by path: "défaut" < "stateful"
    assert len(results) == len(findings)
    for finding, result in zip(findings, results):
        assert result["ruleId"] == finding["code"] == rules[result["ruleIndex"]]["id"]
        assert result["level"] == finding["severity"]
        assert result["message"] == {"text": finding["message"]}
        [location] = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert artifact_path(physical["artifactLocation"], run) == project / finding["path"]
        # The JSON format's columns are already 1-based code points, as SARIF's are here.
        assert physical["region"] == {
            "startLine": finding["line"],
            "startColumn": finding["column"],
            "endLine": finding["end_line"],
            "endColumn": finding["end_column"],
        }
        [fix] = result["fixes"]
        assert fix["description"] == {"text": finding["fix"]["title"]}
        assert fix["properties"] == {"applicability": finding["fix"]["applicability"]}
        [change] = fix["artifactChanges"]
        assert change["artifactLocation"] == physical["artifactLocation"]
        assert [
            (
                r["deletedRegion"]["startLine"], r["deletedRegion"]["startColumn"],
                r["deletedRegion"]["endLine"], r["deletedRegion"]["endColumn"],
                r.get("insertedContent", {"text": ""})["text"],
            )
            for r in change["replacements"]
        ] == [(e["line"], e["column"], e["end_line"], e["end_column"], e["new_text"]) for e in finding["fix"]["edits"]]


def test_sarif_positions_and_uris(project: Path, check) -> None:
    mutable, stateful = sarif(check)["runs"][0]["results"]
    # `[]` follows the emoji: 0-based code point 26 (UTF-16 would say 27, UTF-8 bytes 29).
    assert mutable["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "my%20flows/d%C3%A9faut.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 5, "startColumn": 27, "endLine": 5, "endColumn": 29},
    }
    assert mutable["fixes"][0]["artifactChanges"][0]["replacements"][0] == {
        "deletedRegion": {"startLine": 5, "startColumn": 27, "endLine": 5, "endColumn": 29},
        "insertedContent": {"text": "None"},
    }
    assert stateful["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "my%20flows/stateful.py"
    assert stateful["fixes"][0]["properties"] == {"applicability": "unsafe"}
    # Paths given absolute on the command line become file:// URIs with no base.
    run = sarif(check, str(project))["runs"][0]
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert [location["uri"] for location in locations] == [
        (project / MUTABLE_FILE).as_uri(), (project / STATEFUL_FILE).as_uri()
    ]
    assert all("uriBaseId" not in location for location in locations)
    assert [artifact_path(location, run) for location in locations] == [project / MUTABLE_FILE, project / STATEFUL_FILE]


def test_sarif_without_findings_still_lists_the_rules(project: Path, check) -> None:
    write(project, "clean.py", "x = 1\n")
    status, out, _ = check("clean.py", "--format", "sarif")
    run = json.loads(out)["runs"][0]
    assert status == 0 and run["results"] == [] and len(run["tool"]["driver"]["rules"]) == len(RULES)


def test_sarif_is_deterministic(project: Path, check) -> None:
    first = check("--format", "sarif")[1]
    assert check("--format", "sarif", "--jobs", "1")[1] == first
    assert first.startswith('{\n  "$schema": ') and first.endswith("\n}\n")


def hand_built_findings() -> list[Finding]:
    """What the sample project does not produce: a related location, a pure deletion, a note."""
    return [
        Finding(
            "PP302", "task-not-serializable", "Task `load` cannot be serialized: global 'engine': Engine",
            Span(9, 4, 9, 8), Severity.ERROR, path="flows/load.py",
            related=(Related("`engine` is created here", Span(3, 0, 3, 6)),),
        ),
        Finding(
            "PP303", "import-time-flow-run", "Flow `etl` runs when the module is imported", Span(12, 0, 12, 5),
            Severity.WARNING, path="flows/load.py",
            fix=Fix("Delete the call", Applicability.UNSAFE, (Edit(Span(12, 0, 13, 0), ""),)),
        ),
        Finding(
            "PP305", "probe-did-not-finish", "The probe timed out", Span(1, 0, 1, 0), Severity.INFORMATION, path="x.py"
        ),
    ]


def test_sarif_of_hand_built_findings() -> None:
    log = json.loads(render_sarif(hand_built_findings(), fixed=0, unsafe_hidden=0))
    related, deletion, note = log["runs"][0]["results"]
    assert related["level"] == "error" and deletion["level"] == "warning" and note["level"] == "note"
    assert related["relatedLocations"] == [
        {
            "id": 1,
            "physicalLocation": {
                "artifactLocation": {"uri": "flows/load.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 7},
            },
            "message": {"text": "`engine` is created here"},
        }
    ]
    assert "fixes" not in related
    assert deletion["fixes"][0]["artifactChanges"][0]["replacements"] == [
        {"deletedRegion": {"startLine": 12, "startColumn": 1, "endLine": 13, "endColumn": 1}}
    ]


def test_sarif_output_file(project: Path, tmp_path: Path, check) -> None:
    report = tmp_path / "results.sarif"
    status, out, err = check("--format", "sarif", "--output-file", str(report))
    assert status == 1 and out == "", err
    log = json.loads(report.read_text(encoding="utf-8"))
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["PP103", "PP102"]
    assert report.read_text(encoding="utf-8") == check("--format", "sarif")[1]


# --- SARIF validated by Microsoft's SARIF Multitool ----------------------------------------------

MULTITOOL_VERSION = "5.7.0"

# GitHub code scanning is the main consumer. Its checks are the validator's rule kind "Ghas"
# (GH1011-GH1018, GH2012: on by default) and GH1001-GH1007, which only a policy turns on: the
# SARIF SDK's policies/github.config.xml, copied here. That policy also disables SARIF2016
# ("prefer relative file URIs"; paths given absolute deliberately become file:// URIs, which
# GitHub accepts under the run's workingDirectory, GH1006). We add SARIF2006 (every URI must
# answer an HTTP GET) to the disabled rules, so the test makes no network requests. Rule kind
# "AI" is not run: its rules are for AI-generated security findings (CWE rule ids, AI origin).
GITHUB_POLICY = """\
<?xml version="1.0" encoding="utf-8"?>
<Properties>
  <Properties Key='SARIF2007.ExpressPathsRelativeToRepoRoot.Options'><Property Key='RuleEnabled' Value='Error' /></Properties>
  <Properties Key='SARIF2016.FileUrisShouldBeRelative.Options'><Property Key='RuleEnabled' Value='Disabled' /></Properties>
  <Properties Key='GH1001.ProvideRequiredLocationProperties.Options'><Property Key='RuleEnabled' Value='Error' /></Properties>
  <Properties Key='GH1002.InlineThreadFlowLocations.Options'><Property Key='RuleEnabled' Value='Error' /></Properties>
  <Properties Key='GH1003.ProvideRequiredRegionProperties.Options'><Property Key='RuleEnabled' Value='Error' /></Properties>
  <Properties Key='GH1004.ReviewArraysThatExceedConfigurableDefaults.Options'><Property Key='RuleEnabled' Value='Error' /></Properties>
  <Properties Key='GH1005.LocationsMustBeRelativeUrisOrFilePaths.Options'><Property Key='RuleEnabled' Value='Error' /></Properties>
  <Properties Key='GH1006.ProvideCheckoutPath.Options'><Property Key='RuleEnabled' Value='Error' /></Properties>
  <Properties Key='GH1007.ProvideFullyFormattedMessageStrings.Options'><Property Key='RuleEnabled' Value='Error' /></Properties>
  <Properties Key='SARIF2006.UrisShouldBeReachable.Options'><Property Key='RuleEnabled' Value='Disabled' /></Properties>
</Properties>
"""
# Notes (the validator's lowest level: suggestions, not defects) we accept. Any error, any
# warning and any other note fails the test.
ACCEPTED_NOTES = {
    # "Replace message.text with a message id and arguments": our messages are composed per
    # finding; plain text is valid SARIF and what GitHub displays.
    "SARIF2002",
    # "Provide versionControlProvenance": the linter does not know the repository or commit;
    # GitHub's upload action records them itself.
    "SARIF2003",
    # "Provide region.snippet" / "Provide a contextRegion": reporters get findings, not sources;
    # code scanning shows the code from the repository at the analysed commit.
    "SARIF2010",
    "SARIF2011",
}
# Disabling SARIF2006 and SARIF2016 above is reported as configuration warnings; those are expected.
ACCEPTED_NOTIFICATIONS = {("WRN999.RuleExplicitlyDisabled", "SARIF2006"), ("WRN999.RuleExplicitlyDisabled", "SARIF2016")}


@pytest.fixture(scope="session")
def multitool() -> str:
    """The SARIF Multitool's executable, installed with npm into the test cache once."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: the SARIF Multitool (an npm package) cannot be installed")
    folder = CACHE / "sarif-multitool"
    marker = folder / f".installed-{MULTITOOL_VERSION}"
    if not marker.exists():
        folder.mkdir(parents=True, exist_ok=True)
        # The platform package is named too, at the same exact version: the main package only
        # asks for it with a caret range.
        packages = [f"@microsoft/sarif-multitool{suffix}@{MULTITOOL_VERSION}" for suffix in ("", f"-{sys.platform}")]
        done = subprocess.run(
            [npm, "install", "--prefix", str(folder), "--save-exact", "--no-audit", "--no-fund", *packages],
            capture_output=True, text=True, timeout=900,
        )
        assert done.returncode == 0, f"npm install of the SARIF Multitool failed:\n{done.stderr[-2000:]}"
        marker.write_text(MULTITOOL_VERSION)
    # node_modules/.bin/sarif-multitool is a Node wrapper that runs the .NET executable through a
    # shell, which splits "Sarif;Ghas" and paths with spaces; run the executable itself.
    node = shutil.which("node")
    assert node, "npm is installed but node is not"
    executable = subprocess.run(
        [node, "-p", "require('@microsoft/sarif-multitool')"], cwd=folder, capture_output=True, text=True, check=True
    ).stdout.strip()
    path = Path(executable)
    if not os.access(path, os.X_OK):  # the platform package's postinstall, which npm may not have run
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return executable


def validation_problems(multitool: str, log_file: Path, work: Path) -> list[str]:
    """Every error, warning and unaccepted note the Multitool reports about ``log_file``."""
    policy = work / "github-policy.xml"
    policy.write_text(GITHUB_POLICY, encoding="utf-8")
    output = work / f"{log_file.stem}.validation.sarif"
    done = subprocess.run(
        [
            multitool, "validate", str(log_file), "--output", str(output), "--log", "ForceOverwrite",
            "--config", str(policy), "--rule-kind", "Sarif;Ghas", "--level", "Error;Warning;Note",
        ],
        capture_output=True, text=True, timeout=300,
    )
    # The Multitool exits 0 whatever it finds: its verdict is in the log it writes.
    assert done.returncode == 0 and output.exists(), f"the Multitool did not run:\n{done.stdout}\n{done.stderr}"
    validation = json.loads(output.read_text(encoding="utf-8-sig"))
    problems = []
    for run in validation["runs"]:
        for invocation in run.get("invocations", []):
            assert invocation.get("executionSuccessful") is True, done.stdout
            for notification in invocation.get("toolConfigurationNotifications", []) + invocation.get(
                "toolExecutionNotifications", []
            ):
                id, text = notification.get("descriptor", {}).get("id"), notification["message"].get("text", "")
                if not any(id == accepted and f"'{rule}'" in text for accepted, rule in ACCEPTED_NOTIFICATIONS):
                    problems.append(f"notification {id}: {text}")
        for result in run.get("results", []):
            level = result.get("level", "warning")  # SARIF's default level
            if result.get("kind", "fail") != "fail" or (level == "note" and result["ruleId"] in ACCEPTED_NOTES):
                continue
            problems.append(f"{level} {result['ruleId']} {result['message'].get('arguments')}")
    if problems:
        problems.append("Multitool output:\n" + done.stdout)
    return problems


def test_sarif_passes_the_multitool_with_github_rules(project: Path, tmp_path: Path, check, multitool: str) -> None:
    work = tmp_path / "validation"
    work.mkdir()
    relative = work / "relative.sarif"
    relative.write_text(check("--format", "sarif")[1], encoding="utf-8")
    absolute = work / "absolute.sarif"
    absolute.write_text(check(str(project), "--format", "sarif")[1], encoding="utf-8")
    hand_built = work / "hand-built.sarif"
    hand_built.write_text(render_sarif(hand_built_findings()), encoding="utf-8")
    for log_file in (relative, absolute, hand_built):
        assert validation_problems(multitool, log_file, work) == []

    # The check can fail: a broken log is reported, by the schema (which, failing, stops the
    # validation) and by GitHub's rules.
    unversioned = json.loads(relative.read_text(encoding="utf-8"))
    del unversioned["version"]
    misplaced = json.loads(relative.read_text(encoding="utf-8"))
    run = misplaced["runs"][0]
    del run["invocations"]  # so an absolute file:// URI has no checkout path (GH1006)
    run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"] = {"uri": "file:///elsewhere/a.py"}
    del run["results"][1]["locations"][0]["physicalLocation"]["region"]  # GH1003
    expected = {"unversioned": (unversioned, ["JSON1002"]), "misplaced": (misplaced, ["GH1003", "GH1006"])}
    for name, (log, rules) in expected.items():
        broken = work / f"{name}.sarif"
        broken.write_text(json.dumps(log), encoding="utf-8")
        reported = "\n".join(validation_problems(multitool, broken, work))
        for rule in rules:
            assert f"error {rule}" in reported, reported


# --- GitHub workflow commands --------------------------------------------------------------------


def test_github_format_lines(project: Path, check) -> None:
    _, findings = check.json()
    messages = {f["code"]: f["message"] for f in findings}
    status, out, _ = check("--format", "github")
    assert status == 1
    assert out.splitlines() == [
        (
            "::warning file=my flows/défaut.py,line=5,col=27,endLine=5,endColumn=29,"
            f"title=PP103 (task-mutable-default)::{messages['PP103']}"
        ),
        (
            "::warning file=my flows/stateful.py,line=8,col=5,endLine=8,endColumn=9,"
            f"title=PP102 (task-global-state)::{messages['PP102']}"
        ),
    ]
    assert out.endswith("\n") and not any(c in "".join(messages.values()) for c in "%\r\n")
    write(project, "clean.py", "x = 1\n")
    assert check("clean.py", "--format", "github") == (0, "", "")


def test_github_format_escapes_data_and_properties() -> None:
    finding = Finding(
        code="PP102",
        name="task-global-state",
        message="100% wrong: first line,\r\nsecond line",
        span=Span(3, 0, 4, 7),
        severity=Severity.WARNING,
        path="odd, name/a:b%.py",
    )
    assert render_github([finding]) == (
        "::warning file=odd%2C name/a%3Ab%25.py,line=3,col=1,endLine=4,endColumn=8,"
        "title=PP102 (task-global-state)::100%25 wrong: first line,%0D%0Asecond line\n"
    )


@pytest.mark.parametrize(
    ("severity", "command"),
    [
        (Severity.ERROR, "error"),
        (Severity.WARNING, "warning"),
        (Severity.INFORMATION, "notice"),
        (Severity.HINT, "notice"),
    ],
)
def test_github_format_severities(severity: Severity, command: str) -> None:
    finding = Finding("PP305", "probe-did-not-finish", "m", Span(1, 0, 1, 1), severity, path="a.py")
    assert render_github([finding], fixed=0, unsafe_hidden=0).startswith(f"::{command} file=a.py,")


def test_sarif_fix_of_another_file_is_its_own_artifact_change(
    tmp_path: Path, check, multitool: str, monkeypatch
) -> None:
    """PP306's fix edits pyproject.toml, not the module: SARIF says so, and stays valid."""
    import shutil

    root = tmp_path / "orders"
    shutil.copytree(Path(__file__).parent / "projects" / "pyproject_flows", root)
    (root / ".git").mkdir()
    monkeypatch.chdir(root)
    log = sarif(check, "--select", "PP306")
    (run,) = log["runs"]
    assert {r["ruleId"] for r in run["results"]} == {"PP306"}
    for result in run["results"]:
        (fix,) = result["fixes"]
        (change,) = fix["artifactChanges"]
        assert change["artifactLocation"] == {"uri": "pyproject.toml", "uriBaseId": "%SRCROOT%"}
        assert artifact_path(change["artifactLocation"], run) == root / "pyproject.toml"
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "flows/etl.py"
    work = tmp_path / "validation"
    work.mkdir()
    (work / "pp306.sarif").write_text(json.dumps(log), encoding="utf-8")
    assert validation_problems(multitool, work / "pp306.sarif", work) == []

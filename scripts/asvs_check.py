"""Check the ASVS checklist (docs/security.md) against itself and against the tests.

    python scripts/asvs_check.py          # make asvs: counts, gaps and cited tests
    python scripts/asvs_check.py --run    # make asvs ASVS_ARGS=--run: and run them

It reads every requirement row (``| 2.1.1 | … | met | … |``) of chapters V1 to V14 and
fails when:

- a row's status is not ``met``, ``n/a`` or ``not met`` (a note in brackets may follow);
- the counts of met, n/a and not met per chapter and overall differ from the summary
  table at the top of the page;
- the "Gaps" section does not list exactly the rows marked not met;
- a row marked met outside V1 cites no test and is not one of the rows the page says are
  shown by a document (the list in its introduction);
- a cited test (``tests/….py::test_name``, ``::test_name`` after it, a bare
  ``test_name`` after a file, or a whole ``tests/….py``) is not collected by
  ``pytest --collect-only``.

With ``--run`` it then runs exactly the cited tests (on SQLite and PostgreSQL, as the
suite does, unless CYBERHUB_TEST_ENGINES narrows it) and prints, per chapter, how many
rows are met and how many of their tests passed; it fails if one did not.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "security.md"
STATUSES = ("met", "n/a", "not met")

_ROW = re.compile(r"^\| (\d+\.\d+\.\d+) \| (.*?) \| (.*?) \| (.*) \|\s*$")
_CHAPTER = re.compile(r"^## (V\d+) ")
_SUMMARY = re.compile(r"^\| (V\d+) [^|]* \| (\d+) \| (\d+) \| (\d+) \|\s*$")
_TOTAL = re.compile(r"^\| \*\*total \((\d+)\)\*\* \| \*\*(\d+)\*\* \| \*\*(\d+)\*\* \| "
                    r"\*\*(\d+)\*\* \|\s*$")
_DOCUMENT_ROWS = re.compile(r"no unit test can show \(([^)]*)\)")
_GAP = re.compile(r"^\d+\. \*\*(\d+\.\d+\.\d+)\b")
_NODE = re.compile(r"tests/[\w/]+\.py::test_\w+")
_FILE = re.compile(r"tests/[\w/]+\.py")
_SHORT = re.compile(r"::(test_\w+)")
_BARE = re.compile(r"test_\w+")


@dataclass
class Row:
    id: str
    chapter: str
    status: str | None
    raw_status: str
    line: int
    tests: list[str] = field(default_factory=list)


@dataclass
class Checklist:
    rows: list[Row]
    summary: dict[str, tuple[int, int, int]]
    total: tuple[int, int, int, int] | None
    document_rows: list[str]
    gaps: list[str]


def status_of(text: str) -> str | None:
    """``met``, ``n/a`` or ``not met``, from a cell such as ``met (fixed)``."""
    word = re.sub(r"\s*\(.*\)$", "", text.strip())
    return word if word in STATUSES else None


def citations(evidence: str) -> list[str]:
    """The test node ids and test files an evidence cell names, in order."""
    found: list[str] = []
    last_file: str | None = None
    for span in re.findall(r"`([^`]+)`", evidence):
        if _NODE.fullmatch(span):
            last_file = span.split("::")[0]
            found.append(span)
        elif _FILE.fullmatch(span):
            last_file = span
            found.append(span)
        elif last_file and (short := _SHORT.fullmatch(span)):
            found.append(f"{last_file}::{short.group(1)}")
        elif last_file and _BARE.fullmatch(span):
            found.append(f"{last_file}::{span}")
    return list(dict.fromkeys(found))


def parse(text: str) -> Checklist:
    rows: list[Row] = []
    summary: dict[str, tuple[int, int, int]] = {}
    total = None
    chapter = None
    section = ""
    gaps: list[str] = []
    document = _DOCUMENT_ROWS.search(text.replace("\n", " "))
    document_rows = [r.strip() for r in document.group(1).split(",")] if document else []
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("## "):
            section = line[3:].strip()
            match = _CHAPTER.match(line)
            chapter = match.group(1) if match else None
            continue
        if section == "Summary":
            if match := _SUMMARY.match(line):
                summary[match.group(1)] = (int(match.group(2)), int(match.group(3)),
                                           int(match.group(4)))
            elif match := _TOTAL.match(line):
                total = (int(match.group(1)), int(match.group(2)), int(match.group(3)),
                         int(match.group(4)))
        elif section == "Gaps" and (match := _GAP.match(line)):
            gaps.append(match.group(1))
        elif chapter and (match := _ROW.match(line)):
            rows.append(Row(match.group(1), chapter, status_of(match.group(3)),
                            match.group(3).strip(), number, citations(match.group(4))))
    return Checklist(rows, summary, total, document_rows, gaps)


def counts(rows: list[Row]) -> dict[str, Counter[str]]:
    by_chapter: dict[str, Counter[str]] = {}
    for row in rows:
        by_chapter.setdefault(row.chapter, Counter())[row.status or "?"] += 1
    return by_chapter


def _shown_by_a_document(row_id: str, document_rows: list[str]) -> bool:
    return any(row_id == d or (d.endswith(".x") and row_id.startswith(d[:-1]))
               for d in document_rows)


def problems(checklist: Checklist) -> list[str]:
    """What is inconsistent within the page itself."""
    found: list[str] = []
    rows = checklist.rows
    for row in rows:
        if row.status is None:
            found.append(f"{row.id} (line {row.line}): status {row.raw_status!r} is none of "
                         f"{', '.join(STATUSES)}")
    seen = Counter(row.id for row in rows)
    found += [f"{row_id} is listed {n} times" for row_id, n in seen.items() if n > 1]
    by_chapter = counts(rows)
    for chapter in sorted(set(by_chapter) | set(checklist.summary), key=lambda c: int(c[1:])):
        have = by_chapter.get(chapter, Counter())
        actual = (have["met"], have["n/a"], have["not met"])
        said = checklist.summary.get(chapter)
        if said != actual:
            found.append(f"{chapter}: the rows count met/n/a/not met {actual}, the summary "
                         f"says {said}")
    every = Counter(row.status for row in rows)
    actual_total = (len(rows), every["met"], every["n/a"], every["not met"])
    if checklist.total != actual_total:
        found.append(f"total: the rows count (rows, met, n/a, not met) {actual_total}, the "
                     f"summary says {checklist.total}")
    not_met = [row.id for row in rows if row.status == "not met"]
    if sorted(checklist.gaps) != sorted(not_met):
        found.append(f"Gaps lists {sorted(checklist.gaps)}, the rows marked not met are "
                     f"{sorted(not_met)}")
    for row in rows:
        if (row.status == "met" and row.chapter != "V1" and not row.tests
                and not _shown_by_a_document(row.id, checklist.document_rows)):
            found.append(f"{row.id} (line {row.line}) is met but cites no test and is not "
                         "among the rows shown by a document")
    return found


def cited(rows: list[Row]) -> list[str]:
    return list(dict.fromkeys(t for row in rows for t in row.tests))


def _bare(node: str) -> str:
    return node.split("[", 1)[0]


def collect(files: list[str]) -> set[str]:
    """The node ids (parameters stripped) pytest collects from ``files``."""
    env = {**os.environ, "CYBERHUB_TEST_ENGINES": "sqlite"}  # names do not depend on it
    result = subprocess.run(  # noqa: S603 - our own interpreter and test files
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-p", "no:randomly", *files], cwd=ROOT, env=env, capture_output=True, text=True,
        check=False)
    nodes = {_bare(line.strip()) for line in result.stdout.splitlines() if "::" in line}
    if result.returncode not in (0, 5) and not nodes:
        raise SystemExit(f"pytest --collect-only failed:\n{result.stdout}\n{result.stderr}")
    return nodes


def missing(tests: list[str]) -> list[str]:
    """The cited tests or test files that do not exist or collect nothing."""
    files = sorted({t.split("::")[0] for t in tests})
    present = [f for f in files if (ROOT / f).is_file()]
    collected = collect(present) if present else set()

    def found(test: str) -> bool:
        if "::" in test:
            return test in collected
        return any(node.startswith(test + "::") for node in collected)

    return [t for t in tests if t.split("::")[0] not in present or not found(t)]


def undefined(tests: list[str]) -> list[str]:
    """The cited tests whose file does not define them (a quick check without pytest: the
    test functions of each file, read from its syntax tree)."""
    defined: dict[str, set[str]] = {}
    lost: list[str] = []
    for test in tests:
        path, _sep, name = test.partition("::")
        if path not in defined:
            file = ROOT / path
            defined[path] = set()
            if file.is_file():
                tree = ast.parse(file.read_text(encoding="utf-8"), path)
                defined[path] = {node.name for node in ast.walk(tree)
                                 if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                                 and node.name.startswith("test_")}
        if not defined[path] or (name and name not in defined[path]):
            lost.append(test)
    return lost


def run(tests: list[str], workers: str) -> dict[str, str]:
    """Run the cited tests; the outcome of each: passed, failed, skipped or not run."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   f"--junitxml={report}", *tests]
        if workers != "0":
            command[4:4] = ["-n", workers, "--dist", "loadgroup"]
        subprocess.run(command, cwd=ROOT, check=False)  # noqa: S603 - our own test run
        outcomes: dict[str, list[str]] = {}
        if report.exists():
            for case in ET.parse(report).iter("testcase"):  # noqa: S314 - pytest's own file
                module = case.get("classname", "").replace(".", "/")
                name = _bare(case.get("name", ""))
                if case.find("failure") is not None or case.find("error") is not None:
                    outcome = "failed"
                elif case.find("skipped") is not None:
                    outcome = "skipped"
                else:
                    outcome = "passed"
                outcomes.setdefault(f"{module}.py::{name}", []).append(outcome)
                outcomes.setdefault(f"{module}.py", []).append(outcome)
    result: dict[str, str] = {}
    for test in tests:
        got = outcomes.get(test, [])
        result[test] = ("not run" if not got else "failed" if "failed" in got
                        else "passed" if "passed" in got else "skipped")
    return result


def _table(checklist: Checklist, outcomes: dict[str, str] | None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="OWASP ASVS 4.0.3 level 2 (docs/security.md)")
    for column in ("chapter", "met", "n/a", "not met", "cited tests"):
        table.add_column(column, justify="left" if column == "chapter" else "right")
    if outcomes is not None:
        table.add_column("passed", justify="right")
        table.add_column("failed or not run", justify="right")
    by_chapter = counts(checklist.rows)
    for chapter, have in sorted(by_chapter.items(), key=lambda item: int(item[0][1:])):
        tests = cited([r for r in checklist.rows if r.chapter == chapter])
        cells = [chapter, str(have["met"]), str(have["n/a"]), str(have["not met"]),
                 str(len(tests))]
        if outcomes is not None:
            bad = sum(outcomes[t] in ("failed", "not run") for t in tests)
            cells += [str(sum(outcomes[t] == "passed" for t in tests)),
                      f"[red]{bad}[/]" if bad else "0"]
        table.add_row(*cells)
    every = Counter(row.status for row in checklist.rows)
    tests = cited(checklist.rows)
    cells = ["total", str(every["met"]), str(every["n/a"]), str(every["not met"]),
             str(len(tests))]
    if outcomes is not None:
        cells += [str(sum(outcomes[t] == "passed" for t in tests)),
                  str(sum(outcomes[t] in ("failed", "not run") for t in tests))]
    table.add_row(*cells, style="bold")
    Console().print(table)


def check(doc: Path = DOC, *, collect_tests: bool = True) -> list[str]:
    """Every problem of the checklist, cited tests included (empty: consistent). The
    cited tests are looked for by ``pytest --collect-only``, or with ``collect_tests``
    false in the test files' syntax trees (quicker, for the suite's own check)."""
    checklist = parse(doc.read_text(encoding="utf-8"))
    found = problems(checklist)
    tests = cited(checklist.rows)
    lost = missing(tests) if collect_tests else undefined(tests)
    return found + [f"cited test not found: {t}" for t in lost]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", action="store_true", help="also run every cited test")
    parser.add_argument("--workers", default="2",
                        help="pytest-xdist processes for --run (0: none; default 2)")
    parser.add_argument("--doc", type=Path, default=DOC, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    checklist = parse(args.doc.read_text(encoding="utf-8"))
    found = check(args.doc)
    outcomes = None
    if args.run and not found:
        outcomes = run(cited(checklist.rows), args.workers)
        for row in checklist.rows:
            for test in row.tests:
                if outcomes[test] in ("failed", "not run"):
                    found.append(f"{row.id}: {test} {outcomes[test]}")
    _table(checklist, outcomes)
    for problem in found:
        print(f"asvs: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The seeded-bug corpus runner (called by ci/bugs.sh).

Every tests/bugs/NNN-name.patch is one realistic bug. For each, in one
scratch git worktree of HEAD outside the repository (reset and re-patched per
bug, with a shared cargo target directory so rebuilds are incremental), the
runner applies the patch, builds the release CLI, runs `cosim matrix` (default
scenarios and seeds) under a timeout and classifies the outcome:

  caught        exit 1 and the patch's `Expect:` text in the output
  caught-other  exit 1, but the expected text does not appear
  missed        exit 0: the run did not notice the bug
  hang          the matrix did not finish within the timeout (a miss)
  broken        the patch does not apply, does not build, or the run
                exits with anything but 0 or 1 (2: bad input, 101: panic)

It prints a summary table, optionally writes it into docs/VERIFICATION.md
between the marker comments, and exits 0 only when every bug is caught.
"""

import argparse
import hashlib
import html
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "bugs"
DOC = ROOT / "docs" / "VERIFICATION.md"
MARK_BEGIN = "<!-- bug-corpus-table:begin (written by ci/bugs.sh --write-docs) -->"
MARK_END = "<!-- bug-corpus-table:end -->"
# Colour escapes in a run's log (older runs wrote them into files).
ANSI = re.compile(r"\x1b\[[0-9;]*m")
HEADER_KEYS = ("Bug", "Layer", "Class", "Expect")
LAYERS = ("driver", "pool", "rtl")
NAME_RE = re.compile(r"^(\d{3})-([a-z0-9]+(?:-[a-z0-9]+)*)\.patch$")
CAUGHT = "caught"


@dataclass
class Bug:
    """One patch of the corpus and its header."""

    path: Path
    number: str
    name: str
    header: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.path.stem


@dataclass
class Outcome:
    """What one bug did to the run."""

    result: str
    exit_code: object
    expect_found: bool
    message: str
    build_secs: float
    run_secs: float


def read_header(path: Path) -> dict:
    """The `Key: value` lines before the first `diff --git`."""
    header = {}
    for line in path.read_text().splitlines():
        if line.startswith("diff --git "):
            break
        m = re.match(r"^([A-Za-z]+):\s*(.*)$", line)
        if m:
            header[m.group(1)] = m.group(2).strip()
    return header


def load_corpus() -> list:
    bugs = []
    for p in sorted(CORPUS.glob("*.patch")):
        m = NAME_RE.match(p.name)
        if not m:
            sys.exit(f"bugs: {p.name}: expected NNN-short-name.patch")
        bug = Bug(path=p, number=m.group(1), name=m.group(2), header=read_header(p))
        missing = [k for k in HEADER_KEYS if not bug.header.get(k)]
        if missing:
            sys.exit(f"bugs: {p.name}: header lacks {', '.join(missing)}")
        bugs.append(bug)
    return bugs


def git(*args, cwd=ROOT, check=True) -> str:
    r = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and r.returncode != 0:
        sys.exit(f"bugs: git {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout.strip()


def default_scratch() -> Path:
    tag = hashlib.sha1(str(ROOT).encode()).hexdigest()[:8]
    return Path(tempfile.gettempdir()) / f"cosim-bugs-{tag}"


def prepare_tree(scratch: Path, commit: str) -> Path:
    """The scratch worktree at `commit`, created on first use."""
    tree = scratch / "tree"
    if not (tree / ".git").exists():
        scratch.mkdir(parents=True, exist_ok=True)
        git("worktree", "prune")
        git("worktree", "add", "--detach", "-q", str(tree), commit)
    reset_tree(tree, commit)
    return tree


def reset_tree(tree: Path, commit: str) -> None:
    git("checkout", "-q", "--detach", "--force", commit, cwd=tree)
    git("reset", "-q", "--hard", commit, cwd=tree)
    git("clean", "-fdq", cwd=tree)


def run_logged(cmd, cwd, env, log: Path, timeout):
    """Runs `cmd`, output to `log`; returns (exit code or "timeout", seconds)."""
    t0 = time.monotonic()
    with open(log, "w") as out:
        try:
            p = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                               timeout=timeout)
            code = p.returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
    return code, time.monotonic() - t0


def first_lines(text: str, pattern: str, n: int) -> str:
    hits = [l.strip() for l in text.splitlines() if re.search(pattern, l)]
    return " / ".join(hits[:n])


def junit_failures(path: Path) -> str:
    """The failure messages of a `cosim matrix --junit` report, unescaped."""
    if not path.exists():
        return ""
    text = path.read_text(errors="replace")
    msgs = re.findall(r'<testcase classname="cosim\.([^"]*)"[^>]*>\s*<failure[^>]*message="([^"]*)"', text)
    return "\n".join(f"{html.unescape(s)}: {html.unescape(m)}" for s, m in msgs)


def try_bug(bug: Bug, tree: Path, env: dict, logs: Path, args) -> Outcome:
    log_apply = logs / f"{bug.key}.apply.log"
    code, _ = run_logged(["git", "apply", str(bug.path)], tree, env, log_apply, 60)
    if code != 0:
        msg = "patch does not apply: " + log_apply.read_text().strip().splitlines()[0]
        return Outcome("broken", None, False, msg, 0.0, 0.0)
    log_build = logs / f"{bug.key}.build.log"
    code, build_secs = run_logged(["cargo", "build", "--release", "-p", "cosim-cli"], tree, env,
                                  log_build, args.build_timeout)
    if code != 0:
        text = log_build.read_text(errors="replace")
        msg = "does not build: " + (first_lines(text, r"^(error|%Error)", 2) or f"exit {code}")
        return Outcome("broken", None, False, msg, build_secs, 0.0)
    junit = logs / f"{bug.key}.junit.xml"
    junit.unlink(missing_ok=True)
    log_run = logs / f"{bug.key}.run.log"
    cosim = Path(env["CARGO_TARGET_DIR"]) / "release" / "cosim"
    code, run_secs = run_logged([str(cosim), "matrix", "--junit", str(junit)], tree, env, log_run,
                                args.timeout)
    return score(bug, code, logs, build_secs, run_secs, args.timeout)


def score(bug: Bug, code, logs: Path, build_secs: float, run_secs: float, timeout) -> Outcome:
    """Sorts a finished matrix run of `bug` (its saved output and JUnit) by
    its exit code and whether the output names the `Expect:` text anywhere
    (the run's output, or any failure message or detail of the JUnit)."""
    out = (logs / f"{bug.key}.run.log").read_text(errors="replace")
    junit = logs / f"{bug.key}.junit.xml"
    junit_text = html.unescape(junit.read_text(errors="replace")) if junit.exists() else ""
    expect = bug.header["Expect"]
    found = expect in out or expect in junit_text
    failing = junit_failures(junit).splitlines()
    message = failing[0] if failing else first_lines(out, r"^FAIL|error", 2)
    if found:
        # The line that names the expected class, not only the first check.
        # A failure message of the JUnit before a log line of the run.
        lines = failing + [ANSI.sub("", l) for l in (out + "\n" + junit_text).splitlines()]
        named = [l.strip() for l in lines if expect in l]
        message = cell(named[0], 400) if named else message
    elif len(failing) > 1:
        message += f" (and {len(failing) - 1} more failing runs)"
    if code == "timeout":
        return Outcome("hang", code, found, f"no result after {timeout} s", build_secs, run_secs)
    if code == 0:
        return Outcome("missed", code, found, "", build_secs, run_secs)
    if code == 1:
        result = CAUGHT if found else "caught-other"
        return Outcome(result, code, found, message, build_secs, run_secs)
    tail = [l for l in out.strip().splitlines() if l.strip()][-1:] or [""]
    return Outcome("broken", code, found, f"exit {code}: {tail[0].strip()}", build_secs, run_secs)


def select(bugs, only):
    if not only:
        return bugs
    wanted = {w.strip().zfill(3) for w in only.split(",") if w.strip()}
    unknown = wanted - {b.number for b in bugs}
    if unknown:
        sys.exit(f"bugs: --only: no bug numbered {', '.join(sorted(unknown))}")
    return [b for b in bugs if b.number in wanted]


def cell(s: str, width: int = 160) -> str:
    s = s.replace("|", "\\|").replace("\n", " ")
    return s if len(s) <= width else s[: width - 3] + "..."


def table(bugs, results: dict) -> str:
    rows = ["| # | bug | layer | class | result | what fired (first failing check) |",
            "|---|---|---|---|---|---|"]
    for b in bugs:
        r = results.get(b.key)
        res, msg = (r["result"], r["message"]) if r else ("not run", "")
        rows.append(f"| {b.number} | `{b.name}` | {b.header['Layer']} | {cell(b.header['Class'], 80)} "
                    f"| {res} | {cell(msg)} |")
    return "\n".join(rows)


def summary(bugs, results: dict) -> str:
    counts = {}
    for b in bugs:
        r = results.get(b.key)
        res = r["result"] if r else "not run"
        counts[res] = counts.get(res, 0) + 1
    order = [CAUGHT, "caught-other", "missed", "hang", "broken", "not run"]
    return ", ".join(f"{counts[k]} {k}" for k in order if k in counts)


def write_docs(bugs, results: dict, meta: dict) -> None:
    text = DOC.read_text()
    if MARK_BEGIN not in text or MARK_END not in text:
        sys.exit(f"bugs: {DOC}: the marker comments are missing")
    body = (f"{MARK_BEGIN}\n\nRun of {meta['date']} on commit `{meta['commit']}`, "
            f"{meta['wall_min']:.0f} min: {summary(bugs, results)}.\n\n{table(bugs, results)}\n\n{MARK_END}")
    head, rest = text.split(MARK_BEGIN, 1)
    _, tail = rest.split(MARK_END, 1)
    DOC.write_text(head + body + tail)
    print(f"bugs: table written to {DOC.relative_to(ROOT)}")


def list_corpus(bugs) -> None:
    for b in bugs:
        h = b.header
        print(f"{b.number}  {h['Layer']:<6}  {b.name:<40}  {h['Class']}")
        print(f"     bug:    {h['Bug']}")
        print(f"     expect: {h['Expect']}")
    counts = {l: sum(1 for b in bugs if b.header["Layer"] == l) for l in LAYERS}
    print(f"{len(bugs)} bugs: " + ", ".join(f"{n} {l}" for l, n in counts.items()))


def main() -> int:
    ap = argparse.ArgumentParser(prog="ci/bugs.sh", description=__doc__.split("\n\n")[0])
    ap.add_argument("--list", action="store_true", help="list the corpus, build nothing")
    ap.add_argument("--only", metavar="NNN,...", help="run only these bugs")
    ap.add_argument("--write-docs", action="store_true",
                    help="write the table into docs/VERIFICATION.md between its markers")
    ap.add_argument("--rescore", action="store_true",
                    help="build and run nothing: sort the saved runs again with the current "
                         "Expect lines (after editing one)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds for one matrix run (600)")
    ap.add_argument("--build-timeout", type=int, default=3600, help="seconds for one build (3600)")
    ap.add_argument("--scratch", type=Path, default=Path(os.environ.get("COSIM_BUGS_SCRATCH", "")
                                                          or default_scratch()),
                    help="scratch directory (worktree, target, logs); $COSIM_BUGS_SCRATCH")
    args = ap.parse_args()
    bugs = select(load_corpus(), args.only)
    if args.list:
        list_corpus(bugs)
        return 0
    commit = git("rev-parse", "HEAD")
    scratch = args.scratch.resolve()
    if scratch == ROOT or ROOT in scratch.parents:
        sys.exit("bugs: the scratch directory must be outside the repository")
    tree = scratch / "tree" if args.rescore else prepare_tree(scratch, commit)
    logs = scratch / "logs"
    logs.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.setdefault("CARGO_TARGET_DIR", str(scratch / "target"))
    results_file = scratch / "results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    t_start = time.monotonic()
    print(f"bugs: {len(bugs)} bugs on {commit[:12]} in {tree} (logs in {logs})", flush=True)
    for b in bugs:
        if args.rescore:
            r = results.get(b.key)
            if not r or r["result"] == "broken" or not (logs / f"{b.key}.run.log").exists():
                continue
            o = score(b, r["exit"], logs, r["build_secs"], r["run_secs"], args.timeout)
            commit = r["commit"]
        else:
            reset_tree(tree, commit)
            o = try_bug(b, tree, env, logs, args)
        results[b.key] = {"result": o.result, "exit": o.exit_code, "expect_found": o.expect_found,
                          "message": o.message, "build_secs": round(o.build_secs, 1),
                          "run_secs": round(o.run_secs, 1), "commit": commit}
        results_file.write_text(json.dumps(results, indent=1, sort_keys=True))
        print(f"{b.number}  {b.header['Layer']:<6}  {b.name:<40}  {o.result:<12}  "
              f"build {o.build_secs:5.0f} s  run {o.run_secs:4.0f} s  {cell(o.message, 100)}", flush=True)
    if args.rescore:
        wall = sum(results[b.key]["build_secs"] + results[b.key]["run_secs"] for b in bugs
                   if b.key in results)
    else:
        reset_tree(tree, commit)
        wall = time.monotonic() - t_start
    current = {b.key: results[b.key] for b in bugs}
    print()
    print(table(bugs, current))
    print(f"\nbugs: {summary(bugs, current)} ({wall / 60:.1f} min)")
    if args.write_docs:
        everything = load_corpus()
        meta = {"date": time.strftime("%Y-%m-%d"), "commit": commit[:12], "wall_min": wall / 60}
        write_docs(everything, results, meta)
    return 0 if all(r["result"] == CAUGHT for r in current.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

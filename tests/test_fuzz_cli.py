"""A seeded mutation fuzzer over every shipped file and ``--set`` values, driving the real CLI (issue 19).

Every case copies the shipped files (recipes, materials, lines, sweeps, cost rates, formats,
equipment, templates) into a folder of its own, mutates one of them (a value, a key, a line, bytes, an alias
bomb, deep nesting) or adds a hostile ``--set``, and runs one command on it. The law checked:

* the exit code is 0 or 2, never 1 (an internal error), and stderr holds no traceback;
* exit 2 names a file or an option of the command (``file: field: value and what is allowed``);
* exit 0 gives finite, physically possible headline figures (JSON outputs), a workbook without a
  live formula built from user text, CSV files no spreadsheet runs as formulas, and a PDF;
* every case ends within its time limit and memory limit (``resource.setrlimit`` in the case's
  process): a hang or a memory blow-up is a failure.

Cases run in forked children of one driver process that imported pouchline once (the CLI
in-process, as ``python -m pouchline`` runs it, without 1.5 s of start-up per case), each with
``RLIMIT_AS`` and ``RLIMIT_CPU`` and a wall-clock timeout. The seed and the number of cases are
fixed, so CI runs the same cases every time; ``POUCHLINE_FUZZ_CASES`` (number of cases),
``POUCHLINE_FUZZ_SEED`` and ``POUCHLINE_FUZZ_OUT`` (a folder to keep every failing case in, with
its files and command) widen the search locally.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = {  # name in a case folder -> shipped file
    "recipes/insnbi-lco-pouch.yaml": ROOT / "recipes" / "insnbi-lco-pouch.yaml",
    "recipes/materials.yaml": ROOT / "recipes" / "materials.yaml",
    "recipes/cost-rates.yaml": ROOT / "recipes" / "cost-rates.yaml",
    "recipes/formats.yaml": ROOT / "recipes" / "formats.yaml",
    "recipes/equipment.yaml": ROOT / "recipes" / "equipment.yaml",
    "recipes/lines/pilot-line.yaml": ROOT / "recipes" / "lines" / "pilot-line.yaml",
    "recipes/lines/gwh-line.yaml": ROOT / "recipes" / "lines" / "gwh-line.yaml",
    "recipes/sweeps/example-sweep.yaml": ROOT / "recipes" / "sweeps" / "example-sweep.yaml",
    "templates/traveler-default.yaml": ROOT / "templates" / "traveler-default.yaml",
    "templates/traveler-compact.yaml": ROOT / "templates" / "traveler-compact.yaml",
}
RECIPE = "recipes/insnbi-lco-pouch.yaml"

#: CI: 40-90 s on the project's 2-core machine (0.08 s per case when idle, 0.13-0.2 s when busy).
DEFAULT_CASES = 500
DEFAULT_SEED = 20251125
#: Limits of one case: CPU seconds, wall seconds, address space.
CASE_CPU_S = 60
CASE_WALL_S = 120
CASE_MEMORY_BYTES = 3 * 1024 ** 3
#: The whole test stops starting new cases after this long (a loaded CI machine), saying so.
BUDGET_S = float(os.environ.get("POUCHLINE_FUZZ_BUDGET_S", 240))

MARK = "FUZZ"  # in every injected text, so a live formula built from user text is recognised
HOSTILE: list[Any] = [
    0, -1, 1, 2, 0.5, -0.5, 1e-300, 1e300, -1e300, 2 ** 53, 10 ** 6, 1e9, 7,
    "", " ", "x", MARK, f'=HYPERLINK("http://{MARK}","x")', f"=1+1+{MARK}", f"+{MARK}", f"-{MARK}", f"@{MARK}",
    f"\t{MARK}", f"a\r={MARK}", f"a\n={MARK}", f"\x00{MARK}", f"\x1b[31m{MARK}", MARK * 3000,
    "88 degC", "-5 um", "30 MPa", "3==4", "pi", "1:30", "1e999", "nan", ".inf", "0x10",
    "../../../../etc/passwd", "/dev/zero", "/tmp", None, True, False, [], {}, [1, 2, 3], {"a": 1},
    [[[[[[]]]]]], "insnbi", "lco", "argon_glovebox", "melt_cast",
]
SET_TEXT = ["0", "-1", "1e300", "1e-300", ".inf", "-.inf", ".nan", "nan", "1:30", "0x10", "010", "3==4", "pi",
            "2 pi", "1e999", "90 degC", "30 MPa", "-5 um", "[1, 2]", "{a: 1}", "[[[[[[1]]]]]]", f"={MARK}",
            f"'@{MARK}'", "yes", "null", "", "x" * 300, "1_000", "2025-02-30", "!!binary AAAA", "*alias", "&a [1]"]
SNIPPETS = ["x: .inf", "x: .nan", "y: 1:30", "<<: *nope", "z: &a [1, *a]", "[[[[[[[[", "!!python/object:os.system",
            "k: !!binary AAAA", "{", "- - -", "\t:", "id: dup\nid: dup", "q: 0o777", "r: 1.0e+999",
            "s: " + "[" * 40 + "]" * 40]


# -- the driver: a warm process that forks one child per case ------------------------------------------------
def _serve() -> None:  # pragma: no cover - runs in the driver process
    import resource
    import signal

    os.environ.setdefault("MPLBACKEND", "Agg")
    import pouchline.cli as cli  # noqa: F401 - imported once, before any fork
    from pouchline.cli import build_parser, main

    build_parser()  # imports every subcommand module
    for mod in ("pouchline.recipe.io", "pouchline.cell", "pouchline.line", "pouchline.cost", "pouchline.export.excel",
                "pouchline.export.traveler", "pouchline.export.plan_report", "pouchline.sweep", "pouchline.units"):
        __import__(mod)
    for line in sys.stdin:
        case = json.loads(line)
        out_path, err_path = case["stdout"], case["stderr"]
        t0 = time.monotonic()
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                os.chdir(case["cwd"])
                resource.setrlimit(resource.RLIMIT_AS, (case["memory"], case["memory"]))
                resource.setrlimit(resource.RLIMIT_CPU, (case["cpu_s"], case["cpu_s"] + 5))
                fd_out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                fd_err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(fd_out, 1)
                os.dup2(fd_err, 2)
                try:
                    code = main(case["argv"])
                except SystemExit as exc:  # argparse
                    code = exc.code if isinstance(exc.code, int) else 2
                except BaseException as exc:  # what main lets through is itself a finding
                    print(f"Traceback (escaped main): {type(exc).__name__}: {exc}", file=sys.stderr)
                    code = 71
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code if isinstance(code, int) else 72)
        status = None
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() - t0 > case["wall_s"]:
                os.kill(pid, signal.SIGKILL)  # our own child
                os.waitpid(pid, 0)
                status = None
                break
            time.sleep(0.005)
        if status is None:
            result = {"kind": "hang"}
        elif os.WIFSIGNALED(status):
            result = {"kind": "signal", "signal": os.WTERMSIG(status)}
        else:
            result = {"kind": "exit", "code": os.WEXITSTATUS(status)}
        result["wall_s"] = time.monotonic() - t0
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        result["max_rss_kB"] = usage.ru_maxrss
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


# -- cases ---------------------------------------------------------------------------------------------------
@dataclass
class Case:
    index: int
    target: str  # the file mutated ("" for a --set case)
    mutation: str
    argv: list[str]
    folder: Path
    outputs: list[str] = field(default_factory=list)  # files the command writes (relative to folder)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (tuple of keys and indices) of a parsed YAML tree, the root excluded."""
    out: list[tuple] = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append(prefix + (k,))
            out.extend(_paths(v, prefix + (k,)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append(prefix + (i,))
            out.extend(_paths(v, prefix + (i,)))
    return out


def _get(node: Any, path: tuple) -> Any:
    for k in path:
        node = node[k]
    return node


def _hostile(rng: random.Random, old: Any) -> Any:
    if isinstance(old, (int, float)) and not isinstance(old, bool) and old and rng.random() < 0.6:
        if rng.random() < 0.5:  # a plausible change: the value a user might mistype or try
            value = old * rng.uniform(0.3, 3.0)
            return round(value) if isinstance(old, int) else value
        return rng.choice([0, -1, 1e-9, 1e6, 1e-6, -1e6]) * old
    return copy.deepcopy(rng.choice(HOSTILE))


def mutate_data(rng: random.Random, data: Any) -> tuple[Any, str]:
    """One structural mutation of parsed YAML."""
    data = copy.deepcopy(data)
    paths = _paths(data)
    if not paths:
        return rng.choice(HOSTILE), "replace the whole document"
    path = rng.choice(paths)
    parent = _get(data, path[:-1])
    key = path[-1]
    op = rng.random()
    shown = ".".join(map(str, path))
    if op < 0.55:
        parent[key] = _hostile(rng, parent[key])
        return data, f"set {shown} = {repr(parent[key])[:60]}"
    if op < 0.7:
        del parent[key]
        return data, f"delete {shown}"
    if op < 0.8 and isinstance(parent, list):
        parent.insert(key, copy.deepcopy(parent[key]))
        return data, f"duplicate item {shown}"
    if op < 0.9 and isinstance(parent, dict):
        parent[rng.choice([f"{key}x", f"{key}".upper(), "extra", f"={MARK}"])] = _hostile(rng, None)
        return data, f"add a key beside {shown}"
    parent[key] = rng.choice([[], {}, None, "x", 1])
    return data, f"replace section {shown} by a scalar"


def mutate_text(rng: random.Random, text: str) -> tuple[str, str]:
    """One textual mutation: lines, bytes, snippets, alias bombs, deep nesting, truncation."""
    lines = text.splitlines(keepends=True)
    op = rng.random()
    i = rng.randrange(len(lines)) if lines else 0
    if op < 0.2 and lines:
        lines.insert(i, lines[i])
        return "".join(lines), f"duplicate line {i + 1}"
    if op < 0.3 and lines:
        del lines[i]
        return "".join(lines), f"delete line {i + 1}"
    if op < 0.5:
        snippet = rng.choice(SNIPPETS)
        indent = " " * (len(lines[i]) - len(lines[i].lstrip())) if lines else ""
        lines.insert(i, indent + snippet + "\n")
        return "".join(lines), f"insert {snippet[:30]!r} at line {i + 1}"
    if op < 0.6:
        cut = rng.randrange(len(text) + 1)
        return text[:cut], f"truncate at {cut}"
    if op < 0.75:
        chars = list(text)
        for _ in range(rng.randint(1, 8)):
            if chars:
                chars[rng.randrange(len(chars))] = rng.choice(["\x00", "\x1b", "\t", "\r", ":", "&", "*", "!", "{",
                                                               "[", "-", "'", '"', "\u2028", "é", "\ufeff", "%"])
        return "".join(chars), "flip characters"
    if op < 0.87:
        levels = rng.randint(8, 18)
        bomb = ["fz0: &fz0 [x, x, x]"] + [f"fz{k}: &fz{k} [*fz{k - 1}, *fz{k - 1}, *fz{k - 1}]" for k in range(1, levels)]
        return text + "\n" + "\n".join(bomb) + "\n", f"alias bomb of {levels} levels"
    depth = rng.choice([33, 100, 327, 3000])
    return text + f"\ndeep: {'[' * depth}{']' * depth}\n", f"nesting {depth} deep"


def _set_path(rng: random.Random, recipe: dict, materials: dict) -> str:
    """A dotted --set path of the recipe (steps by id) or of the materials library (materials by id)."""
    if rng.random() < 0.3:
        mats = materials.get("materials") or []
        m = rng.choice(mats) if mats else {"id": "indium"}
        keys = [k for k in (m if isinstance(m, dict) else {})] or ["name"]
        key = rng.choice(keys)
        sub = m.get(key) if isinstance(m, dict) else None
        tail = f".{rng.choice(list(sub))}" if isinstance(sub, dict) and sub else ""
        if isinstance(sub, dict) and isinstance(sub.get("base"), dict):
            tail = ".base.value"
        return f"materials.{m.get('id', 'indium')}.{key}{tail}"
    path = rng.choice([p for p in _paths(recipe) if p])
    parts = []
    node = recipe
    for k in path:
        if isinstance(node, list):
            item = node[k]
            parts.append(str(item["id"]) if isinstance(item, dict) and "id" in item else str(k))
        else:
            parts.append(str(k))
        node = node[k]
    return ".".join(parts)


def _commands(rng: random.Random, target: str) -> tuple[list[str], list[str]]:
    """(argv, outputs) of one command that reads ``target``."""
    r = RECIPE
    size = rng.choice([[], ["--layers", str(rng.choice([1, 4, 20]))], ["--capacity-Ah", "10", "--format", "ev-300x100"]])
    line = rng.choice(["recipes/lines/pilot-line.yaml", "recipes/lines/gwh-line.yaml"])
    sim = ["--days", "3", "--warmup-days", "1", "--replications", "1"]
    if target.startswith("recipes/lines/"):
        line = target
        choices = [(["validate", line], []), (["simulate", line, "--recipe", r, *sim, "--json"], []),
                   (["cost", r, "--line", line, "--json"], []), (["bom", r, "--line", line, "--out", "o.xlsx"], ["o.xlsx"]),
                   (["traveler", r, "--line", line, "--lot", "L-0001", "--cells", "10", "--sample", "--out", "o.pdf"], ["o.pdf"]),
                   (["demand", r, "--line", line, "--json"], [])]
        if rng.random() < 0.15:
            choices = [(["plan", r, "--line", line, *sim, "--out", "plan"], ["plan"])]
        return rng.choice(choices)
    if target.startswith("recipes/sweeps/"):
        return rng.choice([(["validate", target], []), (["sweep", target, "--dry-run"], []),
                           (["sweep", target, "--executor", "serial", "--limit", "2", "--no-plots", "--out", "o.csv"],
                            ["o.csv"])])
    if target == "recipes/cost-rates.yaml":
        return rng.choice([(["validate", target], []), (["cost", r, "--rates", target, "--json"], []),
                           (["bom", r, "--rates", target, "--out", "o.xlsx"], ["o.xlsx"]),
                           (["demand", r, "--rates", target, "--json"], [])])
    if target == "recipes/formats.yaml":
        return rng.choice([(["validate", target], []),
                           (["cell", r, "--formats", target, "--format", "ev-300x100", "--json"], [])])
    if target == "recipes/equipment.yaml":
        if rng.random() < 0.8:  # sizing a plant simulates it (5-30 s): a few cases only
            return ["validate", target], []
        return ["size", r, "--equipment", target, "--target-GWh", rng.choice(["0.01", "0.1"]), *sim, "--json"], []
    if target.startswith("templates/"):
        return (["traveler", r, "--template", target, "--lot", "L-0001", "--cells", "10", "--sample", "--out", "o.pdf"], ["o.pdf"])
    choices = [(["validate", r], []), (["show", r], []), (["cell", r, *size, "--json"], []),
               (["cost", r, *size, "--json"], []), (["bom", r, "--out", "o.xlsx"], ["o.xlsx"]),
               (["traveler", r, "--lot", "L-0001", "--cells", "10", "--sample", "--out", "o.pdf"], ["o.pdf"]),
               (["demand", r, *size, "--json"], []),
               (["derive", r, *size, "--out", "d.yaml"], ["d.yaml"]),
               (["diff", str(SHIPPED[RECIPE]), r], [])]
    if rng.random() < 0.1:
        choices = [(["plan", r, *size, "--out", "plan"], ["plan"])]
    return rng.choice(choices)


def make_case(rng: random.Random, index: int, base: Path, parsed: dict[str, Any]) -> Case:
    import yaml

    folder = base / f"case-{index:05d}"
    for rel, src in SHIPPED.items():
        dest = folder / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
    if rng.random() < 0.25:  # a hostile --set on a good recipe
        argv, outputs = _commands(rng, RECIPE)
        if argv[0] == "diff":  # diff takes no --set
            argv, outputs = ["show", RECIPE], []
        path = _set_path(rng, parsed[RECIPE], parsed["recipes/materials.yaml"])
        value = rng.choice(SET_TEXT)
        argv = [*argv[:2], "--set", f"{path}={value}", *argv[2:]] if argv[0] != "validate" else \
            [*argv, "--set", f"{path}={value}"]
        return Case(index, "", f"--set {path}={value[:40]}", argv, folder, outputs)
    target = rng.choice(list(SHIPPED))
    file = folder / target
    if rng.random() < 0.5:
        data, what = mutate_data(rng, parsed[target])
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=rng.random() < 0.5)
    else:
        text, what = mutate_text(rng, SHIPPED[target].read_text(encoding="utf-8"))
    file.write_bytes(text.encode("utf-8", "surrogatepass"))
    argv, outputs = _commands(rng, target)
    return Case(index, target, what, argv, folder, outputs)


# -- judging one result ----------------------------------------------------------------------------------------
HEADLINE = {  # command -> (key, low, high): finite and inside physical bounds (high: any battery ever made)
    "cell": [("capacity_Ah", 0, 1e5), ("energy_Wh", 0, 1e6), ("mass_g", 0, 1e8), ("specific_energy_Wh_kg", 0, 3500),
             ("energy_density_Wh_L", 0, 10_000)],
    "cost": [("cost_per_cell_usd", 0, 1e9), ("cost_per_kWh_usd", 0, 1e12), ("rolled_throughput_yield", 0, 1)],
    "simulate": [("throughput_units_per_h", 0, 1e9), ("yield_rty", 0, 1), ("good_units", 0, 1e15)],
    "demand": [("GWh_per_yr", 0, 1e6), ("good_cells_per_yr", 0, 1e15)],
    "size": [("machines", 0, 1e7), ("equipment_capex_usd", 0, 1e13), ("cost_per_cell_usd", 0, 1e9)],
}


def _numbers(node: Any) -> list[float]:
    if isinstance(node, dict):
        return [x for v in node.values() for x in _numbers(v)]
    if isinstance(node, list):
        return [x for v in node for x in _numbers(v)]
    return [float(node)] if isinstance(node, (int, float)) and not isinstance(node, bool) else []


def judge(case: Case, result: dict, stdout: str, stderr: str) -> list[str]:
    """What is wrong with one result (empty: the law holds)."""
    bad: list[str] = []
    if result["kind"] == "hang":
        return [f"no result within {CASE_WALL_S} s (a hang)"]
    if result["kind"] == "signal":
        return [f"killed by signal {result['signal']} (CPU {CASE_CPU_S} s or memory limit, or a crash)"]
    code = result["code"]
    if "Traceback" in stderr:
        bad.append("a traceback on stderr")
    if code not in (0, 2):
        bad.append(f"exit {code}")
    if code == 2:
        names = {Path(a).name for a in case.argv if "/" in a or a.endswith((".yaml", ".xlsx", ".pdf", ".csv"))}
        names |= {a for a in case.argv if a.startswith("--")} | {Path(p).name for p in SHIPPED}
        if case.mutation.startswith("--set "):  # the field the user set names where to look
            names.add(case.mutation.split("=", 1)[0].rsplit(".", 1)[-1])
        if not any(n and n in stderr for n in names):
            bad.append("exit 2 without naming a file or an option")
    if len(stderr) > 200_000:
        bad.append(f"{len(stderr):,} characters on stderr")
    if code != 0:
        return bad
    command = case.argv[0]
    if "--json" in case.argv:
        try:
            out = json.loads(stdout)
        except ValueError:
            return bad + ["--json output is not JSON"]
        if any(not math.isfinite(x) for x in _numbers(out)):
            bad.append("a non-finite number in the JSON output")
        for key, low, high in HEADLINE.get(command, []):
            v = out.get(key)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or not low <= v <= high:
                bad.append(f"{command} --json: {key} = {v!r} is not a finite number in [{low:g}, {high:g}]")
        if command == "simulate" and isinstance(out.get("good_units"), (int, float)) and \
                isinstance(out.get("started_units"), (int, float)) and out["good_units"] > out["started_units"] + 1e-6:
            bad.append("simulate: more good units than started (conservation)")
    for rel in case.outputs:
        path = case.folder / rel
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
        if not files or not all(p.exists() for p in files):
            bad.append(f"exit 0 but {rel} was not written")
        for p in files:
            bad.extend(_check_output(p))
    return bad


def _check_output(path: Path) -> list[str]:
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path)
        except Exception as exc:  # noqa: BLE001 - any failure to open is the finding
            return [f"{path.name} does not open: {exc}"]
        live = [f"{ws.title}!{c.coordinate}" for ws in wb for row in ws.iter_rows() for c in row
                if c.data_type == "f" and MARK in str(c.value)]
        return [f"{path.name}: live formula from user text at {', '.join(live[:3])}"] if live else []
    if path.suffix == ".csv":
        text = path.read_text(encoding="utf-8", errors="replace")
        for line in text.splitlines():
            if line.startswith(("=", "+", "@", "\t")) or (line.startswith("-") and not line[1:2].isdigit()):
                return [f"{path.name}: a line starts with a formula trigger: {line[:40]!r}"]
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                if cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t")):
                    try:
                        float(cell)
                    except ValueError:
                        return [f"{path.name}: a cell starts with a formula trigger: {cell[:40]!r}"]
        return []
    if path.suffix == ".pdf":
        return [] if path.read_bytes()[:5] == b"%PDF-" else [f"{path.name} is not a PDF"]
    return []


#: Findings that belong to bullets of issue 19 that other branches fix in their own packages: a
#: value outside its physical range that validation still accepts, so that a headline figure leaves
#: its range (branch ``recipe``: recipe fields; ``line``: station values; ``plant``: cost rates;
#: ``demand``: the materials library). They are counted and printed, not failed, until those fixes
#: land; remove an owner here when its fix is merged. Exit codes, tracebacks, hangs, memory and
#: formulas are never excused.
KNOWN_OPEN = ("recipe", "line", "plant", "demand")


def known_owner(case: Case, problems: list[str]) -> str | None:
    """The branch whose open bullet explains ``problems``, or None when they are this test's to fail."""
    if not problems or not all(" is not a finite number in [" in p for p in problems):
        return None
    if case.target.startswith("recipes/lines/"):
        owner = "line"
    elif case.target == "recipes/cost-rates.yaml":
        owner = "plant"
    elif case.target == "recipes/materials.yaml" or case.mutation.startswith("--set materials."):
        owner = "demand"
    elif case.target == RECIPE or case.mutation.startswith("--set "):
        owner = "recipe"
    else:
        return None
    return owner if owner in KNOWN_OPEN else None


# -- the test --------------------------------------------------------------------------------------------------
def run_fuzz(n_cases: int, seed: int, base: Path, keep: Path | None = None) -> dict:
    """Run ``n_cases`` cases from ``seed``; return counts, timings and the failures."""
    import yaml

    parsed = {rel: yaml.safe_load(src.read_text(encoding="utf-8")) for rel, src in SHIPPED.items()}
    rng = random.Random(seed)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg", "POUCHLINE_DEBUG": ""}
    driver = subprocess.Popen([sys.executable, __file__, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=env, cwd=str(base))
    stats = {"cases": 0, "exit0": 0, "exit2": 0, "failures": [], "known_open": [], "slowest": (0.0, ""),
             "stopped_early": False, "by_command": {}}
    t_start = time.monotonic()
    try:
        for index in range(n_cases):
            if time.monotonic() - t_start > BUDGET_S:
                stats["stopped_early"] = True
                break
            case = make_case(rng, index, base, parsed)
            out, err = case.folder / "stdout.txt", case.folder / "stderr.txt"
            driver.stdin.write(json.dumps({"argv": case.argv, "cwd": str(case.folder), "stdout": str(out),
                                           "stderr": str(err), "memory": CASE_MEMORY_BYTES, "cpu_s": CASE_CPU_S,
                                           "wall_s": CASE_WALL_S}) + "\n")
            driver.stdin.flush()
            result = json.loads(driver.stdout.readline())
            stdout = out.read_text(encoding="utf-8", errors="replace") if out.exists() else ""
            stderr = err.read_text(encoding="utf-8", errors="replace") if err.exists() else ""
            problems = judge(case, result, stdout, stderr)
            stats["cases"] += 1
            code = result.get("code")
            stats["exit0"] += code == 0
            stats["exit2"] += code == 2
            stats["by_command"][case.argv[0]] = stats["by_command"].get(case.argv[0], 0) + 1
            if result["wall_s"] > stats["slowest"][0]:
                stats["slowest"] = (result["wall_s"], " ".join(case.argv))
            if problems:
                owner = known_owner(case, problems)
                stats["known_open" if owner else "failures"].append(
                    {"case": index, "seed": seed, "target": case.target, "mutation": case.mutation, "argv": case.argv,
                     "problems": problems, "stderr": stderr[-600:], "owner": owner})
                if keep is not None:
                    record = (stats["known_open"] if owner else stats["failures"])[-1]
                    (case.folder / "case.json").write_text(json.dumps(record, indent=1))
                    shutil.copytree(case.folder, keep / f"seed{seed}-case{index:05d}", dirs_exist_ok=True)
            else:
                shutil.rmtree(case.folder, ignore_errors=True)
    finally:
        driver.stdin.close()
        try:
            driver.wait(timeout=30)
        except subprocess.TimeoutExpired:
            driver.kill()
            driver.wait()
    stats["wall_s"] = time.monotonic() - t_start
    return stats


def test_fuzz_every_command_on_every_shipped_file(tmp_path):
    n = int(os.environ.get("POUCHLINE_FUZZ_CASES", DEFAULT_CASES))
    seed = int(os.environ.get("POUCHLINE_FUZZ_SEED", DEFAULT_SEED))
    keep = Path(os.environ["POUCHLINE_FUZZ_OUT"]) if os.environ.get("POUCHLINE_FUZZ_OUT") else None
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    stats = run_fuzz(n, seed, tmp_path, keep)
    owners: dict[str, int] = {}
    for f in stats["known_open"]:
        owners[f["owner"]] = owners.get(f["owner"], 0) + 1
    summary = (f"{stats['cases']} cases (seed {seed}) in {stats['wall_s']:.0f} s: {stats['exit0']} ok, "
               f"{stats['exit2']} refused (exit 2), {len(stats['failures'])} failing, known open by owner {owners}; "
               f"per command {stats['by_command']}; slowest {stats['slowest'][0]:.1f} s ({stats['slowest'][1]})")
    print(summary)
    for f in stats["known_open"][:10]:
        print(f"  known open ({f['owner']}): case {f['case']} {f['mutation']}: {f['problems'][0]}")
    report = "\n".join(f"- case {f['case']} ({f['mutation']}; {' '.join(f['argv'])}): {'; '.join(f['problems'])}\n"
                       f"    {f['stderr'][-300:]!r}" for f in stats["failures"][:15])
    if os.environ.get("POUCHLINE_FUZZ_REPORT"):
        Path(os.environ["POUCHLINE_FUZZ_REPORT"]).write_text(json.dumps(stats, indent=1, default=str))
    assert not stats["failures"], f"{summary}\n{report}"
    assert stats["cases"] >= min(n, 40), f"only {stats['cases']} cases ran within {BUDGET_S:.0f} s: {summary}"


if __name__ == "__main__" and sys.argv[1:] == ["--serve"]:
    _serve()

"""Reading user YAML (issue 19): bounded in size, depth and bytes, strict about keys and numbers.

Every loader reads through :mod:`pouchline.fileio`, so these tests hold for recipes, materials,
lines, sweeps, cost rates, formats and templates alike; ``test_fuzz_cli`` drives the CLI over them.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

import pytest

from conftest import DEFAULT_RECIPE, RECIPES
from pouchline.errors import MAX_MESSAGE_CHARS, MAX_PROBLEMS, InputError, Problem
from pouchline.fileio import (
    MAX_YAML_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
    read_limited,
    read_yaml,
    read_yaml_text,
)


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pouchline", *args], capture_output=True, text=True,
                          timeout=timeout)


def nested_aliases(levels: int, width: int = 3) -> str:
    """``levels`` nested lists of ``width`` aliases each: ``width ** levels`` leaves once expanded."""
    lines = ["a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def refused(text: str, source: str = "t.yaml") -> str:
    with pytest.raises(InputError) as exc:
        read_yaml_text(text, source)
    return str(exc.value)


# -- alias bombs -----------------------------------------------------------------------------------------
def test_sixteen_levels_of_three_aliases_are_refused_at_once_with_little_memory():
    # 3**16 = 43 M leaves from 16 short lines (issue 19: 6 GB and 52 s before this fix). The
    # expansion is counted while composing, where an alias is a shared node, so nothing is expanded.
    text = nested_aliases(16)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    msg = refused(text)
    elapsed = time.perf_counter() - t0
    grown_kB = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert "expands to more than" in msg and "t.yaml" in msg
    assert elapsed < 1.0  # milliseconds in practice; 1 s allows for a loaded CI machine
    assert grown_kB < 50_000  # ru_maxrss is in kB on Linux: < 50 MB of new peak memory
    assert len(msg) < 1000  # the message never echoes the value


def test_an_expansion_just_under_the_limit_loads():
    # 3**10 = 59,049 leaves + 29,524 lists: under MAX_YAML_NODES (200,000), and legal YAML
    data = read_yaml_text(nested_aliases(10) + "\n", "ok.yaml")
    assert len(data["a9"]) == 3
    assert 3 ** 10 < MAX_YAML_NODES < 3 ** 12


def test_a_long_string_aliased_many_times_is_refused():
    text = "s: &s " + "x" * 1_000_000 + "\nl: [" + ", ".join(["*s"] * 40) + "]\n"
    assert "characters" in refused(text)


def test_the_line_file_alias_bomb_of_the_issue_exits_2_fast(tmp_path):
    # issue 19: "a 463-byte line file costs 6 GB, 52 s and a 1.5 GB message before exit 2"
    bomb = tmp_path / "line.yaml"
    bomb.write_text("name: bomb\n" + nested_aliases(16))
    t0 = time.perf_counter()
    res = cli("validate", str(bomb))
    assert res.returncode == 2 and "expands to more than" in res.stderr
    assert len(res.stderr) < 2000
    assert time.perf_counter() - t0 < 30  # interpreter start-up included; under 2 s when idle


# -- duplicate keys, depth, numbers ------------------------------------------------------------------------
def test_duplicate_keys_are_refused_naming_both_lines():
    msg = refused("np_ratio: {target: 9.9, target: 1.3}\n")
    assert "np_ratio.target: appears twice" in msg and "first at line 1" in msg and "(line 1, column 25)" in msg
    msg = refused("name: l\nstations:\n  - {name: a}\nother: 1\nstations:\n  - {name: b}\n")
    assert "t.yaml: stations: appears twice" in msg and "first at line 2" in msg and "(line 5, column 1)" in msg


def test_a_second_stations_key_in_a_line_file_is_refused_by_the_cli(tmp_path):
    text = (RECIPES / "lines" / "pilot-line.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "line.yaml"
    bad.write_text(text + "\nstations:\n  - {name: only_one, step: formation, cycle_time_s: 1}\n")
    res = cli("validate", str(bad))
    assert res.returncode == 2 and "stations: appears twice" in res.stderr


def test_yaml_merge_keys_may_still_be_overridden():
    # "<<" merges are not duplicates: a key written next to a merge overrides the merged one
    data = read_yaml_text("base: &b {k: 1, j: 2}\nitem:\n  <<: *b\n  k: 3\n", "m.yaml")
    assert data["item"] == {"k": 3, "j": 2}


@pytest.mark.parametrize("levels", [MAX_YAML_DEPTH + 1, 327, 5000])
def test_deep_nesting_is_refused_not_a_recursion_error(levels):
    assert "levels deep" in refused("a: " + "[" * levels + "]" * levels)


def test_depth_counts_aliases_expanded():
    half = MAX_YAML_DEPTH // 2 + 2
    text = "a: &a " + "[" * half + "]" * half + "\nb: " + "[" * half + "*a" + "]" * half + "\n"
    assert "levels deep once its aliases are expanded" in refused(text)


def test_327_levels_exit_2_in_every_command(tmp_path):
    # issue 19: 327 levels (660 bytes) ended in RecursionError, exit 1
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 327 + "]" * 327 + "\n")
    for args in (["validate", str(deep)], ["show", str(deep)], ["cell", str(deep)], ["simulate", str(deep)],
                 ["sweep", str(deep), "--dry-run"]):
        res = cli(*args)
        assert res.returncode == 2, (args, res.stderr)
        assert "levels deep" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize("text,expected", [
    ("x: .inf\n", "not a finite number"),
    ("x: -.Inf\n", "not a finite number"),
    ("x: [1, .nan]\n", "not a finite number"),
    ("x: 1.0e+999\n", "not a finite number"),
    ("x: 1:30\n", "base-60"),          # YAML 1.1 reads 90
    ("x: 010\n", "octal"),             # YAML 1.1 reads 8
    ("x: " + "9" * 5000 + "\n", "too large"),
    ("x: 9007199254740993\n", "too large"),  # 2**53 + 1
    ("x: 2025-02-30\n", "day is out of range"),
])
def test_numbers_a_reader_would_misread_are_refused(text, expected):
    msg = refused(text)
    assert expected in msg and msg.startswith("t.yaml: x") and "line 1" in msg


def test_quoted_text_that_looks_like_a_number_stays_text():
    assert read_yaml_text('x: "1:30"\ny: "010"\nz: ".inf"\n', "q.yaml") == {"x": "1:30", "y": "010", "z": ".inf"}


# -- special files and the byte limit --------------------------------------------------------------------------
def test_dev_zero_is_refused_at_once():
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="not a regular file"):
        read_yaml("/dev/zero")
    assert time.perf_counter() - t0 < 1.0


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "recipe.yaml"
    os.mkfifo(fifo)
    res = cli("validate", str(fifo), timeout=30)  # the old code blocked for ever: timeout fails the test
    assert res.returncode == 2 and "not a regular file" in res.stderr


def test_materials_library_naming_a_device_is_refused(tmp_path):
    text = DEFAULT_RECIPE.read_text(encoding="utf-8").replace("materials_library: materials.yaml",
                                                               "materials_library: /dev/zero")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(text)
    res = cli("validate", str(recipe), timeout=30)
    assert res.returncode == 2 and "/dev/zero" in res.stderr and "not a regular file" in res.stderr


def test_at_most_limit_plus_one_bytes_are_read(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_YAML_BYTES + 10))
    with pytest.raises(InputError, match="at most"):
        read_yaml(big)
    small = tmp_path / "small.yaml"
    small.write_bytes(b"a: 1\n")
    assert read_limited(small, 5) == b"a: 1\n"
    with pytest.raises(InputError, match="at most 4 bytes"):
        read_limited(small, 4)


def test_a_directory_and_a_missing_file_are_named():
    with pytest.raises(InputError, match="is a directory"):
        read_yaml(RECIPES)
    with pytest.raises(InputError, match="does not exist"):
        read_yaml(RECIPES / "no-such.yaml")


# -- messages stay short -----------------------------------------------------------------------------------
def test_a_problem_never_prints_an_unbounded_value():
    huge = "x" * 10_000_000
    text = str(Problem(field="f" * 5000, message=f"{huge!r} is wrong", source="s" * 5000))
    assert len(text) < 2000 and "characters left out" in text and text.endswith("is wrong")


def test_an_error_keeps_at_most_max_problems():
    err = InputError([Problem(field=f"f{i}", message="bad", source="x.yaml") for i in range(10 * MAX_PROBLEMS)])
    assert len(err.problems) == MAX_PROBLEMS + 1
    assert f"{9 * MAX_PROBLEMS:,} more problem(s)" in str(err)
    assert len(str(err)) < MAX_PROBLEMS * (MAX_MESSAGE_CHARS + 100)


@pytest.mark.parametrize("value", ["[" + ", ".join(["1"] * 150_000) + "]", "'" + "9" * 1_500_000 + "'"],
                         ids=["long-list", "long-number"])
def test_a_huge_invalid_value_gives_a_short_message(tmp_path, value):
    # a 150,000-item list or a 1.5 MB number where a cycle time belongs: the line validators put
    # repr(value) into their message (450 kB and 1.5 MB of stderr before this fix)
    text = (RECIPES / "lines" / "pilot-line.yaml").read_text(encoding="utf-8")
    line = tmp_path / "line.yaml"
    line.write_text(text.replace("cycle_time_s: 3 h ", f"cycle_time_s: {value} ", 1))
    res = cli("validate", str(line))
    assert res.returncode == 2 and "cycle_time_s" in res.stderr
    assert len(res.stderr) < 2_000


def test_an_unreadable_materials_library_names_the_recipe_field():
    # found by the fuzz test: --set materials_library=pi said only ".../recipes/pi: does not exist"
    res = cli("cost", str(DEFAULT_RECIPE), "--set", "materials_library=pi")
    assert res.returncode == 2
    assert f"{DEFAULT_RECIPE}: materials_library: 'pi': " in res.stderr and "does not exist" in res.stderr


@pytest.mark.parametrize("text", ["z: &a [1, *a]\n", "z: &a {k: *a}\n", "z: &a [[1, [*a]]]\n"])
def test_a_recursive_alias_is_refused(text):
    # found by the fuzz test: a list that holds itself composed fine and ended in a RecursionError
    # in validation ("nested too deeply", naming no file)
    assert "recursive alias" in refused(text)

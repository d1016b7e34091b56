"""`pouchline completion bash|zsh|tcsh`: a completion script from the parser (shtab)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest


def script(shell: str) -> str:
    res = subprocess.run([sys.executable, "-m", "pouchline", "completion", shell], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    return res.stdout


def complete_bash(text: str, words: list[str]) -> list[str]:
    """What bash offers after ``words`` (the last one being completed) with the script loaded."""
    quoted = " ".join(f"'{w}'" for w in words)
    prog = (f"source /dev/stdin <<'EOF'\n{text}\nEOF\n"
            f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; COMP_LINE=\"{' '.join(words)}\"; "
            "COMP_POINT=${#COMP_LINE}; _shtab_pouchline; printf '%s\\n' \"${COMPREPLY[@]}\"")
    res = subprocess.run(["bash", "-c", prog], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return res.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_commands_options_and_choices():
    text = script("bash")
    assert complete_bash(text, ["pouchline", "pl"]) == ["plan"]
    assert set(complete_bash(text, ["pouchline", "plan", "--fix"])) == {"--fixture", "--fixture-target-Wh-kg"}
    assert complete_bash(text, ["pouchline", "plan", "--prices", ""]) == ["low", "base", "high"]
    assert "completion" in complete_bash(text, ["pouchline", "co"])


def test_zsh_and_tcsh_scripts_name_every_command():
    from pouchline.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    zsh = script("zsh")
    assert zsh.startswith("#compdef pouchline")
    assert all(name in zsh for name in sub.choices)
    assert "plan" in script("tcsh")


def test_unknown_shell_is_a_usage_error():
    res = subprocess.run([sys.executable, "-m", "pouchline", "completion", "fish"], capture_output=True, text=True)
    assert res.returncode == 2 and "invalid choice" in res.stderr

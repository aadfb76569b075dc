"""The verification gate: the user's own test command decides whether a phase stays."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GateResult:
    command: str
    returncode: int
    output: str
    seconds: float
    log_path: Path | None = None

    @property
    def passed(self) -> bool:
        return self.returncode == 0

    def tail(self, lines: int = 25) -> str:
        return "\n".join(self.output.rstrip().splitlines()[-lines:])


def run_gate(command: str, cwd: Path, log_path: Path | None = None, timeout: float | None = None) -> GateResult:
    """Run ``command`` through the shell in ``cwd``; capture stdout+stderr.

    ``python`` at the start of the command means the interpreter running
    ssot-migrate, so the gate sees the same environment as the tool.
    """
    argv0 = shlex.split(command)[0] if command.strip() else ""
    if argv0 in ("python", "python3"):
        command = shlex.quote(sys.executable) + command[len(command) - len(command.lstrip()) + len(argv0):]
    env = dict(os.environ)
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    start = time.monotonic()
    try:
        proc = subprocess.run(
            command,
            cwd=cwd,
            shell=True,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            env=env,
        )
        code, output = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        code = 124
        output = (exc.stdout or "") if isinstance(exc.stdout, str) else ""
        output += f"\n[ssot-migrate] gate timed out after {timeout}s"
    seconds = time.monotonic() - start
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_text(f"$ {command}\n{output}\n[exit {code}, {seconds:.1f}s]\n", encoding="utf-8")
    return GateResult(command, code, output, seconds, log_path)

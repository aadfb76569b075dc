"""Every report code the tool can emit is documented in PLAYBOOK.md (the operator looks codes up there)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"""["']([A-Z]\d{3})["']""")


def emitted_codes() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for package in ("codemods", "migrate", "shims"):
        for path in (ROOT / package).rglob("*.py"):
            for m in CODE.finditer(path.read_text(encoding="utf-8")):
                found.setdefault(m.group(1), set()).add(path.relative_to(ROOT).as_posix())
    return found


def test_every_emitted_code_is_in_the_playbook() -> None:
    playbook = (ROOT / "PLAYBOOK.md").read_text(encoding="utf-8")
    codes = emitted_codes()
    assert len(codes) > 100  # the scan sees the phases' codes
    missing = {c: sorted(where) for c, where in codes.items() if not re.search(rf"\b{c}\b", playbook)}
    assert not missing, f"report codes missing from PLAYBOOK.md: {missing}"

"""The architecture stays as designed: import contracts (also run by `lint-imports` in CI)
and no import cycle between any two modules of the runtime."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

RUNTIME = ("bot", "db", "config")
ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    """handlers -> flows -> views -> domain; handlers are leaves; no test double at run time."""
    linter = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_no_module_imports_itself_through_others() -> None:
    graph = grimp.build_graph(*RUNTIME)
    ours = {m for m in graph.modules if m.split(".")[0] in RUNTIME}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        path.append(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module) & ours):
            if state.get(imported) == 1:
                cycles.append([*path[path.index(imported) :], imported])
            elif imported not in state:
                visit(imported, path)
        path.pop()
        state[module] = 2

    for module in sorted(ours):
        if module not in state:
            visit(module, [])
    assert cycles == []

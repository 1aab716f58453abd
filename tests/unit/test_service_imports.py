"""The service layer hides no import cycle in a function (docs/architecture.md, "Layers").

import-linter's contracts in pyproject.toml forbid cycles between service's modules and areas; a cycle
"broken" by importing inside a function would still be one, and would only fail later, at a call. So
no function of service/ imports iamd; a function may import a third-party module late (its cost at
start-up), with a comment saying so.
"""

from __future__ import annotations

import ast
from pathlib import Path

import iamd.service

SERVICE = Path(iamd.service.__file__).parent


def _function_imports(tree: ast.Module) -> list[tuple[int, str]]:
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.append((node.lineno, node.module))
            elif isinstance(node, ast.Import):
                found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def test_no_function_imports_iamd():
    late = []
    for path in sorted(SERVICE.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        late += [f"{path.relative_to(SERVICE)}:{line} imports {module}"
                 for line, module in _function_imports(tree) if module.split(".")[0] == "iamd"]
    assert late == []


def test_the_check_sees_a_function_import():
    tree = ast.parse("def f():\n    from iamd.service.identities import users\n    return users\n")
    assert _function_imports(tree) == [(2, "iamd.service.identities")]

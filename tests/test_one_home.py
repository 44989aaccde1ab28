"""One home for each concept: the counts that can be counted stay at one.

A dotted path is parsed only by ``model/dotted.py``; text becomes a parameter value only
through ``model.schema.parse_text`` (one set of yes/no words); the party labels live in
``model.analysis.PARTIES``; the shipped data is located only by ``model/shipped.py``;
no file cites a document outside the repository.
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT_CODE = ("model", "reports", "webapp")
#: Modules that split dotted text only to wrap it for display, never to interpret it.
WRAPS_FOR_DISPLAY = {"model/cli/tables.py", "model/cli/risk.py"}


def tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / p for p in out if (ROOT / p).is_file()]


def python_files() -> list[Path]:
    return [p for p in tracked(*(f"{d}/*.py" for d in PRODUCT_CODE)) if p.suffix == ".py"] + [
        ROOT / "app.py"
    ]


def rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def calls(tree: ast.AST, method: str) -> list[ast.Call]:
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == method
        and n.args
        and isinstance(n.args[0], ast.Constant)
        and n.args[0].value == "."
    ]


def test_only_the_dotted_module_splits_paths() -> None:
    found = {
        rel(p) for p in python_files() if calls(ast.parse(p.read_text()), "split")
    } - WRAPS_FOR_DISPLAY
    assert found == {"model/dotted.py"}, f"dotted paths split by hand in {sorted(found)}"


def test_one_set_of_yes_no_words() -> None:
    """Text is turned into a yes/no value in one place (model.schema.parse_text)."""
    homes = []
    for p in python_files():
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, (ast.Tuple, ast.Set, ast.List, ast.Dict)):
                items = node.keys if isinstance(node, ast.Dict) else node.elts
                words = {i.value for i in items if isinstance(i, ast.Constant)}
                if {"yes", "true"} <= words or {"no", "false"} <= words:
                    homes.append(f"{rel(p)}:{node.lineno}")
    assert len(homes) == 2 and all(h.startswith("model/schema.py") for h in homes), homes


@pytest.mark.parametrize("name", ["party_label", "party_keys", "parse_path", "parse_text"])
def test_defined_once(name: str) -> None:
    homes = [
        rel(p)
        for p in python_files()
        for node in ast.walk(ast.parse(p.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name == name
    ]
    assert len(homes) == 1, f"{name} defined in {homes}"


def test_shipped_data_located_in_one_place() -> None:
    homes = [
        rel(p)
        for p in python_files()
        if "__file__" in (text := p.read_text()) and '"assumptions"' in text
    ]
    assert homes == ["model/shipped.py"], homes


def test_no_document_outside_the_repository_is_cited() -> None:
    cited = [
        rel(p)
        for p in tracked("*.py", "*.md", "*.yaml", "*.toml", "*.csv", ".ci/*", "Makefile")
        if "MODEL_SPEC" in p.read_text(errors="replace")
        or "DOMAIN.md" in p.read_text(errors="replace")
    ]
    assert set(cited) <= {rel(Path(__file__)), "tests/test_cli_project.py"}, cited

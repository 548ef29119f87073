"""The layout the team agreed on (docs/ARCHITECTURE.md) is the layout the tree has.

These read the source as text and imports as syntax: nothing is run. They fail when a package is
added without a line in the document, a module outgrows its job, core/ starts importing Streamlit,
or two packages start importing each other.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "ARCHITECTURE.md"
MAX_LINES = 400


def _modules() -> list[Path]:
    """Every Python module of the product (core/, ui/, pages/), migrations' version scripts aside."""
    found = [*ROOT.glob("core/**/*.py"), *ROOT.glob("ui/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]
    return sorted(p for p in found if "versions" not in p.parts)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def _package_of(dotted: str) -> str | None:
    """``core.importing.plan`` → ``core.importing``; a top-level module (``core.cli``) is its own unit, ``ui`` is one."""
    parts = dotted.split(".")
    if parts[0] == "ui":
        return "ui"
    if parts[0] != "core" or len(parts) < 2 or parts[1] == "__init__":
        return None
    return ".".join(parts[:2])


def test_every_package_is_described_and_every_described_path_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    packages = sorted({str(p.parent.relative_to(ROOT)) for p in [*ROOT.glob("core/**/__init__.py"),
                                                                     *ROOT.glob("ui/__init__.py")]
                       if "migrations" not in p.parts})
    missing = [p for p in packages if f"`{p}/`" not in text]
    assert not missing, f"packages with no entry in docs/ARCHITECTURE.md: {missing}"
    named = set(re.findall(r"`((?:core|ui|pages|tests|bench|scripts)/[\w/.]*)`", text))
    gone = sorted(n for n in named if not (ROOT / n.rstrip("/")).exists())
    assert not gone, f"docs/ARCHITECTURE.md names paths that do not exist: {gone}"


def test_every_module_has_its_line() -> None:
    text = DOC.read_text(encoding="utf-8")
    unnamed = [str(p.relative_to(ROOT)) for p in _modules()
               if p.name != "__init__.py" and f"`{p.name}`" not in text and f"`{p.relative_to(ROOT)}`" not in text]
    assert not unnamed, f"modules with no line in docs/ARCHITECTURE.md: {unnamed}"


def test_no_module_outgrows_its_job() -> None:
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in _modules()}
    big = {p: n for p, n in sizes.items() if n > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines: {big}"


def test_only_the_ui_layer_imports_streamlit() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in ROOT.glob("core/**/*.py")
                 if any(n == "streamlit" or n.startswith("streamlit.") for n in _imports(p))]
    assert not offenders, f"core/ must not import streamlit: {offenders}"


def test_packages_import_one_way() -> None:
    """No two packages import each other, directly or round a longer circle."""
    graph = nx.DiGraph()
    for path in _modules():
        rel = path.relative_to(ROOT).with_suffix("")
        own = _package_of(".".join(rel.parts))
        if own is None:
            continue
        for name in _imports(path):
            other = _package_of(name)
            if other and other != own:
                graph.add_edge(own, other)
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, f"packages that import each other: {cycles}"

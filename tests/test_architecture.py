"""The shape of the package, checked from its source: the synthetic generator sits on top (only
the data route, training and evaluation reach it), and module-level imports form no circle."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "talentlib"

# the only modules (besides synth/ itself) that may import the generator
MAY_IMPORT_SYNTH = {"talentlib.datasets", "talentlib.training", "talentlib.evaluation"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def from_module(node: ast.ImportFrom, package: str) -> str:
    """The absolute module of ``from X import …`` written in ``package`` (relative resolved)."""
    if not node.level:
        return node.module or ""
    base = package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports(path: Path, *, top_level_only: bool = False, me: str | None = None) -> set[str]:
    """Absolute names of the talentlib modules a file imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = me or module_name(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("talentlib")}
        elif isinstance(node, ast.ImportFrom):
            mod = from_module(node, package)
            if mod.startswith("talentlib"):
                found.add(mod)
                found |= {f"{mod}.{a.name}" for a in node.names}
    return found


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def test_only_the_data_route_training_and_evaluation_import_the_generator() -> None:
    offenders = []
    for name, path in modules().items():
        if name.startswith("talentlib.synth") or any(
            name == m or name.startswith(m + ".") for m in MAY_IMPORT_SYNTH
        ):
            continue
        synth = sorted(m for m in imports(path) if m.startswith("talentlib.synth"))
        if synth:
            offenders.append(f"{name} imports {synth[0]}")
    assert not offenders, offenders


def test_no_import_circle_at_module_level() -> None:
    mods = modules()
    graph = {
        name: {m for m in imports(path, top_level_only=True) if m in mods and m != name}
        for name, path in mods.items()
    }
    # a package's __init__ importing its own submodules is how packages are built, not a circle
    for name in graph:
        graph[name] = {m for m in graph[name] if not m.startswith(name + ".")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(n: str, stack: list[str]) -> None:
        state[n] = 1
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                cycles.append([*stack[stack.index(m) :], m] if m in stack else [n, m])
            elif m not in state:
                visit(m, [*stack, m])
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n, [n])
    assert not cycles, cycles


def test_the_import_reader_resolves_relative_and_lazy_imports(tmp_path: Path) -> None:
    p = tmp_path / "probe.py"
    p.write_text(
        "from ..synth import generate\n"
        "def f():\n    import talentlib.synth.postings\n"
        "from . import tagger\n"
    )
    found = imports(p, me="talentlib.postings.probe")
    assert {"talentlib.synth", "talentlib.synth.postings", "talentlib.postings.tagger"} <= found
    top = imports(p, me="talentlib.postings.probe", top_level_only=True)
    assert "talentlib.synth.postings" not in top and "talentlib.synth" in top


def test_the_public_face_resolves_and_import_is_cheap() -> None:
    import subprocess
    import sys

    code = (
        "import sys, talentlib\n"
        "assert 'polars' not in sys.modules, 'import talentlib pulled in polars'\n"
        "for n in talentlib.__all__:\n"
        "    getattr(talentlib, n)\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


MAX_LINES = 800  # a module past this is several modules, unless its docstring says why not


def test_no_module_is_several_modules() -> None:
    """Every module stays under ~800 lines, or says in its docstring why it is one thing."""
    too_long = []
    for name, path in modules().items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") <= MAX_LINES:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if "Why one module:" not in doc:
            too_long.append(f"{name} ({text.count(chr(10))} lines)")
    assert not too_long, f"split these, or say 'Why one module:' in the docstring: {too_long}"


def test_no_private_name_crosses_a_module() -> None:
    """A name that starts with one underscore is used only in the module that defines it:
    what another module needs is public (issue 9: private names crossed modules)."""
    mods = modules()
    crossings = []
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                mod = from_module(node, package)
                for a in node.names if mod.startswith("talentlib") else ():
                    if f"{mod}.{a.name}" in mods:
                        aliases[a.asname or a.name] = f"{mod}.{a.name}"
                    elif a.name.startswith("_") and not a.name.startswith("__"):
                        crossings.append(f"{name}: from {mod} import {a.name}")
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("talentlib") and a.asname:
                        aliases[a.asname] = a.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                crossings.append(f"{name}: {aliases[node.value.id]}.{node.attr}")
    assert not crossings, sorted(set(crossings))

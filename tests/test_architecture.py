"""The layering of the code base, measured from the source (docs/architecture.md).

``make lint`` checks the import contracts with import-linter (``[tool.importlinter]`` in
pyproject.toml). These tests check what its contracts cannot express: no import cycles among
our modules, no function-local imports between our packages, and that the family-free layers
name no family (a family found by the registry is whatever ``gen/<name>/family.py`` exists,
so a fifth family is covered without editing this file). Run with ``-s`` to print the figures.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gen", "hw", "verif", "sim_models")
SHARED = ("gen.eda", "gen.flow", "gen.cli")
#: Function-local imports between packages that stay, each with its reason.
JUSTIFIED: dict[tuple[str, str], str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_pkg else base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or \
        (isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(path: Path):
    """``(target module, line, local)`` of every runtime import of ``path`` (our packages)."""
    module = _module_name(path)
    is_pkg = path.name == "__init__.py"
    tree = ast.parse(path.read_text(), str(path))
    out = []

    def visit(node, local: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                continue
            inner = local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                out.extend((a.name, child.lineno, local) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = _resolve(module, is_pkg, child)
                for a in child.names:
                    out.append((f"{base}.{a.name}" if a.name != "*" else base, child.lineno,
                                local))
            visit(child, inner)

    visit(tree, False)
    return module, [(t, line, loc) for t, line, loc in out if t.split(".")[0] in PACKAGES]


def _graph():
    files = [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))
             if "data" not in p.parts]
    mods = {_module_name(p): p for p in files}
    edges: dict[str, list[tuple[str, int, bool]]] = {}
    for p in files:
        name, imps = _imports(p)
        resolved = []
        for target, line, local in imps:
            while target and target not in mods:  # `from pkg import name`: the module
                target = target.rpartition(".")[0]
            if target and target != name:
                resolved.append((target, line, local))
        edges[name] = resolved
    return mods, edges


def _area(module: str) -> str:
    """The package a module belongs to for layering: gen.<sub> inside gen, else top level."""
    parts = module.split(".")
    if parts[0] == "gen" and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def _cycles(edges) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w, _, _ in edges.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            strong(v)
    return out


def _families() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "gen").glob("*/family.py")
                  if f"gen.{p.parent.name}" not in SHARED)


def test_no_import_cycles():
    _, edges = _graph()
    cycles = _cycles(edges)
    print(f"\nimport cycles: {len(cycles)}")
    assert not cycles, f"import cycles: {cycles}"


def test_no_function_local_imports_between_packages():
    _, edges = _graph()
    local = sorted((src, t, line) for src, imps in edges.items() for t, line, loc in imps
                   if loc and _area(src) != _area(t) and (src, t) not in JUSTIFIED)
    print(f"\nfunction-local imports between packages: {len(local)} "
          f"(+{len(JUSTIFIED)} justified)")
    assert not local, "function-local imports between packages:\n" + "\n".join(
        f"  {s}:{line} imports {t}" for s, t, line in local)


def test_layers():
    """sim_models < hw, verif < gen; gen.eda < gen.flow < families; families independent."""
    _, edges = _graph()
    allowed = {"sim_models": {"sim_models"}, "hw": {"hw"},
               "verif": {"verif", "hw", "sim_models"}}
    families = _families()
    bad = []
    for src, imps in edges.items():
        top, area = src.split(".")[0], _area(src)
        for t, line, _ in imps:
            t_area = _area(t)
            if top in allowed and t.split(".")[0] not in allowed[top]:
                bad.append(f"{src}:{line} imports {t}")
            elif area in SHARED and t_area.removeprefix("gen.") in families:
                bad.append(f"{src}:{line} (family-free) imports family module {t}")
            elif area == "gen.eda" and t_area == "gen.flow":
                bad.append(f"{src}:{line} (engine) imports the flow: {t}")
            elif area.removeprefix("gen.") in families and t_area != area \
                    and t_area.removeprefix("gen.") in families:
                bad.append(f"{src}:{line} imports another family: {t}")
    print(f"\nlayering violations: {len(bad)} (families: {', '.join(families)})")
    assert not bad, "\n".join(bad)


def test_gen_is_engine_flow_families_and_cli():
    """gen/ holds the engine, the flow, one package per family and the thin CLI; nothing flat."""
    flat = sorted(p.name for p in (ROOT / "gen").glob("*.py")
                  if p.name not in ("__init__.py", "cli.py"))
    assert not flat, f"modules outside gen/eda, gen/flow and the family packages: {flat}"
    for fam in _families():
        assert (ROOT / "docs" / f"{fam}.md").is_file(), f"family {fam} has no docs/{fam}.md"
        assert (ROOT / "tests" / fam).is_dir(), f"family {fam} has no tests/{fam}/"

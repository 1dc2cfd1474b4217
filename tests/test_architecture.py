"""The house's rules, checked on the code itself: layers point one way, surfaces stay apart,
tests share helpers rather than import each other, and every citation of the docs resolves."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "registry"
TOP_LEVEL_MODULES_MAX = 18

# What binds the application together: they may import anything in the package.
ENTRY_POINTS = {"registry", "registry.__main__", "registry.app", "registry.wsgi", "registry.cli"}
# How people and systems reach the registry; each is a package that imports no other surface.
SURFACES = {"api", "feeds", "exports", "web", "console"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py")) if "migrations" not in path.parts}


def is_package(name: str, known: dict[str, Path]) -> bool:
    return known[name].name == "__init__.py"


def imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, str | None, int]]:
    """Every (module, name imported from it or None, line) that this module imports, within `registry`."""
    found = []
    package = name if is_package(name, known) else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names if alias.name.split(".")[0] == "registry"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "registry":
                continue
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.append((submodule, None, node.lineno) if submodule in known else (target, alias.name, node.lineno))
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for target, _name, _line in imports(name, path, known):
            # Importing a.b.c runs a, a.b and a.b.c; a module's own parent packages are already running.
            parts = target.split(".")
            for depth in range(1, len(parts) + 1):
                step = ".".join(parts[:depth])
                if step in known and step != name and not name.startswith(step + "."):
                    edges[name].add(step)
    return edges


def layer(name: str) -> str:
    if name in ENTRY_POINTS:
        return "entry point"
    parts = name.split(".")
    if len(parts) > 1 and parts[1] in SURFACES:
        return f"surface {parts[1]}"
    if len(parts) > 1 and parts[1] == "cli":
        return "entry point"
    return "core"


def test_no_import_cycle():
    edges = graph()
    cycles, state = [], {}

    def visit(name, trail):
        state[name] = "open"
        for target in sorted(edges[name]):
            if state.get(target) == "open":
                cycles.append(trail[trail.index(target):] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[name] = "done"

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_layers_point_one_way_and_surfaces_stay_apart():
    wrong = []
    for name, targets in graph().items():
        for target in targets:
            source, destination = layer(name), layer(target)
            if source == destination or source == "entry point":
                continue
            if destination != "core":  # core never imports a surface or an entry point; a surface no other surface
                wrong.append(f"{name} ({source}) imports {target} ({destination})")
    assert wrong == []


def test_nothing_imports_from_the_package_init():
    known = modules()
    found = [f"{name}:{line} imports {imported} from registry/__init__.py"
             for name, path in known.items() for target, imported, line in imports(name, path, known)
             if target == "registry" and name != "registry"]
    assert found == []


def test_the_folder_listing_reads_as_surfaces_services_and_models():
    top_level = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top_level) <= TOP_LEVEL_MODULES_MAX, top_level
    for surface in SURFACES:
        init = PACKAGE / surface / "__init__.py"
        tree = ast.parse(init.read_text(encoding="utf-8"))
        defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        defined |= {alias.asname or alias.name for node in tree.body if isinstance(node, ast.ImportFrom) for alias in node.names}
        assert "register" in defined, f"registry/{surface}/ has no register(app)"


def test_every_blueprint_is_called_bp():
    names = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                    and getattr(node.value.func, "id", getattr(node.value.func, "attr", "")) == "Blueprint"):
                names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
    assert names == {"bp"}


def test_no_test_module_imports_another():
    wrong = []
    for path in (ROOT / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [alias.name for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            if any(part.startswith("test_") for name in names for part in name.split(".")):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert wrong == []


# -- citations -------------------------------------------------------------------------------------------------

CITATION = re.compile(r'docs/([A-Za-z0-9_-]+\.md)(?:, "([^"]+)")?')
CITING = ("registry", "tests", "bench", "scripts", "docs", "README.md", "babel.cfg", ".ci")


def cited_files():
    for name in CITING:
        path = ROOT / name
        for found in ([path] if path.is_file() else sorted(path.rglob("*"))):
            if found.is_file() and found.suffix in {".py", ".md", ".html", ".cfg", ".po", ".pot", ".js", ".css", ""}:
                yield found


def headings(document: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", document.read_text(encoding="utf-8"), flags=re.S)
    return {match.strip() for match in re.findall(r"^#+\s+(.+)$", text, re.M)}


def test_every_cited_docs_section_exists():
    missing = []
    for path in cited_files():
        for line_number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            for document, section in CITATION.findall(line):
                target = ROOT / "docs" / document
                if not target.exists():
                    missing.append(f"{path.relative_to(ROOT)}:{line_number}: docs/{document} does not exist")
                elif section and section not in headings(target):
                    missing.append(f"{path.relative_to(ROOT)}:{line_number}: docs/{document} has no section {section!r}")
    assert missing == []


def test_nothing_cites_a_document_outside_the_repository():
    outside = "CONTR" + "ACT"  # the old contract, now docs/api.md
    found = [f"{path.relative_to(ROOT)}" for path in cited_files() if outside in path.read_text(encoding="utf-8", errors="replace")]
    assert found == []

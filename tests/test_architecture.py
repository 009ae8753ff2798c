"""The shape of the code: tfgan imports nothing from tools/ or benchmarks/, no module imports a tool, no
import circle among tfgan's modules, no private name used outside its module, a thin train tool."""

import ast
import glob
import os

from conftest import ROOT


def module_name(path):
    relative = os.path.relpath(path, ROOT)[:-len(".py")].replace(os.sep, ".")
    return relative[:-len(".__init__")] if relative.endswith(".__init__") else relative


def library_modules():
    return {module_name(p): p for p in glob.glob(os.path.join(ROOT, "tfgan", "**", "*.py"), recursive=True)}


def imported_modules(path, modules):
    """The tfgan modules `path` imports anywhere in it (lazy imports inside functions count too)."""
    found = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {name for name in found if name in modules}


def test_no_import_circle_among_tfgan_modules():
    modules = library_modules()
    del modules["tfgan"]  # the package's lazy facade only forwards attribute lookups
    graph = {name: imported_modules(path, modules) - {name} for name, path in modules.items()}
    # A package's own __init__ re-exporting its submodules is not an arrow back into the package.
    for name in graph:
        graph[name] = {target for target in graph[name] if not name.startswith(target + ".")}
    state, stack = {}, []

    def visit(name):
        state[name] = "open"
        stack.append(name)
        for target in sorted(graph[name]):
            assert state.get(target) != "open", "import circle: " + " -> ".join(stack[stack.index(target):] + [target])
            if target not in state:
                visit(target)
        stack.pop()
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name)


def test_the_library_imports_no_tool_and_nothing_imports_a_tool():
    for path in glob.glob(os.path.join(ROOT, "**", "*.py"), recursive=True):
        tree = ast.parse(open(path).read())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert not name.startswith("tools") and name not in ("train", "evaluate", "sample", "plot"), \
                    f"{os.path.relpath(path, ROOT)} imports {name}"
                if os.path.relpath(path, ROOT).startswith("tfgan"):
                    assert not name.startswith("benchmarks"), f"{path} imports {name}"


def test_no_private_name_is_used_outside_its_module():
    modules = library_modules()
    for name, path in modules.items():
        tree = ast.parse(open(path).read())
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tfgan"):
                for alias in node.names:
                    assert not alias.name.startswith("_"), f"{name} imports {node.module}.{alias.name}"
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("tfgan"):
                        aliases[alias.asname or alias.name] = alias.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr.startswith("_") \
                    and not node.attr.startswith("__") and aliases.get(node.value.id) in modules:
                raise AssertionError(f"{name} uses {aliases[node.value.id]}.{node.attr}")


def test_train_tool_is_a_thin_shell():
    lines = [line for line in open(os.path.join(ROOT, "tools", "train.py")) if line.strip()]
    code = [line for line in lines if not line.lstrip().startswith("#")]
    assert len(code) <= 200

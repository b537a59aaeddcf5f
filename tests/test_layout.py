"""The package's shape: the root holds the public API, only spbpe._core
touches cffi, every module imports, and no modules import each other in a
cycle (counting imports inside functions, which cycle just the same)."""

import ast
import importlib
import pathlib
import pkgutil
import re

import pytest

import spbpe

PACKAGE = pathlib.Path(spbpe.__file__).parent
PUBLIC_ROOT = {
    "__init__",
    "__main__",
    "errors",
    "processor",
    "trainer",
    "normalizer",
    "flatbuffer",
    "model_edit",
    "lattice_api",
    "random_seed",
    "settings",  # sentencepiece's ThreadPool and Set* (issue 16)
    "sentencepiece_pb2",  # the submodules sentencepiece's users import (issue 16)
    "sentencepiece_model_pb2",
    "counts",  # count_words / merge_counts / train_from_counts (issue 17)
    "columnar",  # encode_to_arrays's TokenArrays (issue 17)
}
SUBPACKAGES = {"_api", "_core", "_proto", "_charsmap", "cli", "gpt", "serve", "ray"}
COMPILED = {"spbpe._core._spbpe", "spbpe._core._pylists"}


def _modules():
    """Module name -> path of every .py file of the package."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def test_the_root_holds_only_the_public_api():
    found = {m.name for m in pkgutil.iter_modules(spbpe.__path__)}
    assert {m.name for m in pkgutil.iter_modules(spbpe.__path__) if m.ispkg} == SUBPACKAGES
    assert found - SUBPACKAGES == PUBLIC_ROOT - {"__init__"}


def test_only_the_binding_touches_cffi():
    word = re.compile(r"\b(ffi|lib|cffi|_spbpe)\b")
    offenders = [
        f"{name}:{no}: {line.strip()}"
        for name, path in MODULES.items()
        if not name.startswith("spbpe._core")
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if word.search(line)
    ]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("name", sorted(set(MODULES) - {"spbpe.__main__", "spbpe._core.build"}))
def test_every_module_imports(name):
    importlib.import_module(name)


def _imports(name: str, path: pathlib.Path):
    """The package's modules that `name` imports, anywhere in its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            subs = [f"{mod}.{a.name}" for a in node.names]
            known = [s for s in subs if s in MODULES or s in COMPILED]
            # `from pkg import name` runs pkg/__init__.py for a name defined
            # there; for a submodule it needs only the submodule.
            targets = known + ([mod] if len(known) < len(subs) else [])
        else:
            continue
        for t in targets:
            if t in MODULES or t in COMPILED:
                yield t


def test_no_import_cycles():
    graph = {name: set(_imports(name, path)) - {name} for name, path in MODULES.items()}
    cycles = []
    state = {}  # 1 = on the DFS stack, 2 = done

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_the_cycle_check_sees_function_level_and_relative_imports():
    edges = set(_imports("spbpe.cli.main", MODULES["spbpe.cli.main"]))
    assert {"spbpe.cli.verify", "spbpe.processor", "spbpe.errors", "spbpe.cli.flags"} <= edges


def test_the_binding_model_info_mirrors_the_c_struct():
    # NativeModel.info is a plain NamedTuple copied from spbpe_model_info:
    # a field added in C must be added there too.
    from spbpe._core._spbpe import ffi
    from spbpe._core.native import ModelInfo

    assert ModelInfo._fields == tuple(name for name, _ in ffi.typeof("spbpe_model_info").fields)

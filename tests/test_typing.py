"""The package ships its types: a py.typed marker, and a stub for
processor.py (whose CamelCase aliases are made at import time) that names
exactly the attributes the class has.  mypy and its stubtest run in .ci/run;
this test needs neither."""

import ast
import pathlib

import spbpe
from spbpe.processor import SentencePieceProcessor

PACKAGE = pathlib.Path(spbpe.__file__).parent


def _stub_class_names(path: pathlib.Path, cls: str) -> set:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    (node,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls]
    names = set()
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(item.name)
        elif isinstance(item, ast.Assign):
            names.update(t.id for t in item.targets if isinstance(t, ast.Name))
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            names.add(item.target.id)
    return names


def test_py_typed_marker_is_shipped():
    assert (PACKAGE / "py.typed").is_file()


def test_processor_stub_names_every_public_attribute():
    # dir(): the processor inherits its decode and encode-variant methods from mixins.
    runtime = {n for n in dir(SentencePieceProcessor) if not n.startswith("_")}
    stub = {n for n in _stub_class_names(PACKAGE / "processor.pyi", "SentencePieceProcessor") if not n.startswith("_")}
    assert runtime - stub == set(), "in processor.py but not in processor.pyi"
    assert stub - runtime == set(), "in processor.pyi but not in processor.py"


def test_camel_case_aliases_are_in_the_stub():
    stub = _stub_class_names(PACKAGE / "processor.pyi", "SentencePieceProcessor")
    assert {"EncodeAsIds", "DecodeIds", "IdToPiece", "PieceToId", "Tokenize", "Detokenize", "GetPieceSize"} <= stub

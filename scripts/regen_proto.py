"""Regenerate spbpe/_proto/model_pb2.py (and its .pyi stub) from spbpe/_proto/sentencepiece_model.proto.

The committed files were produced by **grpcio-tools 1.63.0** (bundled libprotoc 26.1,
Python gencode 5.26.1). That gencode version is the floor of the protobuf runtime
spbpe supports (pyproject: ``protobuf>=5.26``): a newer grpcio-tools would write a
runtime-version check that rejects older runtimes, so keep this pin unless you mean
to raise that floor. grpcio-tools 1.63.0 needs protobuf 5.x, so run it in its own venv:

    python -m venv /tmp/venv-gen
    /tmp/venv-gen/bin/pip install grpcio-tools==1.63.0
    /tmp/venv-gen/bin/python scripts/regen_proto.py

Pass ``--any-version`` to use whatever grpcio-tools is installed (then adjust the
protobuf floor in pyproject.toml to the "Protobuf Python Version" in the output).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile

__all__ = ["PINNED_GRPCIO_TOOLS", "regenerate", "main"]

PINNED_GRPCIO_TOOLS = "1.63.0"
ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCE = pathlib.Path("spbpe") / "_proto" / "sentencepiece_model.proto"  # relative to ROOT
# The name the schema has in protobuf's descriptor pool (its path when it lived
# at the package root): kept, so the generated descriptor bytes do not change.
PROTO = pathlib.Path("spbpe") / "sentencepiece_model.proto"
OUT_DIR = pathlib.Path("spbpe") / "_proto"
OUT_MODULE = "spbpe._proto.model_pb2"
OUT_NAME = "model_pb2"


def regenerate(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    """Run protoc on the schema and write spbpe/_proto/model_pb2.py and .pyi; return their paths.

    Example: ``regenerate()`` -> ``[.../spbpe/_proto/model_pb2.py, .../spbpe/_proto/model_pb2.pyi]``
    """
    import grpc_tools
    from grpc_tools import protoc  # imported here so --help works without it

    include = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    written = []
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as src_root:
        staged = pathlib.Path(src_root) / PROTO  # the schema under its pool name
        staged.parent.mkdir(parents=True)
        staged.write_bytes((root / SOURCE).read_bytes())
        rc = protoc.main(
            ["protoc", f"-I{src_root}", f"-I{include}", f"--python_out={tmp}", f"--pyi_out={tmp}", str(PROTO)]
        )
        if rc != 0:
            raise SystemExit(f"protoc failed with status {rc}")
        stem = PROTO.with_suffix("")
        for ext in (".py", ".pyi"):
            src = pathlib.Path(tmp) / f"{stem}_pb2{ext}"
            dst = root / OUT_DIR / f"{OUT_NAME}{ext}"
            text = src.read_text(encoding="utf-8")
            if ext == ".py":
                # protoc names the module after the .proto file; the classes'
                # __module__ must name the module they really live in (pickle).
                old = f"'{stem.as_posix().replace('/', '.')}_pb2'"
                if old not in text:
                    raise SystemExit(f"protoc output changed: {old} not found")
                text = text.replace(old, f"'{OUT_MODULE}'")
            dst.write_text(text, encoding="utf-8")
            written.append(dst)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point. Example: ``python scripts/regen_proto.py``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--any-version", action="store_true", help=f"do not insist on grpcio-tools=={PINNED_GRPCIO_TOOLS}")
    args = ap.parse_args(argv)
    try:
        from importlib.metadata import version

        have = version("grpcio-tools")
    except Exception:
        print("grpcio-tools is not installed; see this script's docstring", file=sys.stderr)
        return 2
    if have != PINNED_GRPCIO_TOOLS and not args.any_version:
        print(
            f"grpcio-tools {have} is installed, the committed code comes from "
            f"{PINNED_GRPCIO_TOOLS}; install that or pass --any-version",
            file=sys.stderr,
        )
        return 2
    for p in regenerate():
        print(f"wrote {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

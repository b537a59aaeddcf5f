"""Shared helpers for the command-line tests: run ``python -m spbpe``, pick a real model, sample lines."""

import os
import subprocess
import sys

from tests.helpers.hard_cases import HARD_CASES
from tests.helpers.models import ROOT, corpus_lines, real_model_paths


def run_spbpe(*args, input=None, check=True, cwd=None, block=(), env=None, prelude=""):
    """Run ``python -m spbpe ARGS`` in a subprocess; returns the CompletedProcess (bytes).

    ``block`` names modules that fail to import there (as if not installed);
    ``prelude`` is Python run before the command line (to install a stand-in module);
    ``env`` adds environment variables.
    """
    extra_env = env or {}
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("SPBPE_TRACEBACK", None)
    env.update(extra_env)
    start = ["-m", "spbpe"]
    if block or prelude:
        start = [
            "-c",
            f"import sys\nfor m in {list(block)!r}: sys.modules[m] = None\n{prelude}\n"
            "from spbpe.cli import main\nsys.exit(main(sys.argv[1:]))",
        ]
    p = subprocess.run(
        [sys.executable, *start, *map(str, args)],
        input=input,
        capture_output=True,
        env=env,
        cwd=str(cwd or ROOT),
    )
    if check and p.returncode != 0:
        raise AssertionError(f"spbpe {' '.join(map(str, args))} failed ({p.returncode}):\n{p.stderr.decode()}")
    return p


def real_model():
    """Llama 2 when the workspace has it, else Mistral v1 from mistral-common (both byte fallback)."""
    models = real_model_paths()
    for name in ("llama2.model", "tokenizer.model.v1", "mistral_instruct_tokenizer_241114.model.v7"):
        if name in models:
            return models[name]
    raise RuntimeError("no real model: install mistral-common")


def sample_lines(per_file=6):
    """Lines as bytes: a few of every corpus file plus the hand-written hard cases (no newlines inside)."""
    out = []
    for _, line in corpus_lines(per_file):
        out.append(line.encode("utf-8", "surrogateescape"))
    for x in HARD_CASES:
        b = x if isinstance(x, bytes) else x.encode("utf-8")
        if b"\n" not in b and len(b) < 5000:
            out.append(b)
    return out


def write_lines(path, lines):
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def read_png(data):
    """A tiny PNG reader (8-bit RGB or RGBA, not interlaced): (width, height, rows of (r, g, b) tuples)."""
    import struct
    import zlib

    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp : x * bpp + 3]) for x in range(width)])
        prev = line
    return width, height, rows

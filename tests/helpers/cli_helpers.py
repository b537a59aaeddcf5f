"""Shared helpers for the command-line tests: run ``python -m spbpe``, pick a real model, sample lines."""

import os
import subprocess
import sys

from tests.helpers.hard_cases import HARD_CASES
from tests.helpers.models import ROOT, corpus_lines, real_model_paths


def run_spbpe(*args, input=None, check=True, cwd=None):
    """Run ``python -m spbpe ARGS`` in a subprocess; returns the CompletedProcess (bytes)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run(
        [sys.executable, "-m", "spbpe", *map(str, args)],
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

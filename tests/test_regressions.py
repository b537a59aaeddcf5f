"""Replay tests/regressions/ (fuzzer and mutant finds, plus hand-written
hostile inputs) through the Python API, in a subprocess so a crash fails
this test instead of killing pytest.  See tests/regressions/README.md."""

import subprocess
import sys

import pytest

from tests.helpers.models import ROOT, mistral_models

REG = ROOT / "tests" / "regressions"

_WORKER = r"""
import sys, spbpe
from spbpe._core.native import NativeModel
kind, models = sys.argv[1], sys.argv[2:]
for line in sys.stdin.read().splitlines():
    data = open(line, "rb").read()
    if kind == "model":
        try:
            sp = spbpe.SentencePieceProcessor()
            sp.load_from_serialized_proto(data)
        except spbpe.SpbpeError as e:
            assert isinstance(e, ValueError) and str(e), (line, e)
            print("rejected", line)
            continue
        sp.decode(sp.encode("Hello w\u00f6rld <s> 12"), return_type=bytes)
        print("loaded", line)
    else:
        for path in models:
            m = NativeModel(open(path, "rb").read())
            fast = m.encode_ids(data[1:])
            ref = m.encode_ids(data[1:], reference_path=True)
            assert fast == ref, (line, path)
            m.decode_ids(fast)
        print("ok", line)
"""


@pytest.mark.parametrize("kind", ["model", "encode"])
def test_replay(kind):
    files = sorted(p for p in (REG / kind).iterdir() if p.is_file())
    assert files, f"no regression inputs in {REG / kind}"
    models = [str(p) for p in list(mistral_models().values())[:2]]
    r = subprocess.run(
        [sys.executable, "-c", _WORKER, kind] + models,
        input="\n".join(map(str, files)),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=str(ROOT),
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert len(r.stdout.splitlines()) == len(files)

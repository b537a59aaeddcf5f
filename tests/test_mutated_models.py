"""1050 seeded mutants of real models (Mistral's, and small ones trained here
with the official sentencepiece) each load fine or raise an spbpe error that
is a ValueError with a message: never a crash, hang or huge allocation.

The mutants (tests/helpers/mutants.py) are regenerated inside worker processes that
run under a 1.5 GiB RLIMIT_AS, so a crash cannot take pytest down and an
attempt at a multi-GB allocation fails visibly (as MemoryError, which counts
as a failure).  scripts/sentencepiece_mutants.py runs the same mutants
through the official sentencepiece for comparison.
"""

import collections
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.helpers.models import BUNDLED_TEXT, ROOT, mistral_models

spm = pytest.importorskip("sentencepiece")

N_MUTANTS = 600
SEED = 7
CHUNKS = 4
SMALL = {
    "bf_udef": dict(
        vocab_size=600,
        normalization_rule_name="identity",
        byte_fallback=True,
        user_defined_symbols=["<sep>", "ab c"],
        control_symbols=["<cls>"],
    ),
    "nfkc_suffix": dict(vocab_size=500, treat_whitespace_as_suffix=True),
}


@pytest.fixture(scope="module")
def base_paths(tmp_path_factory):
    from tests.helpers.mutants import train_bases

    d = tmp_path_factory.mktemp("mutant_bases")
    lines = BUNDLED_TEXT.read_text(encoding="utf-8").splitlines()[:3000]
    return train_bases(str(d), SMALL, lines, [str(p) for p in list(mistral_models().values())[:2]])


def _run_chunk(paths, start, stop):
    cmd = [
        sys.executable,
        str(ROOT / "tests" / "helpers" / "mutants.py"),
        "spbpe",
        str(SEED),
        str(start),
        str(stop),
    ] + paths
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired as e:
        done = (e.stdout or b"").decode().splitlines() if isinstance(e.stdout, bytes) else (e.stdout or "").splitlines()
        return start, stop, None, done, "timeout"
    return start, stop, r.returncode, r.stdout.splitlines(), r.stderr[-2000:]


@pytest.mark.slow  # 15-20 s: 600 mutants in worker processes
def test_mutated_models_never_crash(base_paths):
    step = -(-N_MUTANTS // CHUNKS)
    ranges = [(s, min(s + step, N_MUTANTS)) for s in range(0, N_MUTANTS, step)]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda r: _run_chunk(base_paths, *r), ranges))
    outcomes = collections.Counter()
    kinds = set()
    for start, stop, rc, lines, stderr in results:
        last = lines[-1] if lines else f"{start - 1} (none)"
        assert rc == 0, f"mutants {start}..{stop}: worker ended with {rc} after {last!r}: {stderr}"
        assert len(lines) == stop - start, f"mutants {start}..{stop}: {len(lines)} outcomes"
        for line in lines:
            i, kind, outcome = line.split(" ", 2)
            assert outcome == "loaded" or outcome.startswith("rejected "), f"mutant {i} ({kind}): {outcome}"
            outcomes[outcome] += 1
            kinds.add(kind)
    assert sum(outcomes.values()) == N_MUTANTS
    assert len(kinds) >= 24
    # Both outcomes occur: the mutants are neither all harmless nor all garbage.
    assert outcomes["loaded"] > 30 and outcomes["rejected ModelFormatError"] > 170, outcomes

#!/usr/bin/env bash
# The oldest and newest Pythons the README claims, each in its own venv and
# scratch copy of the sources (so nothing is built into the working tree):
#   3.13  the test files that exercise the CPython-facing code (the cffi
#         binding, the _pylists C helper, the processor, GPT and unigram
#         APIs, the trainer, errors and hardening), without the tests marked
#         slow (newest Python; the main suite runs everything on the CI's own
#         Python; SPBPE_CI_PYTHONS_FULL=1 runs the whole suite here, about
#         10 more minutes on 2 cores)
#   3.10  a representative subset: parity with sentencepiece (real and
#         trained models, without the slow corpus-wide runs), the processor
#         API and the trainer (oldest Python the tests can run on)
#   3.9   `pip install .`, `spbpe demo` and an encode/decode round trip
#         (sentencepiece 0.2.3 has no 3.9 build, so no tests there)
# Interpreters are looked up under $PYENV_ROOT/versions (default
# /root/.pyenv/versions) by version prefix; a missing one is skipped with a
# line saying so, not failed.
#
#   scripts/ci_pythons.sh [3.9] [3.10] [3.13]     (default: all three)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VERSIONS=${PYENV_ROOT:-/root/.pyenv}/versions
WORK=$(mktemp -d "${TMPDIR:-/tmp}/spbpe-pythons.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
PIP="--quiet --disable-pip-version-check"

find_python() {   # newest installed $VERSIONS/<v>.* with a bin/python
    local d
    d=$(ls -d "$VERSIONS/$1".* 2>/dev/null | sort -V | tail -1) || true
    [ -n "$d" ] && [ -x "$d/bin/python" ] && echo "$d/bin/python"
}

# venv + scratch copy of the tracked sources (plus ../shared beside it, so
# the tests see Llama 2 and the corpora as they do in the working tree).
prepare() {
    local v=$1 py=$2
    mkdir -p "$WORK/$v"
    (cd "$ROOT" && git ls-files -z | xargs -0 cp --parents -t "$WORK/$v")
    [ -d "$ROOT/../shared" ] && [ ! -e "$WORK/shared" ] && ln -s "$(cd "$ROOT/../shared" && pwd)" "$WORK/shared"
    "$py" -m venv "$WORK/venv-$v"
}

run_version() {
    local v=$1 py start
    py=$(find_python "$v") || true
    if [ -z "$py" ]; then
        echo "ci_pythons: SKIPPED Python $v: no interpreter under $VERSIONS/$v.*"
        return 0
    fi
    start=$(date +%s)
    echo "ci_pythons: Python $v ($py)"
    prepare "$v" "$py"
    local vpy="$WORK/venv-$v/bin/python"
    cd "$WORK/$v"
    case $v in
        3.9)
            "$vpy" -m pip install $PIP .
            # Run from elsewhere so the installed package is the one imported.
            (cd "$WORK" && "$WORK/venv-$v/bin/spbpe" demo >/dev/null && "$vpy" - <<'EOF'
import os, tempfile
import spbpe
data = os.path.join(os.path.dirname(spbpe.__file__), "data", "botchan.txt")
with tempfile.TemporaryDirectory() as d:
    spbpe.SentencePieceTrainer.train(input=data, model_prefix=os.path.join(d, "m"), vocab_size=500,
                                     model_type="bpe", byte_fallback=True)
    sp = spbpe.SentencePieceProcessor(model_file=os.path.join(d, "m.model"))
    for text in ["Hello world", "日本語 😀", "  spaced  out  ", ""]:
        ids = sp.encode(text)
        assert sp.decode(ids) == " ".join(text.split()), (text, ids)
    assert sp.encode(["a b", "c"], num_threads=2) == [sp.encode("a b"), sp.encode("c")]
pkg = os.path.dirname(spbpe.__file__)
for f in ("py.typed", "processor.pyi", "_core/_pylists.pyi", "_core/_spbpe.pyi"):
    assert os.path.isfile(os.path.join(pkg, f)), f"{f} is not installed"
print("ci_pythons: 3.9 smoke check passed")
EOF
            ) ;;
        3.10)
            "$vpy" -m pip install $PIP -e '.[test]'
            # not slow: the corpus-wide parity runs once already, on 3.13
            "$vpy" -m pytest -q -p no:cacheprovider -m "not slow" tests/test_parity_real.py \
                tests/test_parity_trained.py tests/test_processor_api.py tests/test_trainer.py ;;
        *)
            "$vpy" -m pip install $PIP -e '.[test]'
            if [ "${SPBPE_CI_PYTHONS_FULL:-0}" = 1 ]; then
                "$vpy" -m pytest -q -p no:cacheprovider
            else
                "$vpy" -m pytest -q -p no:cacheprovider -m "not slow" tests/test_parity_real.py \
                    tests/test_parity_trained.py tests/test_processor_api.py tests/test_dropin_api.py \
                    tests/test_pylists.py tests/test_decode.py tests/test_batch_stream.py tests/test_errors.py \
                    tests/test_hardening.py tests/test_trainer.py tests/test_gpt_encoding.py \
                    tests/test_gpt_load.py tests/test_unigram_parity.py tests/test_unigram_outputs.py
            fi ;;
    esac
    cd "$ROOT"
    echo "ci_pythons: Python $v done in $(( $(date +%s) - start )) s"
}

for v in "${@:-3.9 3.10 3.13}"; do
    for one in $v; do run_version "$one"; done
done

#!/bin/sh
# Run the C-touching tests under AddressSanitizer + UndefinedBehaviorSanitizer.
#
#   scripts/asan_tests.sh [extra pytest args]
#
# 1. Copies the sources to a scratch directory (so the normal in-place build
#    is left alone), builds the extension there with
#    SPBPE_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer", and
#    runs the pytest files below with libasan preloaded into Python.  Leak
#    detection is off for this step: CPython itself never frees some memory
#    at exit, which LSan would report.  test_no_growth_over_many_calls_and_loads
#    is deselected (ASan's quarantine holds freed memory on purpose).
# 2. Leaks: builds the libFuzzer targets (ASan + UBSan, LeakSanitizer on) and
#    replays the seed corpora, tests/regressions/ and any corpus grown by
#    fuzzing (fuzz/build/corpus/) through them; libFuzzer fails on any leak,
#    crash or UB report.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python}
# A fresh scratch directory per run (two runs at once must not share one),
# removed on exit (success, failure or interrupt); one named by
# SPBPE_ASAN_DIR is the caller's, and is kept.
if [ -n "${SPBPE_ASAN_DIR:-}" ]; then
    SCRATCH=$SPBPE_ASAN_DIR
else
    SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/spbpe-asan.XXXXXX")
    trap 'rm -rf "$SCRATCH"' EXIT
    trap 'exit 130' INT TERM
fi
WORK="$SCRATCH/src"
CC=${CC:-gcc}
FILES=${SPBPE_ASAN_TESTS:-"tests/test_bad_models.py tests/test_mutated_models.py tests/test_hardening.py
 tests/test_fast_paths.py tests/test_processor_api.py tests/test_vectors.py tests/test_model_proto.py
 tests/test_trainer.py tests/test_parity_trained.py tests/test_regressions.py tests/test_decode.py
 tests/test_pylists.py tests/test_batch_stream.py tests/test_gpt_minbpe.py tests/test_gpt_encoding.py
 tests/test_gpt_decode_str.py tests/test_gpt_merge_queued.py tests/test_gpt_encode_cache.py"}

rm -rf "$SCRATCH"
mkdir -p "$WORK"
# the tests look for ../shared (Llama 2, corpora, vectors) beside the sources
[ -d "$ROOT/../shared" ] && ln -s "$(cd "$ROOT/../shared" && pwd)" "$SCRATCH/shared"
cp -r "$ROOT/csrc" "$ROOT/spbpe" "$ROOT/tests" "$ROOT/setup.py" "$ROOT/pyproject.toml" "$WORK/"
[ -d "$ROOT/fuzz" ] && cp -r "$ROOT/fuzz" "$WORK/" && rm -rf "$WORK/fuzz/build"
rm -f "$WORK"/spbpe/_core/_spbpe*.so "$WORK"/spbpe/_core/_pylists*.so
cd "$WORK"
CC=$CC SPBPE_CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
    SPBPE_LDFLAGS="-fsanitize=address,undefined" "$PY" setup.py -q build_ext --inplace >/dev/null
LIBASAN=$($CC -print-file-name=libasan.so)
LIBUBSAN=$($CC -print-file-name=libubsan.so)
if [ ! -f "$LIBASAN" ] || [ ! -f "$LIBUBSAN" ]; then
    echo "asan_tests: $CC has no libasan/libubsan (install gcc's sanitizer runtimes)" >&2
    exit 2
fi
echo "asan_tests: step 1: pytest under ASan+UBSan ($LIBASAN)"
# shellcheck disable=SC2086
LD_PRELOAD="$LIBASAN $LIBUBSAN" \
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$PY" -m pytest -q -x -p no:cacheprovider $FILES -k "not no_growth" "$@"

echo "asan_tests: step 2: fuzz targets replaying corpora with LeakSanitizer"
if ! command -v clang >/dev/null 2>&1; then
    echo "asan_tests: step 2 skipped: no clang (apt-get install clang)"
    exit 0
fi
"$WORK/fuzz/build.sh" >/dev/null
for t in model charsmap normalize encode decode train train_normalize bytebpe_train bytelevel unigram train_counts; do
    inputs="$WORK/fuzz/corpus/$t"
    [ -d "$ROOT/tests/regressions/$t" ] && inputs="$inputs $ROOT/tests/regressions/$t"
    [ -d "$ROOT/fuzz/build/corpus/$t" ] && inputs="$inputs $ROOT/fuzz/build/corpus/$t"   # grown by fuzzing
    # shellcheck disable=SC2086
    ASAN_OPTIONS=detect_leaks=1 "$WORK/fuzz/build/fuzz_$t" -runs=0 $inputs > "$WORK/replay_$t.log" 2>&1 \
        || { echo "fuzz_$t: FAILED"; tail -30 "$WORK/replay_$t.log"; exit 1; }
    echo "fuzz_$t: $(grep -o 'DONE.*corp: [0-9]*' "$WORK/replay_$t.log" | grep -o '[0-9]*$') distinct inputs replayed, clean"
done
echo "asan_tests: all clean"

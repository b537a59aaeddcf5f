#!/bin/sh
# Run the tests that drive the C core's threads (batch encode and decode,
# the streamed batch, one processor shared by many Python threads) under
# ThreadSanitizer.
#
#   scripts/tsan_tests.sh [extra pytest args]
#
# Like asan_tests.sh it builds a scratch copy of the sources, here with
# SPBPE_CFLAGS="-fsanitize=thread", and runs pytest with libtsan preloaded
# into the real Python binary (not a wrapper script, which would load it
# too).  CPython itself is not instrumented, so only races in spbpe's C code
# are reported; the first report stops the run with exit status 66 (pytest
# runs with -s so that the report is not captured away).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
PY=$("$PY" -c 'import sys; print(sys.executable)')
CC=${CC:-gcc}
# A scratch directory of our own is removed on exit (success, failure or
# interrupt); one named by SPBPE_TSAN_DIR is the caller's, and is kept.
if [ -n "${SPBPE_TSAN_DIR:-}" ]; then
    SCRATCH=$SPBPE_TSAN_DIR
else
    SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/spbpe-tsan.XXXXXX")
    trap 'rm -rf "$SCRATCH"' EXIT
    trap 'exit 130' INT TERM
fi
WORK="$SCRATCH/src"
LIBTSAN=$($CC -print-file-name=libtsan.so)
if [ ! -f "$LIBTSAN" ]; then
    echo "tsan_tests: $CC has no libtsan (install gcc's sanitizer runtimes)" >&2
    exit 2
fi
rm -rf "$SCRATCH"
mkdir -p "$WORK"
[ -d "$ROOT/../shared" ] && ln -s "$(cd "$ROOT/../shared" && pwd)" "$SCRATCH/shared"
cp -r "$ROOT/csrc" "$ROOT/spbpe" "$ROOT/tests" "$ROOT/setup.py" "$ROOT/pyproject.toml" "$WORK/"
rm -f "$WORK"/spbpe/_core/*.so
cd "$WORK"
CC=$CC SPBPE_CFLAGS="-O1 -g -fsanitize=thread" SPBPE_LDFLAGS="-fsanitize=thread" \
    "$PY" setup.py -q build_ext --inplace >/dev/null
echo "tsan_tests: pytest under ThreadSanitizer ($LIBTSAN)"
# shellcheck disable=SC2086
LD_PRELOAD="$LIBTSAN" TSAN_OPTIONS="halt_on_error=1 exitcode=66 report_signal_unsafe=0 suppressions=$ROOT/scripts/tsan.supp" \
    "$PY" -m pytest -q -x -s -p no:cacheprovider tests/test_batch_stream.py tests/test_fast_paths.py \
    tests/test_hardening.py tests/test_cli_progress.py tests/test_gpt_encoding.py \
    -k "stream or batch or pipelined or thread or reports_merges" "$@"
echo "tsan_tests: clean"

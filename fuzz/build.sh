#!/bin/sh
# Build the libFuzzer targets (clang, ASan + UBSan) into fuzz/build/, and the
# small models the encode/decode targets use.
#
#   fuzz/build.sh                      # build every target
#   fuzz/build.sh run encode 300       # build, then fuzz one target for 300 s
#   fuzz/build.sh run-all 300          # every target in turn, 300 s each
#   fuzz/build.sh merge                # add what fuzzing found to fuzz/corpus/ (targets that ran)
#
# fuzz/custom_rules.bin is the custom rule set fuzz_train_normalize uses
# besides the built-in tables: the rules of
# tests/test_train_normalizer_oracle.py's custom_rules(), compiled with
# spbpe's charsmap compiler.
#
# Each target is one C file, fuzz/fuzz_<name>.c, linked with csrc/*/*.c.  The
# seed corpus is fuzz/corpus/<name>/; new inputs go to fuzz/build/corpus/<name>/
# (not committed).  Run one fuzzer at a time on a shared machine:
#   nice -n 19 fuzz/build/fuzz_encode -jobs=1 -workers=1 ...
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/fuzz/build"
CC=${CC:-clang}
PY=${PYTHON:-python}
TARGETS="model charsmap normalize encode decode train train_normalize unigram bytebpe_train bytelevel train_counts"
mkdir -p "$OUT/obj" "$OUT/models"

# Models: small ones trained with the official sentencepiece (user-defined
# and control symbols, no byte fallback, suffix whitespace) plus Mistral's.
if [ ! -f "$OUT/models/.done" ]; then
    "$PY" - "$OUT/models" "$ROOT/spbpe/data/botchan.txt" <<'PYEOF' || echo "fuzz/build.sh: no sentencepiece: using Mistral models only" >&2
import sys, sentencepiece as spm
out, text = sys.argv[1], sys.argv[2]
cfgs = {
    "udef": dict(vocab_size=600, normalization_rule_name="identity", byte_fallback=True,
                 user_defined_symbols=["<sep>", "[REF]", "\u2581the", "ab c"], control_symbols=["<cls>"]),
    "nobf_suffix": dict(vocab_size=500, treat_whitespace_as_suffix=True, remove_extra_whitespaces=False),
}
for name, cfg in cfgs.items():
    spm.SentencePieceTrainer.train(input=text, model_prefix=f"{out}/{name}", model_type="bpe",
                                   minloglevel=2, **cfg)
spm.SentencePieceTrainer.train(input=text, model_prefix=f"{out}/uni_udef", model_type="unigram", vocab_size=800,
                               byte_fallback=True, user_defined_symbols=["<sep>", "ing"], minloglevel=2)
open(f"{out}/.done", "w").close()
PYEOF
fi
MISTRAL=$("$PY" -c 'import mistral_common, os; print(os.path.join(os.path.dirname(mistral_common.__file__), "data"))' 2>/dev/null || true)
MODELS=""
for m in "$MISTRAL/tokenizer.model.v1" "$MISTRAL/mistral_instruct_tokenizer_240323.model.v3" \
         "$OUT/models/udef.model" "$OUT/models/nobf_suffix.model" "$OUT/models/uni_udef.model"; do
    [ -f "$m" ] && MODELS="$MODELS${MODELS:+:}$m"
done

CFLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
 -fno-omit-frame-pointer -Wall -Wextra -I$ROOT/csrc/include -I$ROOT/csrc"
# Every core source, in every folder; an object is rebuilt when its source
# or any header is newer (headers share struct layouts).
NEWEST_H=$(ls -t "$ROOT"/csrc/*/*.h | head -1)
OBJS=""
for src in "$ROOT"/csrc/*/*.c; do
    dir=$(basename "$(dirname "$src")")
    obj="$OUT/obj/${dir}_$(basename "$src" .c).o"
    OBJS="$OBJS $obj"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$NEWEST_H" -nt "$obj" ]; then
        $CC $CFLAGS -c "$src" -o "$obj"
    fi
done
# shellcheck disable=SC2086
for t in $TARGETS; do
    $CC $CFLAGS -fsanitize=fuzzer \
        -DSPBPE_FUZZ_DEFAULT_MODELS="\"$MODELS\"" -DSPBPE_FUZZ_DEFAULT_DATA="\"$ROOT/spbpe/data\"" \
        -DSPBPE_FUZZ_DEFAULT_CUSTOM_CHARSMAP="\"$ROOT/fuzz/custom_rules.bin\"" \
        "$ROOT/fuzz/fuzz_$t.c" $OBJS -pthread -o "$OUT/fuzz_$t"
done
echo "built: $(for t in $TARGETS; do printf 'fuzz/build/fuzz_%s ' "$t"; done)"

# run-all SECS: every target in turn, one at a time, SECS seconds each;
# libFuzzer's log of target T is fuzz/build/logs/T.log.
if [ "${1:-}" = run-all ]; then
    mkdir -p "$OUT/logs"
    for t in $TARGETS; do
        (cd "$OUT/logs" && "$ROOT/fuzz/build.sh" run "$t" "${2:-300}" > "$t.log" 2>&1) || echo "fuzz_$t: FAILED (see $OUT/logs/$t.log)"
        grep -h -E "DONE|stat::number_of_executed_units|stat::peak_rss|ERROR" "$OUT/logs/$t.log" "$OUT/logs/fuzz-0.log" 2>/dev/null | tail -4 | sed "s/^/fuzz_$t: /"
        [ -f "$OUT/logs/fuzz-0.log" ] && mv "$OUT/logs/fuzz-0.log" "$OUT/logs/$t.job.log"
    done
    exit 0
fi

# merge: fold what fuzzing grew in fuzz/build/corpus/<t> into the committed
# fuzz/corpus/<t> (which scripts/asan_tests.sh replays), for the targets that
# ran only.  libFuzzer's -merge=1 adds to its first directory the inputs of the
# others that add coverage, and never removes a file from it: committed inputs
# (of every target) stay, and a target that did not run is left alone.
if [ "${1:-}" = merge ]; then
    merged=0
    for t in $TARGETS; do
        grown="$OUT/corpus/$t"
        if [ ! -d "$grown" ] || [ -z "$(ls -A "$grown")" ]; then
            echo "fuzz_$t: not run (no $grown), left as it is"
            continue
        fi
        mkdir -p "$ROOT/fuzz/corpus/$t"
        before=$(ls "$ROOT/fuzz/corpus/$t" | wc -l)
        case $t in train) maxlen=2048 ;; model) maxlen=65536 ;; *) maxlen=8192 ;; esac
        "$OUT/fuzz_$t" -merge=1 -max_len=$maxlen -timeout=20 -rss_limit_mb=2048 \
            "$ROOT/fuzz/corpus/$t" "$grown" > "$OUT/merge_$t.log" 2>&1 ||
            { echo "fuzz_$t: merge failed (see $OUT/merge_$t.log)"; exit 1; }
        after=$(ls "$ROOT/fuzz/corpus/$t" | wc -l)
        echo "fuzz_$t: $((after - before)) new inputs, $after in fuzz/corpus/$t"
        merged=$((merged + 1))
    done
    echo "merged $merged target(s)"
    exit 0
fi

if [ "${1:-}" = run ]; then
    t=$2
    secs=${3:-300}
    mkdir -p "$OUT/corpus/$t" "$OUT/artifacts/$t"
    case $t in train) maxlen=2048 ;; model) maxlen=65536 ;; *) maxlen=8192 ;; esac
    exec nice -n 19 "$OUT/fuzz_$t" -jobs=1 -workers=1 -max_total_time="$secs" -max_len=$maxlen \
        -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$OUT/artifacts/$t/" "$OUT/corpus/$t" "$ROOT/fuzz/corpus/$t"
fi

/*
 * fuzz_unigram.c - the unigram entry points on arbitrary bytes with real
 * models (SPBPE_FUZZ_MODELS; BPE models must refuse them).  Byte 0 picks
 * the model and options; the rest is the text.  Checks: n-best lists are
 * non-empty, best first (scores non-increasing up to float rounding) and ids in range; the
 * 1-best equals plain encode, and plain encode equals its reference_path twin; sampling (lattice and n-best) and
 * sample_encode_and_score give in-range ids; the entropy is finite and >= 0
 * up to rounding.
 */
#include <math.h>
#include <string.h>

#include "fuzz_common.h"

static spbpe_workspace *ws, *ws2;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_load_models();
    ws = spbpe_workspace_new();
    ws2 = spbpe_workspace_new();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t sel;
    spbpe_model_info info;
    const spbpe_model *m = fuzz_pick_model(&data, &size, &sel, &info);
    if (!m || size > 512) return 0;
    spbpe_error err;
    spbpe_results res;
    int st = spbpe_nbest_encode(m, data, size, 1 + (sel >> 4), 0, ws, &res, &err);
    if (info.model_type != 1) {
        FUZZ_CHECK(st == SPBPE_ERR_UNSUPPORTED);
        return 0;
    }
    FUZZ_CHECK(st == SPBPE_OK && res.count >= 1);
    for (size_t r = 0; r < res.count; r++) {
        /* Best first, up to float rounding: sentencepiece's A* sums in float,
         * so near-equal paths may come out in either order (as it does). */
        if (r) FUZZ_CHECK(res.scores[r] <= res.scores[r - 1] + 1e-5f * (1.0f + fabsf(res.scores[r - 1])) ||
                          isnan(res.scores[r]));
        for (size_t i = res.offsets[r]; i < res.offsets[r + 1]; i++)
            FUZZ_CHECK(res.ids[i] >= 0 && res.ids[i] < info.piece_count);
    }
    spbpe_encoding enc;
    FUZZ_CHECK(spbpe_encode(m, data, size, NULL, ws2, &enc, &err) == SPBPE_OK);
    FUZZ_CHECK(enc.count == res.offsets[1] - res.offsets[0]);
    /* The fast path (double-array trie, word cache) equals the plain twin. */
    spbpe_encode_options ref_opt = {0.0, 0, 0, 1, 0, 0, 0};
    spbpe_encoding ref;
    FUZZ_CHECK(spbpe_encode(m, data, size, &ref_opt, ws, &ref, &err) == SPBPE_OK);
    FUZZ_CHECK(ref.count == enc.count && (enc.count == 0 || memcmp(ref.ids, enc.ids, enc.count * sizeof *enc.ids) == 0));
    spbpe_encode_options opt = {0.5, sel, 1, 0, 1, (sel & 0x40) ? 4 : -1, 0};
    FUZZ_CHECK(spbpe_encode(m, data, size, &opt, ws2, &enc, &err) == SPBPE_OK);
    for (size_t i = 0; i < enc.count; i++) FUZZ_CHECK(enc.ids[i] >= 0 && enc.ids[i] < info.piece_count);
    FUZZ_CHECK(spbpe_sample_encode_and_score(m, data, size, 0.5f, 3, (sel >> 5) & 1, (sel >> 5) & 1, sel, ws, &res,
                                             &err) == SPBPE_OK);
    for (size_t i = 0; res.count && i < res.offsets[res.count]; i++)
        FUZZ_CHECK(res.ids[i] >= 0 && res.ids[i] < info.piece_count);
    float h;
    FUZZ_CHECK(spbpe_calculate_entropy(m, data, size, 0.5f, ws, &h, &err) == SPBPE_OK);
    FUZZ_CHECK(!isnan(h));
    return 0;
}

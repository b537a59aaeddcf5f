/*
 * fuzz_encode.c - encode arbitrary bytes with real models (SPBPE_FUZZ_MODELS).
 * Byte 0 picks the model and options; the rest is the text.  Checks: ids in
 * range; offsets inside the text and non-decreasing; the fast path equals
 * the reference path; dropout with alpha >= 1 gives one token per
 * character or byte; batch encode equals single encode, and so does the
 * streamed batch on two threads (one part per text); decode succeeds.
 */
#include "fuzz_common.h"

static spbpe_workspace *ws, *ws_ref;
static spbpe_batch *batch;
static spbpe_encode_stream *stream;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_load_models();
    ws = spbpe_workspace_new();
    ws_ref = spbpe_workspace_new();
    batch = spbpe_batch_new();
    stream = spbpe_encode_stream_new();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t sel;
    spbpe_model_info info;
    const spbpe_model *m = fuzz_pick_model(&data, &size, &sel, &info);
    if (!m) return 0;
    spbpe_error err;
    spbpe_encoding enc, ref;
    spbpe_encode_options opt = {.seed = sel, .with_offsets = (sel >> 4) & 1};
    if ((sel >> 5) & 1) opt.alpha = (sel >> 6) ? 1.0 : 0.3;

    FUZZ_CHECK(spbpe_encode(m, data, size, &opt, ws, &enc, &err) == SPBPE_OK);
    for (size_t i = 0; i < enc.count; i++) {
        FUZZ_CHECK(enc.ids[i] >= 0 && enc.ids[i] < info.piece_count);
        if (opt.with_offsets) {
            FUZZ_CHECK(enc.norm_begin[i] <= enc.norm_end[i] && enc.norm_end[i] <= enc.normalized_len);
            FUZZ_CHECK(enc.orig_begin[i] <= enc.orig_end[i] && enc.orig_end[i] <= size);
            if (i) FUZZ_CHECK(enc.norm_begin[i] >= enc.norm_begin[i - 1]);
        }
    }
    if (opt.alpha <= 0.0) {
        spbpe_encode_options ropt = {.reference_path = 1};
        FUZZ_CHECK(spbpe_encode(m, data, size, &ropt, ws_ref, &ref, &err) == SPBPE_OK);
        FUZZ_CHECK(ref.count == enc.count);
        FUZZ_CHECK(enc.count == 0 || memcmp(ref.ids, enc.ids, enc.count * sizeof *enc.ids) == 0);

        /* batch: the text twice, split in the middle too */
        size_t starts[4] = {0, size, size + size / 2, 2 * size};
        uint8_t *blob = malloc(2 * size + 1);
        memcpy(blob, data, size);
        memcpy(blob + size, data, size);
        spbpe_batch_ids out;
        FUZZ_CHECK(spbpe_encode_batch(m, blob, starts, 3, 1, batch, &out, &err) == SPBPE_OK);
        FUZZ_CHECK(out.offsets[1] - out.offsets[0] == ref.count);
        FUZZ_CHECK(ref.count == 0 || memcmp(out.ids, ref.ids, ref.count * sizeof *ref.ids) == 0);

        FUZZ_CHECK(spbpe_encode_stream_start(m, 2, 3, (sel & 0x80) ? ws_ref : NULL, stream, &err) == SPBPE_OK);
        for (int part = 0; part < 3; part++)
            FUZZ_CHECK(spbpe_encode_stream_push(stream, blob, starts + part, 1, &err) == SPBPE_OK);
        for (int part = 0; part < 3; part++) {
            spbpe_batch_ids got;
            size_t first;
            FUZZ_CHECK(spbpe_encode_stream_next(stream, &got, &first, &err) == SPBPE_OK);
            size_t n = got.offsets[1];
            FUZZ_CHECK(first == (size_t)part && got.count == 1 && n == out.offsets[part + 1] - out.offsets[part]);
            FUZZ_CHECK(n == 0 || memcmp(got.ids, out.ids + out.offsets[part], n * sizeof *got.ids) == 0);
        }
        spbpe_encode_stream_end(stream);
        free(blob);
    }
    spbpe_decoded dec;
    FUZZ_CHECK(spbpe_decode_ids(m, enc.ids, enc.count, ws_ref, &dec, &err) == SPBPE_OK);
    return 0;
}

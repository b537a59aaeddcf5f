/*
 * fuzz_decode.c - decode arbitrary ids and arbitrary piece strings with
 * real models.  Byte 0 picks the model; the rest is read as int32 ids
 * (in range after a modulo, except when byte 0 says keep them raw, which
 * must give SPBPE_ERR_OUT_OF_RANGE for a bad id) and as NUL-separated pieces.
 */
#include "fuzz_common.h"

static spbpe_workspace *ws;
static spbpe_batch *batch;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_load_models();
    ws = spbpe_workspace_new();
    batch = spbpe_batch_new();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t sel;
    spbpe_model_info info;
    const spbpe_model *m = fuzz_pick_model(&data, &size, &sel, &info);
    if (!m) return 0;
    size_t n = size / 4;
    int32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    int any_bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = (uint32_t)data[4 * i] | ((uint32_t)data[4 * i + 1] << 8) | ((uint32_t)data[4 * i + 2] << 16) |
                     ((uint32_t)data[4 * i + 3] << 24);
        ids[i] = (int32_t)v;
        if (!(sel & 0x10)) ids[i] = (int32_t)(v % (uint32_t)info.piece_count);
        if (ids[i] < 0 || ids[i] >= info.piece_count) any_bad = 1;
    }
    spbpe_error err;
    spbpe_decoded dec;
    int st = spbpe_decode_ids(m, ids, n, ws, &dec, &err);
    FUZZ_CHECK(any_bad ? st == SPBPE_ERR_OUT_OF_RANGE : st == SPBPE_OK);
    if (st == SPBPE_OK) {
        size_t starts[3] = {0, n / 2, n};
        spbpe_batch_text bt;
        FUZZ_CHECK(spbpe_decode_batch(m, ids, starts, 2, 1, batch, &bt, &err) == SPBPE_OK);
        FUZZ_CHECK(bt.offsets[2] >= bt.offsets[1]);
    }
    free(ids);

    /* the same bytes as pieces separated by NUL */
    size_t count = 0;
    size_t *lens = malloc((size + 1) * sizeof *lens);
    size_t start = 0;
    uint8_t *blob = malloc(size ? size : 1);
    size_t blen = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == 0) {
            memcpy(blob + blen, data + start, i - start);
            blen += i - start;
            lens[count++] = i - start;
            start = i + 1;
        }
    }
    FUZZ_CHECK(spbpe_decode_pieces(m, blob, lens, count, ws, &dec, &err) == SPBPE_OK);
    free(lens);
    free(blob);
    return 0;
}

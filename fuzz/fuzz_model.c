/*
 * fuzz_model.c - arbitrary bytes as a .model file.  spbpe_model_new must
 * either fail with a message or give a model that encodes, decodes and
 * normalizes a fixed text with every id in range.
 */
#include "fuzz_common.h"

static const char TEXT[] = "Hello  w\xc3\xb6rld \xe2\x96\x81 12 \xff\xfe <s> [INST] \xf0\x9f\x98\x80 abc";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    spbpe_error err;
    spbpe_model *m = spbpe_model_new(data, size, &err);
    if (!m) {
        FUZZ_CHECK(err.status != SPBPE_OK && err.message[0] != 0);
        return 0;
    }
    spbpe_model_info info;
    spbpe_model_get_info(m, &info);
    FUZZ_CHECK(info.piece_count > 0);
    spbpe_workspace *ws = spbpe_workspace_new();
    spbpe_encoding enc;
    spbpe_encode_options opt = {.seed = 1, .with_offsets = 1};
    for (int ref = 0; ref < 2; ref++) {
        opt.reference_path = ref;
        if (spbpe_encode(m, (const uint8_t *)TEXT, sizeof TEXT - 1, &opt, ws, &enc, &err) == SPBPE_OK) {
            for (size_t i = 0; i < enc.count; i++) FUZZ_CHECK(enc.ids[i] >= 0 && enc.ids[i] < info.piece_count);
        }
    }
    int32_t ids[64];
    size_t n = 0;
    for (int32_t id = 0; id < info.piece_count && n < 64; id++) ids[n++] = id;
    spbpe_decoded dec;
    FUZZ_CHECK(spbpe_decode_ids(m, ids, n, ws, &dec, &err) == SPBPE_OK);
    spbpe_normalized norm;
    spbpe_normalize(m, (const uint8_t *)TEXT, sizeof TEXT - 1, ws, &norm, &err);
    size_t len;
    for (int32_t id = -1; id <= info.piece_count; id++) {
        spbpe_model_piece(m, id, &len);
        spbpe_model_score(m, id);
        spbpe_model_type(m, id);
    }
    spbpe_model_piece_to_id(m, (const uint8_t *)"<unk>", 5);
    spbpe_workspace_free(ws);
    spbpe_model_free(m);
    return 0;
}

/*
 * fuzz_charsmap.c - an arbitrary precompiled_charsmap blob (the internal
 * reader, sp_charsmap_init) and normalization through it.  Input layout:
 * byte 0 = normalizer flags, bytes 1-2 = blob length (LE, clipped), then
 * the blob, then the text to normalize.
 */
#include "fuzz_common.h"
#include "model/normalizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3) return 0;
    uint8_t flags = data[0];
    size_t blob_len = (size_t)data[1] | ((size_t)data[2] << 8);
    data += 3;
    size -= 3;
    if (blob_len > size) blob_len = size;
    const uint8_t *text = data + blob_len;
    size_t text_len = size - blob_len;

    spbpe_error err;
    sp_charsmap cm;
    if (sp_charsmap_init(&cm, data, blob_len, &err) == SPBPE_OK) {
        for (size_t i = 0; i < text_len; i++) {
            const uint8_t *out = NULL;
            size_t out_len = 0;
            size_t k = sp_charsmap_longest(&cm, text + i, text_len - i, &out, &out_len);
            FUZZ_CHECK(k <= text_len - i);
            if (k) FUZZ_CHECK(out >= cm.pool && out + out_len <= cm.pool + cm.pool_len);
        }
        sp_charsmap_release(&cm);
    } else {
        FUZZ_CHECK(err.message[0] != 0);
    }

    sp_normalizer nz;
    if (sp_normalizer_init(&nz, data, blob_len, flags & 1, flags & 2, flags & 4, flags & 8, &err)) return 0;
    sp_normbuf nb = {0};
    if (sp_normalize(&nz, text, text_len, &nb, &err) == SPBPE_OK && nb.len) {
        FUZZ_CHECK(nb.align_len == nb.len + 1);
        for (size_t i = 0; i < nb.align_len; i++) FUZZ_CHECK(nb.align[i] <= text_len);
    }
    sp_normbuf_release(&nb);
    sp_normalizer_release(&nz);
    return 0;
}

/*
 * fuzz_normalize.c - UTF-8 helpers and the normalizer on arbitrary bytes,
 * with each charsmap shipped in spbpe/data and each flag combination
 * (byte 0 picks them).  Checks: decode/char_len stay inside the input,
 * valid characters re-encode to the same bytes, the alignment is
 * non-decreasing and inside the input, and the output is valid UTF-8.
 */
#include "fuzz_common.h"
#include "model/normalizer.h"

static const char *NAMES[] = {"", "nmt_nfkc.bin", "nfkc.bin", "nmt_nfkc_cf.bin", "nfkc_cf.bin"};
#define NCM (sizeof NAMES / sizeof NAMES[0])
static uint8_t *blobs[NCM];
static size_t blob_lens[NCM];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_read_data_files(NAMES, 1, NCM, blobs, blob_lens);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t flags = data[0];
    data++;
    size--;
    for (size_t i = 0; i < size;) {
        size_t len = 0, clen = sp_utf8_char_len(data + i, size - i);
        FUZZ_CHECK(clen >= 1 && clen <= size - i);
        uint32_t cp = sp_utf8_decode(data + i, size - i, &len);
        FUZZ_CHECK(len >= 1 && len <= size - i && cp <= 0x10FFFF);
        size_t vlen;
        if (sp_utf8_valid_char(data + i, size - i, &vlen)) {
            uint8_t buf[4];
            size_t n = sp_utf8_encode(cp, buf);
            FUZZ_CHECK(n == vlen && memcmp(buf, data + i, n) == 0);
        }
        i += len;
    }
    size_t which = (flags >> 4) % NCM;
    spbpe_error err;
    /* one normalizer per (charsmap, flags), built on first use */
    static sp_normalizer nzs[NCM][16];
    static int ready[NCM][16];
    sp_normalizer *nz = &nzs[which][flags & 15];
    if (!ready[which][flags & 15]) {
        FUZZ_CHECK(sp_normalizer_init(nz, blobs[which], blob_lens[which], flags & 1, flags & 2, flags & 4,
                                      flags & 8, &err) == SPBPE_OK);
        ready[which][flags & 15] = 1;
    }
    static sp_normbuf nb;   /* reused, as a workspace is */
    FUZZ_CHECK(sp_normalize(nz, data, size, &nb, &err) == SPBPE_OK);
    if (nb.len) {
        FUZZ_CHECK(nb.align_len == nb.len + 1);
        for (size_t i = 0; i < nb.align_len; i++) {
            FUZZ_CHECK(nb.align[i] <= size);
            if (i) FUZZ_CHECK(nb.align[i] >= nb.align[i - 1]);
        }
        for (size_t i = 0; i < nb.len;) {
            size_t len;
            FUZZ_CHECK(sp_utf8_valid_char(nb.text + i, nb.len - i, &len));
            i += len;
        }
    }
    return 0;
}

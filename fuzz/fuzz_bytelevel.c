/*
 * fuzz_bytelevel.c - the byte-level BPE engine (csrc/bytelevel) on
 * arbitrary bytes, with two synthetic rank tables built at start-up: one
 * with every byte and ~3000 merged tokens (the pair-table path), one that
 * lacks some bytes (the bytes-lookup path, where such text fails cleanly).
 * Both carry special tokens that overlap ("<|a|>" is a prefix of "<|a|>b").
 *
 * Byte 0 picks the table, the built-in pre-tokenizer (1-4) and the special
 * modes; the rest is the text.  Invariants: the fast path equals the
 * reference path; the chunks of the built-in pre-tokenizer passed in by
 * hand give the same ids; decode gives the text back (specials decode to
 * their text); the batch on 1 and 2 threads equals the single calls, and
 * the streamed batch equals the batch (the same stop at a text holding a
 * disallowed special).
 */
#include "fuzz_common.h"

#define SPECIALS 4
static const char *special_text[SPECIALS] = {"<|endoftext|>", "<|a|>", "<|a|>b", "\n\n"};
static spbpe_bytelevel *tables[2];
static spbpe_workspace *ws, *ws2;
static spbpe_bytelevel_batch *batch;
static spbpe_encode_stream *stream;

static spbpe_bytelevel *make_table(int all_bytes, int pretok) {
    size_t cap = 1 << 16, len = 0, count = 0;
    uint8_t *blob = malloc(cap);
    size_t *starts = malloc(4000 * sizeof *starts);
    uint32_t *ranks = malloc(4000 * sizeof *ranks);
    starts[0] = 0;
    for (int b = 0; b < 256; b++) {
        if (!all_bytes && (b == 'q' || b == 0xff || b == 0xc3)) continue;
        blob[len++] = (uint8_t)b;
        ranks[count] = (uint32_t)count;
        starts[++count] = len;
    }
    /* merged tokens: concatenations of two earlier tokens, chosen by an LCG,
     * biased towards letters, spaces and the bytes of "<|>" */
    uint32_t x = 12345;
    while (count < 3000) {
        x = x * 1103515245u + 12345u;
        size_t a = (x >> 8) % count, c;
        x = x * 1103515245u + 12345u;
        c = (x >> 8) % count;
        if (count < 600) { /* early merges: common ASCII pairs */
            a = 32 + (x >> 4) % 95;
            c = 32 + (x >> 12) % 95;
            if (!all_bytes && (a >= 'q' - 3 || c >= 'q' - 3)) continue; /* indices shift past the gap */
        }
        size_t la = starts[a + 1] - starts[a], lc = starts[c + 1] - starts[c];
        if (la + lc > 24 || len + la + lc > cap) continue;
        memcpy(blob + len, blob + starts[a], la);
        memcpy(blob + len + la, blob + starts[c], lc);
        /* skip duplicates (a linear scan over tokens of the same length) */
        int dup = 0;
        for (size_t i = 0; i < count && !dup; i++)
            dup = starts[i + 1] - starts[i] == la + lc && memcmp(blob + starts[i], blob + len, la + lc) == 0;
        if (dup) continue;
        len += la + lc;
        ranks[count] = (uint32_t)count;
        starts[++count] = len;
    }
    uint8_t sblob[64];
    size_t sstarts[SPECIALS + 1] = {0};
    uint32_t sids[SPECIALS];
    for (int k = 0; k < SPECIALS; k++) {
        size_t n = strlen(special_text[k]);
        memcpy(sblob + sstarts[k], special_text[k], n);
        sstarts[k + 1] = sstarts[k] + n;
        sids[k] = 5000 + (uint32_t)k;
    }
    spbpe_error err;
    spbpe_bytelevel *bl = spbpe_bytelevel_new(blob, starts, ranks, count, sblob, sstarts, sids, SPECIALS, pretok, &err);
    FUZZ_CHECK(bl != NULL);
    free(blob);
    free(starts);
    free(ranks);
    return bl;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    tables[0] = make_table(1, 2);
    tables[1] = make_table(0, 3);
    ws = spbpe_workspace_new();
    ws2 = spbpe_workspace_new();
    batch = spbpe_bytelevel_batch_new();
    stream = spbpe_encode_stream_new();
    return 0;
}

static int32_t *copy_ids(const spbpe_bytelevel_ids *out) {
    int32_t *ids = malloc((out->count + 1) * sizeof *ids);
    if (out->count) memcpy(ids, out->ids, out->count * sizeof *ids);
    return ids;
}

/* The streamed batch on the same two halves (one part), then the second
 * half again (a part of its own, starting mid-blob): the first part as the
 * one-call batch gave it (bids, bad_item, bad_special), the second as the
 * single encode. */
static void check_stream(const spbpe_bytelevel *bl, const uint8_t *modes, int threads, const uint8_t *text,
                         const size_t *starts, const spbpe_batch_ids *bids, size_t bad_item, int32_t bad_special) {
    spbpe_error err;
    spbpe_batch_ids part;
    size_t first, bad;
    int32_t which;
    FUZZ_CHECK(spbpe_bytelevel_encode_stream_start(bl, modes, threads, 2, threads == 1 ? ws2 : NULL, stream, &err) ==
               SPBPE_OK);
    FUZZ_CHECK(spbpe_encode_stream_push(stream, text, starts, 2, &err) == SPBPE_OK);
    FUZZ_CHECK(spbpe_encode_stream_push(stream, text, starts + 1, 1, &err) == SPBPE_OK);
    FUZZ_CHECK(spbpe_bytelevel_encode_stream_next(stream, &part, &first, &bad, &which, &err) == SPBPE_OK);
    FUZZ_CHECK(first == 0 && part.count == 2 && bad == bad_item && which == bad_special);
    for (size_t i = 0; i < bad && i < 2; i++) FUZZ_CHECK(part.offsets[i + 1] == bids->offsets[i + 1]);
    size_t n = part.offsets[bad < 2 ? bad : 2];
    FUZZ_CHECK(n == 0 || memcmp(part.ids, bids->ids, n * sizeof *part.ids) == 0);
    FUZZ_CHECK(spbpe_bytelevel_encode_stream_next(stream, &part, &first, &bad, &which, &err) == SPBPE_OK);
    spbpe_bytelevel_options opt = {NULL, 0, modes, 0};
    spbpe_bytelevel_ids one;
    FUZZ_CHECK(spbpe_bytelevel_encode(bl, text + starts[1], starts[2] - starts[1], &opt, ws, &one, &err) == SPBPE_OK);
    FUZZ_CHECK(first == 2 && part.count == 1 && bad == (one.disallowed >= 0 ? 0 : 1) && which == one.disallowed);
    if (one.disallowed < 0)
        FUZZ_CHECK(part.offsets[1] == one.count && (one.count == 0 || memcmp(part.ids, one.ids, one.count * 4) == 0));
    spbpe_encode_stream_end(stream);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t sel = data[0];
    const uint8_t *text = data + 1;
    size_t len = size - 1;
    int t = sel & 1;
    const spbpe_bytelevel *bl = tables[t];
    uint8_t modes[SPECIALS];
    for (int k = 0; k < SPECIALS; k++) modes[k] = (uint8_t)(((sel >> 1) + k) % 3);
    if (sel & 0x80) memset(modes, 0, sizeof modes);
    spbpe_bytelevel_options opt = {NULL, 0, (sel & 0x40) ? NULL : modes, 0};
    spbpe_bytelevel_ids out;
    spbpe_error err;
    int st = spbpe_bytelevel_encode(bl, text, len, &opt, ws, &out, &err);
    if (t == 0) FUZZ_CHECK(st == SPBPE_OK);
    if (st) {
        FUZZ_CHECK(st == SPBPE_ERR_MODEL_FORMAT); /* a byte without a rank */
        opt.reference_path = 1;
        FUZZ_CHECK(spbpe_bytelevel_encode(bl, text, len, &opt, ws2, &out, &err) == SPBPE_ERR_MODEL_FORMAT);
        return 0;
    }
    int32_t *fast = copy_ids(&out);
    size_t n = out.count;
    int32_t disallowed = out.disallowed;
    opt.reference_path = 1;
    FUZZ_CHECK(spbpe_bytelevel_encode(bl, text, len, &opt, ws2, &out, &err) == SPBPE_OK);
    FUZZ_CHECK(out.count == n && out.disallowed == disallowed);
    FUZZ_CHECK(n == 0 || memcmp(out.ids, fast, n * sizeof *fast) == 0);
    if (disallowed < 0) {
        spbpe_decoded dec;
        FUZZ_CHECK(spbpe_bytelevel_decode(bl, fast, n, ws2, &dec, &err) == SPBPE_OK);
        FUZZ_CHECK(dec.len == len && (len == 0 || memcmp(dec.text, text, len) == 0));
        /* the batch, on one and on two threads, cut in two */
        size_t starts[3] = {0, len / 2, len};
        for (int threads = 1; threads <= 2; threads++) {
            spbpe_batch_ids bids;
            size_t bad_item;
            int32_t bad_special;
            st = spbpe_bytelevel_encode_batch(bl, text, starts, 2, opt.special_modes, threads, batch, &bids, &bad_item,
                                              &bad_special, &err);
            FUZZ_CHECK(st == SPBPE_OK);
            check_stream(bl, opt.special_modes, threads, text, starts, &bids, bad_item, bad_special);
            if (bad_item < 2) continue; /* the halves may hold a disallowed special the whole does not */
            for (int i = 0; i < 2; i++) {
                spbpe_bytelevel_ids one;
                opt.reference_path = 0;
                FUZZ_CHECK(spbpe_bytelevel_encode(bl, text + starts[i], starts[i + 1] - starts[i], &opt, ws2, &one,
                                                  &err) == SPBPE_OK);
                FUZZ_CHECK(bids.offsets[i + 1] - bids.offsets[i] == one.count);
                FUZZ_CHECK(one.count == 0 || memcmp(bids.ids + bids.offsets[i], one.ids, one.count * 4) == 0);
            }
        }
    }
    /* ordinary text: the built-in split passed in as chunks gives the same ids */
    if (opt.special_modes == NULL && len) {
        size_t *ends = malloc(len * sizeof *ends), count = 0;
        FUZZ_CHECK(spbpe_pretok_split(t ? SPBPE_PRETOK_O200K : SPBPE_PRETOK_CL100K, text, len, ends, len, &count,
                                      &err) == SPBPE_OK);
        uint32_t *chunks = malloc(2 * count * sizeof *chunks);
        for (size_t i = 0; i < count; i++) {
            chunks[2 * i] = (uint32_t)(i ? ends[i - 1] : 0);
            chunks[2 * i + 1] = (uint32_t)ends[i];
        }
        spbpe_bytelevel_options by_hand = {chunks, count, NULL, 0};
        FUZZ_CHECK(spbpe_bytelevel_encode(bl, text, len, &by_hand, ws2, &out, &err) == SPBPE_OK);
        FUZZ_CHECK(out.count == n && memcmp(out.ids, fast, n * sizeof *fast) == 0);
        free(ends);
        free(chunks);
    }
    free(fast);
    return 0;
}

/*
 * fuzz_bytebpe_train.c - minbpe's byte-level trainer and pair-merge encoder
 * on arbitrary small inputs, against plain references written here.
 *
 * Inputs up to 600 bytes.  Byte 0 picks the number of merges (1-64) and byte 1 the chunk separator;
 * the rest is cut into chunks after each separator byte, and the distinct
 * chunks (first appearance order) get their multiplicities.  The trainer's
 * merges must equal a naive trainer's (recount every pair each step, the
 * first pair reaching the highest count wins, replace left to right), asked
 * for in one call or one merge per call alike.  Then the trained merges
 * encode the input as one chunk with the segment merge and with the scan (the
 * reference path): the same ids.
 */
#include "fuzz_common.h"

#define MAXN 2048

typedef struct {
    uint32_t a, b;
    int64_t count;
} ref_pair;

/* The naive trainer: chunk c's ids are ids[starts[c] ..], merged in place
 * (lens[c] updated). */
static size_t ref_train(int32_t *ids, const size_t *starts, size_t *lens, const int64_t *counts, size_t nchunks, size_t merges,
                        int32_t *out_pairs) {
    static ref_pair stats[MAXN * 2];
    size_t made = 0;
    for (size_t k = 0; k < merges; k++) {
        size_t ns = 0;
        for (size_t c = 0; c < nchunks; c++)
            for (size_t i = 0; i + 1 < lens[c]; i++) {
                size_t j = 0;
                while (j < ns && !(stats[j].a == (uint32_t)ids[starts[c] + i] && stats[j].b == (uint32_t)ids[starts[c] + i + 1])) j++;
                if (j == ns) stats[ns++] = (ref_pair){(uint32_t)ids[starts[c] + i], (uint32_t)ids[starts[c] + i + 1], 0};
                stats[j].count += counts[c];
            }
        if (!ns) break;
        size_t best = 0;
        for (size_t j = 1; j < ns; j++)
            if (stats[j].count > stats[best].count) best = j;
        int32_t x = (int32_t)(256 + k);
        for (size_t c = 0; c < nchunks; c++) {
            size_t o = 0;
            for (size_t i = 0; i < lens[c];) {
                if (i + 1 < lens[c] && (uint32_t)ids[starts[c] + i] == stats[best].a && (uint32_t)ids[starts[c] + i + 1] == stats[best].b) {
                    ids[starts[c] + o++] = x;
                    i += 2;
                } else {
                    ids[starts[c] + o++] = ids[starts[c] + i++];
                }
            }
            lens[c] = o;
        }
        out_pairs[2 * k] = (int32_t)stats[best].a;
        out_pairs[2 * k + 1] = (int32_t)stats[best].b;
        made++;
    }
    return made;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2 || size > 600) return 0; /* the naive trainer is cubic */
    size_t merges = 1 + (data[0] & 63);
    uint8_t sep = data[1];
    data += 2;
    size -= 2;
    /* distinct chunks, in order of first appearance */
    static size_t starts[MAXN + 1];
    static int64_t counts[MAXN];
    static uint8_t blob[MAXN];
    static int32_t ids[MAXN];
    static size_t lens[MAXN];
    size_t nchunks = 0, used = 0;
    starts[0] = 0;
    for (size_t s = 0; s < size;) {
        size_t e = s;
        while (e < size && data[e] != sep) e++;
        if (e < size) e++;
        size_t c = 0;
        while (c < nchunks && !(starts[c + 1] - starts[c] == e - s && !memcmp(blob + starts[c], data + s, e - s))) c++;
        if (c == nchunks) {
            memcpy(blob + used, data + s, e - s);
            used += e - s;
            starts[++nchunks] = used;
            counts[c] = 0;
        }
        counts[c]++;
        s = e;
    }
    for (size_t c = 0; c < nchunks; c++) {
        lens[c] = starts[c + 1] - starts[c];
        for (size_t i = 0; i < lens[c]; i++) ids[starts[c] + i] = blob[starts[c] + i];
    }
    static int32_t want[128], got[128], got1[128];
    static int64_t freqs[64];
    size_t nwant = ref_train(ids, starts, lens, counts, nchunks, merges, want);

    spbpe_error err;
    spbpe_bytebpe_trainer *t = spbpe_bytebpe_trainer_new(blob, starts, counts, nchunks, &err);
    FUZZ_CHECK(t != NULL);
    size_t done = 0;
    FUZZ_CHECK(spbpe_bytebpe_trainer_merge(t, merges, got, freqs, &done, &err) == SPBPE_OK);
    spbpe_bytebpe_trainer_free(t);
    FUZZ_CHECK(done == nwant && !memcmp(got, want, nwant * 2 * sizeof(int32_t)));

    t = spbpe_bytebpe_trainer_new(blob, starts, counts, nchunks, &err);
    FUZZ_CHECK(t != NULL);
    for (size_t k = 0; k < merges; k++) {
        size_t one = 0;
        FUZZ_CHECK(spbpe_bytebpe_trainer_merge(t, 1, got1 + 2 * k, freqs, &one, &err) == SPBPE_OK);
        if (!one) break;
    }
    spbpe_bytebpe_trainer_free(t);
    FUZZ_CHECK(!memcmp(got1, want, nwant * 2 * sizeof(int32_t)));

    /* encode the whole input as one chunk: segments vs scan */
    static int32_t triples[3 * 64];
    for (size_t k = 0; k < nwant; k++) {
        triples[3 * k] = want[2 * k];
        triples[3 * k + 1] = want[2 * k + 1];
        triples[3 * k + 2] = (int32_t)(256 + k);
    }
    spbpe_pair_merges *m = spbpe_pair_merges_new(triples, nwant, NULL, &err);
    FUZZ_CHECK(m != NULL);
    static int32_t a[MAXN], b[MAXN];
    size_t one[2] = {0, size};
    int64_t na = spbpe_pair_merges_encode(m, data, one, 1, 0, a, MAXN, &err);
    int64_t nb = spbpe_pair_merges_encode(m, data, one, 1, 1, b, MAXN, &err);
    FUZZ_CHECK(na >= 0 && na == nb && !memcmp(a, b, (size_t)na * sizeof(int32_t)));
    spbpe_pair_merges_free(m);
    return 0;
}

/*
 * fuzz_train_counts.c - the trainer's word-count seam (train_counts.c).
 * Byte 0 picks the options (split rules, nmt_nfkc or identity); the rest
 * is a corpus, one sentence per line.  Invariants: the export is sorted,
 * strictly (no word twice), its words are non-empty and free of ' ', and
 * the counts add up; importing the export into a fresh trainer exports the
 * same table; the same bytes imported as arbitrary (word, count) pairs are
 * refused or accepted without a crash; and training from imported counts
 * either succeeds or fails with a message.
 */
#include "fuzz_common.h"

static uint8_t *nfkc;
static size_t nfkc_len;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    static const char *const names[] = {"nmt_nfkc.bin"};
    fuzz_read_data_files(names, 0, 1, &nfkc, &nfkc_len);
    return 0;
}

static spbpe_trainer *new_trainer(uint8_t a) {
    spbpe_trainer_options o;
    fuzz_trainer_defaults(&o);
    o.vocab_size = 40 + (a & 0x0F) * 8;
    o.split_by_whitespace = !(a & 0x10);
    o.treat_whitespace_as_suffix = (a >> 5) & 1;
    o.allow_whitespace_only_pieces = (a >> 6) & 1;
    o.byte_fallback = 1;
    if (a & 0x80) {
        o.charsmap = nfkc;
        o.charsmap_len = nfkc_len;
    }
    o.num_threads = 1;
    spbpe_error err;
    return spbpe_trainer_new(&o, &err);
}

typedef struct table {
    uint8_t *arena;
    uint32_t *lens;
    int64_t *counts;
    size_t n, nbytes;
} table;

static int export_table(spbpe_trainer *t, table *x) {
    spbpe_error err;
    memset(x, 0, sizeof *x);
    if (spbpe_trainer_count_size(t, &x->n, &x->nbytes, &err) != SPBPE_OK) return -1;
    x->arena = malloc(x->nbytes + 1);
    x->lens = malloc((x->n + 1) * sizeof *x->lens);
    x->counts = malloc((x->n + 1) * sizeof *x->counts);
    FUZZ_CHECK(x->arena && x->lens && x->counts);
    FUZZ_CHECK(spbpe_trainer_count_export(t, x->arena, x->nbytes, x->lens, x->counts, x->n, &err) == SPBPE_OK);
    return 0;
}

static void free_table(table *x) {
    free(x->arena);
    free(x->lens);
    free(x->counts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 4096) return 0;
    uint8_t a = data[0];
    data++;
    size--;
    spbpe_error err;
    spbpe_trainer *t = new_trainer(a);
    if (!t) return 0;
    uint64_t kept = 0;
    if (spbpe_trainer_add_lines(t, data, size, &kept, &err) != SPBPE_OK) {
        spbpe_trainer_free(t);
        return 0;
    }
    table x;
    FUZZ_CHECK(export_table(t, &x) == 0);
    size_t off = 0;
    for (size_t i = 0; i < x.n; i++) {
        FUZZ_CHECK(x.lens[i] > 0 && x.counts[i] >= 1);
        FUZZ_CHECK(memchr(x.arena + off, ' ', x.lens[i]) == NULL);
        if (i) { /* strictly increasing: memcmp, shorter first on a tie */
            size_t pl = x.lens[i - 1], cl = x.lens[i], m = pl < cl ? pl : cl;
            int c = memcmp(x.arena + off - pl, x.arena + off, m);
            FUZZ_CHECK(c < 0 || (c == 0 && pl < cl));
        }
        off += x.lens[i];
    }
    FUZZ_CHECK(off == x.nbytes);

    /* Round trip through a fresh trainer. */
    spbpe_trainer *u = new_trainer(a);
    FUZZ_CHECK(u != NULL);
    FUZZ_CHECK(spbpe_trainer_add_counts(u, x.arena, x.nbytes, x.lens, x.counts, x.n, &err) == SPBPE_OK);
    table y;
    FUZZ_CHECK(export_table(u, &y) == 0);
    FUZZ_CHECK(y.n == x.n && y.nbytes == x.nbytes);
    FUZZ_CHECK(x.nbytes == 0 || memcmp(x.arena, y.arena, x.nbytes) == 0);
    FUZZ_CHECK(x.n == 0 || memcmp(x.lens, y.lens, x.n * sizeof *x.lens) == 0);
    FUZZ_CHECK(x.n == 0 || memcmp(x.counts, y.counts, x.n * sizeof *x.counts) == 0);
    /* Train from the imported counts: success or a message. */
    if (spbpe_trainer_train(u, &err) != SPBPE_OK) FUZZ_CHECK(err.message[0] != 0);
    free_table(&y);
    spbpe_trainer_free(u);
    free_table(&x);
    spbpe_trainer_free(t);

    /* The raw bytes as (word, count) pairs: words of 1-16 bytes. */
    spbpe_trainer *v = new_trainer(a);
    FUZZ_CHECK(v != NULL);
    uint32_t lens[64];
    int64_t counts[64];
    size_t n = 0, total = 0;
    while (n < 64 && total < size) {
        uint32_t l = 1 + (data[total] & 15);
        if (l > size - total) l = (uint32_t)(size - total);
        lens[n] = l;
        counts[n] = (int64_t)(data[total] >> 4) - 1; /* -1 .. 14: some invalid */
        total += l;
        n++;
    }
    int st = spbpe_trainer_add_counts(v, data, total, lens, counts, n, &err);
    if (st != SPBPE_OK) FUZZ_CHECK(err.message[0] != 0);
    else if (spbpe_trainer_train(v, &err) != SPBPE_OK) FUZZ_CHECK(err.message[0] != 0);
    spbpe_trainer_free(v);
    return 0;
}

/*
 * test_vsum.c - the validity summaries (train_piece_valid.c) against the direct
 * IsValidSentencePiece on the joined code points, for every combination of
 * the options that matter and random pieces over an alphabet of the cases
 * the rules treat apart.  Built and run by tests/test_c_units.py.
 */
#include <stdio.h>
#include <stdlib.h>

#include "train/train_internal.h"

static const uint32_t ALPHABET[] = {
    0x2581, 0x2581,           /* U+2581, twice as likely */
    'a', 'Z', '0', '7',       /* Latin, digits */
    0xFF11,                   /* fullwidth digit */
    0x3B1, 0x5D0,             /* Greek, Hebrew */
    0x65E5, 0x3042, 0x30A2, 0x30FC, /* Han, Hiragana, Katakana, the long-vowel mark */
    0x301, 0x5B4,             /* combining marks (Inherited) */
    ',', 0x2014,              /* Common punctuation */
    0x1F600,                  /* an emoji, outside the BMP */
};
#define ALPHABET_N (sizeof ALPHABET / sizeof ALPHABET[0])

#define TEST_SEED 0x9E3779B97F4A7C15ULL
#include "xorshift.h"

/* The summary of cps[0..n) built as the trainer builds it: characters
 * joined left to right (every prefix valid, as every pair symbol is). */
static int summarize(const sp_valid_opts *o, const uint32_t *cps, size_t n, sp_vsum *out) {
    sp_vsum v = sp_vsum_char(o, cps[0]);
    for (size_t i = 1; i < n; i++) {
        if (!sp_piece_valid(o, cps, i + 1)) return 0;
        v = sp_vsum_join(v, sp_vsum_char(o, cps[i]));
    }
    *out = v;
    return 1;
}

int main(void) {
    uint8_t *bmp = malloc(0x10000);
    if (!bmp) return 2;
    sp_script_fill_bmp(bmp);
    long checked = 0, bad = 0;
    for (int combo = 0; combo < 256; combo++) {
        sp_valid_opts o = {combo & 128 ? 4 : 16, !!(combo & 1), !!(combo & 2), !!(combo & 4), !!(combo & 8),
                           !!(combo & 16), !!(combo & 32), combo & 64 ? bmp : NULL};
        for (int trial = 0; trial < 20000; trial++) {
            uint32_t cps[40];
            size_t na = 1 + next(6), nb = 1 + next(6);
            for (size_t i = 0; i < na + nb; i++) cps[i] = ALPHABET[next(ALPHABET_N)];
            sp_vsum a, b;
            if (!summarize(&o, cps, na, &a) || !summarize(&o, cps + na, nb, &b)) continue;
            int want = sp_piece_valid(&o, cps, na + nb);
            int got = sp_vsum_join_valid(&o, a, b, na + nb);
            checked++;
            if (want != got) {
                if (++bad <= 5) fprintf(stderr, "combo %d: %zu+%zu chars: IsValid %d, summaries %d\n", combo, na, nb,
                                        want, got);
            }
        }
    }
    free(bmp);
    printf("checked %ld joins, %ld differ\n", checked, bad);
    return bad ? 1 : 0;
}

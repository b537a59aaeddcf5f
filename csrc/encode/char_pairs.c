/*
 * char_pairs.c - which two characters ever sit side by side inside a piece.
 *
 * A merge joins two neighbouring symbols into a normal-map piece, so a
 * symbol that spans the boundary between characters a and b is a piece in
 * which a comes right before b.  When no normal-map piece holds the pair
 * (a, b), BPE never merges across that boundary, and the text on either side
 * encodes on its own: the merges on one side never change the candidates on
 * the other, and the best pair of the whole text is always the best pair of
 * its own side.  The encoder uses this to cut long segments (CJK runs have
 * no U+2581 to split at) into short, cacheable units.
 *
 * Characters are keyed by code point, and only well-formed ones: both pieces
 * and text are read with OneCharLen, so their character boundaries agree,
 * and the encoder never cuts next to a malformed byte.
 */
#include <stdlib.h>

#include "encode/encode.h"

static void insert(uint64_t *slots, size_t mask, uint64_t key, size_t *count) {
    for (size_t i = (size_t)(sp_char_pair_hash(key) >> 20) & mask;; i = (i + 1) & mask) {
        if (slots[i] == key) return;
        if (slots[i] == 0) {
            slots[i] = key;
            (*count)++;
            return;
        }
    }
}

/* Doubles the table; returns -1 when out of memory. */
static int grow(sp_char_pairs *cp) {
    size_t size = 2 * (cp->mask + 1), count = 0;
    uint64_t *slots = calloc(size, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i <= cp->mask; i++)
        if (cp->slots[i]) insert(slots, size - 1, cp->slots[i], &count);
    free(cp->slots);
    cp->slots = slots;
    cp->mask = size - 1;
    return 0;
}

int sp_char_pairs_join_slow(const sp_char_pairs *cp, uint64_t key) {
    for (size_t i = (size_t)(sp_char_pair_hash(key) >> 20) & cp->mask;; i = (i + 1) & cp->mask) {
        if (cp->slots[i] == key) return 1;
        if (cp->slots[i] == 0) return 0;
    }
}

/* The table grows as distinct pairs arrive (a few thousand for Llama 2,
 * out of some 150,000 occurrences), so it stays small and in cache.
 *
 * The same pass answers closed_chars: is every character of every
 * multi-character NORMAL/UNUSED piece a normal-map piece itself?  Then a
 * symbol outside the vocabulary never takes part in a merge, and the
 * encoder skips those lookups. */
int sp_scan_piece_chars(spbpe_model *m, int want_pairs, spbpe_error *err) {
    sp_char_pairs *cp = &m->char_pairs;
    size_t count = 0;
    if (want_pairs) {
        cp->mask = 4095;
        cp->slots = calloc(cp->mask + 1, sizeof *cp->slots);
        cp->filter = calloc(SP_PAIR_FILTER_BITS / 64, sizeof *cp->filter);
        if (!cp->slots || !cp->filter)
            return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory building the character pairs");
    }
    int closed = 1;
    for (int32_t id = 0; id < m->piece_count; id++) {
        if (!sp_in_normal_map(m->type[id])) continue;
        const uint8_t *p = sp_piece_ptr(m, id);
        size_t n = sp_piece_len(m, id);
        int check_closed = closed && m->type[id] != SPBPE_PIECE_USER_DEFINED && n > 1 &&
                           sp_utf8_char_len(p, n) != n;
        uint32_t prev = SP_NOT_A_CHAR;
        for (size_t i = 0; i < n;) {
            size_t l = sp_utf8_char_len(p + i, n - i);
            uint32_t c = sp_utf8_scalar(p + i, l);
            if (check_closed && sp_char_id(m, p + i, l) < 0) closed = 0;
            if (want_pairs && prev != SP_NOT_A_CHAR && c != SP_NOT_A_CHAR) {
                if (2 * (count + 1) > cp->mask + 1 && grow(cp))
                    return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory building the character pairs");
                insert(cp->slots, cp->mask, sp_char_pair_key(prev, c), &count);
            }
            prev = c;
            i += l;
        }
    }
    m->closed_chars = closed;
    if (!want_pairs) return SPBPE_OK;
    for (size_t i = 0; i <= cp->mask; i++) {
        if (!cp->slots[i]) continue;
        uint32_t bit = (uint32_t)(sp_char_pair_hash(cp->slots[i]) >> 44);
        cp->filter[bit >> 6] |= (uint64_t)1 << (bit & 63);
    }
    return SPBPE_OK;
}

void sp_char_pairs_release(sp_char_pairs *cp) {
    free(cp->slots);
    free(cp->filter);
    cp->slots = NULL;
    cp->filter = NULL;
}

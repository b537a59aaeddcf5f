/*
 * pair_memo.c - which neighbouring pieces merge, remembered per workspace.
 *
 * The merge loop asks, for two neighbouring symbols, which piece their
 * bytes form, if any.  The answer depends only on the two ids, and real
 * text meets the same few thousand pairs again and again, so a workspace
 * keeps the answers in a 64K-slot table (512 KiB): after warm-up a question
 * costs one integer probe instead of hashing and comparing the bytes.
 * Building the full table of every piece's splits at load instead cost more
 * than the rest of loading together.  When the memo is three quarters full
 * it starts over; it remembers which model (by generation id) filled it.
 */
#include <stdlib.h>
#include <string.h>

#include "encode/encode.h"

int sp_pair_memo_prepare(sp_pair_memo *memo, const spbpe_model *m) {
    if (!memo->slots) {
        memo->slots = calloc(SP_MEMO_SLOTS, sizeof *memo->slots);
        if (!memo->slots) return -1;
        memo->generation = m->generation;
        memo->count = 0;
    }
    if (memo->generation != m->generation) {
        memset(memo->slots, 0, SP_MEMO_SLOTS * sizeof *memo->slots);
        memo->generation = m->generation;
        memo->count = 0;
    }
    return 0;
}

void sp_pair_memo_release(sp_pair_memo *memo) {
    free(memo->slots);
    memset(memo, 0, sizeof *memo);
}

/* The slow path: look the bytes up and remember the answer at `slot` (the
 * empty slot the probe stopped at). */
int32_t sp_pair_memo_learn(sp_pair_memo *memo, const spbpe_model *m, uint64_t key, size_t slot, const uint8_t *s,
                           size_t n) {
    int32_t merged = sp_lookup_normal(m, s, n);
    if (memo->count >= SP_MEMO_SLOTS / 4 * 3) {
        memset(memo->slots, 0, SP_MEMO_SLOTS * sizeof *memo->slots);
        memo->count = 0;
        slot = sp_pair_memo_home(key);
    }
    memo->slots[slot] = key << 22 | (uint64_t)(merged + 1);
    memo->count++;
    return merged;
}

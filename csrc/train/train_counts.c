/*
 * train_counts.c - the trainer's word table out and in: the seam that lets
 * word counts be gathered in many processes, merged, and trained from.
 *
 * The word table (distinct word -> summed sentence frequency, built by
 * train_feed.c) is all that training reads: the words of a sentence
 * concatenate back to the normalized sentence with its meta pieces cut to
 * U+001F, so characters are counted from it too (train_chars.c).  Two
 * tables of the same counting options therefore add up, word by word, to
 * the table of the two inputs together.
 *
 *   export: spbpe_trainer_count_size folds the feeders' tables into the
 *           trainer's (sp_feeders_merge) and gives the sizes; then
 *           spbpe_trainer_count_export copies the words sorted bytewise
 *           (memcmp, shorter first on a common prefix) into caller buffers.
 *           The sort makes the export a function of the multiset of words,
 *           whatever the input order or thread count.
 *   import: spbpe_trainer_add_counts adds (word, count) pairs to feeder 0's
 *           table as they are: no filter, normalization or splitting.
 *           Each word must be what the feed path could have produced:
 *           non-empty, valid UTF-8, no ' ', no U+2585; each count >= 1 and
 *           no sum past INT64_MAX.
 *
 * Invariants kept: every table word is non-empty valid UTF-8, counts >= 1.
 */
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

SP_API int spbpe_trainer_count_size(spbpe_trainer *t, size_t *nwords, size_t *nbytes, spbpe_error *err) {
    sp_clear_error(err);
    if (!t || !nwords || !nbytes) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    *nwords = *nbytes = 0;
    if (t->trained) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "the trainer has already trained");
    if (sp_feeders_merge(t)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory merging word tables");
    *nwords = t->words.len;
    *nbytes = t->words.arena_len;
    return SPBPE_OK;
}

typedef struct sp_count_ref {
    const uint8_t *p;
    uint32_t len;
    int64_t count;
} sp_count_ref;

static int cmp_ref(const void *a, const void *b) {
    const sp_count_ref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->p, y->p, n) : 0;
    if (c) return c;
    return (x->len > y->len) - (x->len < y->len);
}

SP_API int spbpe_trainer_count_export(const spbpe_trainer *t, uint8_t *arena, size_t arena_len, uint32_t *lens,
                                      int64_t *counts, size_t nwords, spbpe_error *err) {
    sp_clear_error(err);
    if (!t || (nwords && (!lens || !counts)) || (arena_len && !arena))
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    if (t->trained) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "the trainer has already trained");
    if (nwords != t->words.len || arena_len != t->words.arena_len)
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0,
                       "buffers for %zu words in %zu bytes, the table has %zu in %zu (call spbpe_trainer_count_size)",
                       nwords, arena_len, t->words.len, t->words.arena_len);
    if (nwords == 0) return SPBPE_OK;
    sp_count_ref *refs = malloc(nwords * sizeof *refs);
    if (!refs) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    for (size_t i = 0; i < nwords; i++) {
        const sp_word *w = &t->words.words[i];
        refs[i] = (sp_count_ref){.p = t->words.arena + w->off, .len = w->len, .count = w->count};
    }
    qsort(refs, nwords, sizeof *refs, cmp_ref);
    size_t o = 0;
    for (size_t i = 0; i < nwords; i++) {
        memcpy(arena + o, refs[i].p, refs[i].len);
        o += refs[i].len;
        lens[i] = refs[i].len;
        counts[i] = refs[i].count;
    }
    free(refs);
    return SPBPE_OK;
}

/* Is w (n > 0 bytes) a word the feed path could have made? */
static int check_word(const uint8_t *w, size_t n, size_t base, spbpe_error *err) {
    for (size_t i = 0; i < n;) {
        size_t l;
        if (!sp_utf8_valid_char(w + i, n - i, &l))
            return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, base + i, "a word is not valid UTF-8");
        if (l == 1 && w[i] == ' ')
            return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, base + i,
                           "a word contains ' ' (words hold U+2581 where the text had spaces)");
        if (l == 3 && w[i] == 0xE2 && w[i + 1] == 0x96 && w[i + 2] == 0x85)
            return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, base + i, "a word contains U+2585");
        i += l;
    }
    return SPBPE_OK;
}

SP_API int spbpe_trainer_add_counts(spbpe_trainer *t, const uint8_t *arena, size_t arena_len, const uint32_t *lens,
                                    const int64_t *counts, size_t nwords, spbpe_error *err) {
    sp_clear_error(err);
    if (!t || (nwords && (!lens || !counts)) || (arena_len && !arena))
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    if (t->trained) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "the trainer has already trained");
    size_t total = 0;
    for (size_t i = 0; i < nwords; i++) {
        if (lens[i] == 0) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, total, "word %zu is empty", i);
        if (counts[i] < 1) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, total, "word %zu has a count < 1", i);
        if (lens[i] > arena_len - total)
            return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, total, "the word lengths run past the word bytes");
        int st = check_word(arena + total, lens[i], total, err);
        if (st) return st;
        total += lens[i];
    }
    if (total != arena_len)
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, total, "the word lengths add up to %zu of %zu bytes", total,
                       arena_len);
    if (t->nfeeders == 0) {
        t->feeders = calloc(1, sizeof *t->feeders);
        if (!t->feeders) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
        t->nfeeders = 1;
    }
    sp_wordtab *tab = &t->feeders[0].words;
    size_t off = 0;
    for (size_t i = 0; i < nwords; i++) {
        const uint8_t *w = arena + off;
        uint64_t h = sp_hash_bytes(w, lens[i]);
        /* Refuse a sum past INT64_MAX before adding (the table adds blindly). */
        size_t slot = (size_t)h & tab->mask;
        if (tab->slots) {
            for (uint64_t s; (s = tab->slots[slot]) != 0; slot = (slot + 1) & tab->mask) {
                const sp_word *x = &tab->words[(uint32_t)s - 1];
                if (x->hash == h && x->len == lens[i] && sp_bytes_equal(tab->arena + x->off, w, lens[i])) {
                    if (x->count > INT64_MAX - counts[i])
                        return sp_fail(err, SPBPE_ERR_LIMIT, off, "word %zu: the count passes 2^63 - 1", i);
                    break;
                }
            }
        }
        if (sp_wordtab_add_hashed(tab, w, lens[i], h, counts[i]))
            return sp_fail(err, SPBPE_ERR_NOMEM, off, "out of memory counting words");
        off += lens[i];
    }
    return SPBPE_OK;
}

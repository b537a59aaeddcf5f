/*
 * train_word.c - the word model trainer (sentencepiece 0.2.3's
 * word_model_trainer.cc): the vocabulary is the most frequent words.
 *
 * Words come from the word table, which the feeder split with
 * SplitIntoWords' defaults (a word starts at every U+2581; the trainer sets
 * that for model_type word whatever treat_whitespace_as_suffix says, as
 * sentencepiece does).  A word holding a character that coverage did not
 * keep is U+2585 there, and such words are skipped; the U+001F that stands
 * for a cut-out meta piece is never kept, so words touching one are skipped
 * too.  Every word still counts in the total:
 *   score = logf(count) - logf(sum of all word counts), in float32,
 * the order is count descending, then bytes ascending (Sorted()), and the
 * vocabulary takes the first vocab_size - meta pieces (all with
 * use_all_vocab, which then sets vocab_size).
 *
 * Known difference: when U+2581 itself is not kept (only possible without
 * a dummy prefix and with almost no spaces), sentencepiece no longer splits
 * there and its total counts whole sentences; ours still counts words.
 */
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

typedef struct sp_word_entry {
    const uint8_t *piece;
    uint32_t len;
    int64_t count;
} sp_word_entry;

static int cmp_word(const void *a, const void *b) {
    const sp_word_entry *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->piece, y->piece, n) : 0;
    if (c) return c;
    return (x->len > y->len) - (x->len < y->len);
}

/* Is every character of the word kept by coverage? */
static int all_kept(const sp_charset *cs, const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t l;
        uint32_t c = sp_utf8_decode(s + i, n - i, &l);
        i += l;
        if (sp_charset_find(cs, c) < 0) return 0;
    }
    return 1;
}

int sp_train_word(spbpe_trainer *t, const sp_charset *cs, spbpe_error *err) {
    if (t->meta_count > (size_t)t->vocab_size)
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "vocab_size (%d) is smaller than the %zu meta pieces",
                       (int)t->vocab_size, t->meta_count);
    size_t budget = (size_t)t->vocab_size - t->meta_count;
    const sp_wordtab *w = &t->words;
    sp_word_entry *e = malloc((w->len + 1) * sizeof *e);
    if (!e) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    uint64_t sum = 0;
    size_t n = 0;
    for (size_t i = 0; i < w->len; i++) {
        const sp_word *wd = &w->words[i];
        sum += (uint64_t)wd->count;
        if (!all_kept(cs, w->arena + wd->off, wd->len)) continue;
        e[n++] = (sp_word_entry){.piece = w->arena + wd->off, .len = wd->len, .count = wd->count};
    }
    qsort(e, n, sizeof *e, cmp_word);
    if (!t->use_all_vocab && n > budget) n = budget;
    sp_piece_list l = {0};
    int st = SPBPE_OK;
    for (size_t i = 0; i < n && !st; i++)
        if (sp_piece_list_add(&l, e[i].piece, e[i].len, e[i].count)) st = sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    if (!st) st = sp_assemble_logfreq(t, &l, sum, err);
    sp_piece_list_release(&l);
    free(e);
    return st;
}

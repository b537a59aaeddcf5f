/*
 * train_char_model.c - the char model trainer (sentencepiece 0.2.3's
 * char_model_trainer.cc): the vocabulary is the characters coverage kept.
 *
 * Characters come in coverage's final order (count descending, code point
 * ascending; sp_char_coverage), each scored
 *   logf(count) - logf(sum of the kept characters' counts), in float32
 * (a required character that never occurs scores -inf, as there).  The
 * first vocab_size - meta are taken (all with use_all_vocab).  The
 * vocabulary may come out smaller than vocab_size whatever
 * hard_vocab_limit says: sentencepiece's Serialize then shrinks vocab_size
 * for a char model.
 */
#include "train/train_internal.h"

int sp_train_char(spbpe_trainer *t, const sp_charset *cs, spbpe_error *err) {
    if (t->meta_count > (size_t)t->vocab_size)
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "vocab_size (%d) is smaller than the %zu meta pieces",
                       (int)t->vocab_size, t->meta_count);
    size_t n = cs->len, budget = (size_t)t->vocab_size - t->meta_count;
    if (!t->use_all_vocab && n > budget) n = budget;
    uint64_t sum = 0;
    for (size_t i = 0; i < cs->len; i++) sum += (uint64_t)cs->counts[i];
    sp_piece_list l = {0};
    for (size_t i = 0; i < n; i++) {
        uint8_t utf8[4];
        if (sp_piece_list_add(&l, utf8, sp_utf8_encode(cs->cps[i], utf8), cs->counts[i])) {
            sp_piece_list_release(&l);
            return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
        }
    }
    t->hard_vocab_limit = 0;
    int st = sp_assemble_logfreq(t, &l, sum, err);
    sp_piece_list_release(&l);
    return st;
}

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
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

int sp_train_char(spbpe_trainer *t, const sp_charset *cs, spbpe_error *err) {
    if (t->meta_count > (size_t)t->vocab_size)
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "vocab_size (%d) is smaller than the %zu meta pieces",
                       (int)t->vocab_size, t->meta_count);
    size_t n = cs->len, budget = (size_t)t->vocab_size - t->meta_count;
    if (!t->use_all_vocab && n > budget) n = budget;
    uint64_t sum = 0;
    for (size_t i = 0; i < cs->len; i++) sum += (uint64_t)cs->counts[i];
    uint8_t *buf = malloc(4 * n + 1);
    uint64_t *off = malloc((n + 1) * sizeof *off);
    float *score = malloc((n + 1) * sizeof *score);
    int st;
    if (!buf || !off || !score) {
        st = sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
        goto out;
    }
    const float logsum = logf((float)sum);
    off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        off[i + 1] = off[i] + sp_utf8_encode(cs->cps[i], buf + off[i]);
        score[i] = logf((float)cs->counts[i]) - logsum;
    }
    if (t->use_all_vocab) t->vocab_size = (int32_t)(n + t->meta_count);
    t->hard_vocab_limit = 0;
    st = sp_assemble_scored(t, buf, off, score, n, err);
out:
    free(buf);
    free(off);
    free(score);
    return st;
}

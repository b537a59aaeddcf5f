/*
 * unigram_prune.c - one pruning round of unigram training, as
 * sentencepiece 0.2.3's Trainer::PruneSentencePieces.
 *
 * 1. Each piece is segmented alone (n-best 2, unigram/nbest.c with
 *    libstdc++'s heap order): if its best path splits it, it may go; if
 *    the best path is the piece itself, its second best path is its
 *    alternative (none: it stays).
 * 2. Every sentence's Viterbi path counts its pieces (float, weighted by
 *    the sentence count; unknown nodes count for piece 0, TrainerModel's
 *    unk id), partitioned i % num_threads and added in thread order; F of
 *    a piece sums the counts of the sentences holding it, once per
 *    occurrence, in the order of sentencepiece's merged inverted lists
 *    (thread 0's sentences ascending, then thread 1's, ...).
 * 3. Loss of removing a piece = F/vsum x (log p(piece) - sum log p(alt))
 *    with the alternative counts raised by the piece's; pieces that never
 *    win a Viterbi path go, pieces without alternative stay (in id order),
 *    then the highest-loss candidates (loss descending, id ascending) until
 *    max(desired, shrinking_factor x size) pieces remain.
 * Arithmetic mirrors the float/double mix of the original statement by
 * statement (the sum of counts is a double accumulate).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/unigram_train.h"
#include "unigram/unigram.h"

typedef struct sp_cand {
    float loss;
    uint32_t id;
} sp_cand;

static int by_loss(const void *pa, const void *pb) {
    const sp_cand *a = pa, *b = pb;
    if (a->loss != b->loss) return a->loss > b->loss ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

int sp_uni_prune(const sp_umodel *um, const sp_upieces *in, const sp_sentlist *words, int32_t threads,
                 size_t desired, float shrinking_factor, sp_upieces *out, spbpe_error *err) {
    size_t np = in->n;
    memset(out, 0, sizeof *out);
    sp_uni_scratch *s = calloc(1, sizeof *s);
    uint8_t *keep = malloc(np + 1);
    size_t *alt_at = malloc((np + 2) * sizeof *alt_at); /* alternatives of i: alts[alt_at[i] .. alt_at[i+1]) */
    int32_t *alts = NULL;
    size_t alts_len = 0, alts_cap = 0;
    float *freq = calloc(np + 1, sizeof *freq), *part = malloc((np + 1) * sizeof *part);
    float *fsum = calloc(np + 1, sizeof *fsum);
    sp_cand *cand = NULL;
    int st = SPBPE_OK;
    if (!s || !keep || !alt_at || !freq || !part || !fsum) goto oom;
    /* 1. alternatives */
    for (size_t i = 0; i < np; i++) {
        alt_at[i] = alts_len;
        keep[i] = 1;
        if (sp_lattice_build(&um->m, s, in->arena + in->off[i], in->off[i + 1] - in->off[i])) goto oom;
        s->paths_len = s->path_len = 0;
        if (sp_lattice_nbest(s, s->chars, 2, 0, 0.0f, NULL, 0)) goto oom;
        if (s->paths_len == 1) continue;
        if (s->paths_len < 1) continue;
        if (s->paths[0].len >= 2) {
            keep[i] = 0;
        } else if (s->paths[0].len == 1) {
            const sp_path *p = &s->paths[1];
            if (sp_reserve((void **)&alts, &alts_cap, alts_len + p->len + 1, sizeof *alts)) goto oom;
            for (size_t k = 0; k < p->len; k++) alts[alts_len++] = s->nodes[s->path_nodes[p->off + k]].id;
        }
    }
    alt_at[np] = alts_len;
    /* 2. Viterbi counts and F */
    float vsum = 0.0f;
    for (int32_t th = 0; th < threads; th++) {
        memset(part, 0, np * sizeof *part);
        float vs = 0.0f;
        for (size_t i = (size_t)th; i < words->len; i += (size_t)threads) {
            int64_t c = words->freq[i];
            if (sp_lattice_build(&um->m, s, words->arena + words->off[i], (size_t)(words->off[i + 1] - words->off[i])))
                goto oom;
            s->paths_len = s->path_len = 0;
            sp_path best;
            int vst = sp_lattice_viterbi(s, s->chars, &best);
            if (vst == -1) goto oom;
            vs += (float)c;
            if (vst) continue;
            for (size_t k = 0; k < best.len; k++) {
                int32_t id = s->nodes[s->path_nodes[best.off + k]].id;
                if (id < 0) continue;
                part[id] += (float)c;
                fsum[id] += (float)c;
            }
        }
        vsum += vs;
        for (size_t k = 0; k < np; k++) freq[k] += part[k];
    }
    /* 3. losses */
    double dsum = 0.0;
    for (size_t k = 0; k < np; k++) dsum += (double)freq[k];
    const float sum = (float)dsum;
    const float logsum = (float)log((double)sum);
    cand = malloc((np + 1) * sizeof *cand);
    if (!cand) goto oom;
    size_t ncand = 0;
    for (size_t i = 0; i < np; i++) {
        if (freq[i] == 0 || !keep[i]) continue;
        size_t na = alt_at[i + 1] - alt_at[i];
        if (na == 0) {
            if (sp_upieces_add(out, in->arena + in->off[i], in->off[i + 1] - in->off[i], in->score[i])) goto oom;
            continue;
        }
        float F = fsum[i];
        F /= vsum;
        const float logprob_sp = (float)(log((double)freq[i]) - (double)logsum);
        const float logsum_alt = (float)log((double)(sum + freq[i] * (float)(na - 1)));
        float logprob_alt = 0.0f;
        for (size_t k = alt_at[i]; k < alt_at[i + 1]; k++)
            logprob_alt = (float)((double)logprob_alt + (log((double)(freq[alts[k]] + freq[i])) - (double)logsum_alt));
        const float loss = F * (logprob_sp - logprob_alt);
        cand[ncand++] = (sp_cand){loss, (uint32_t)i};
    }
    float shrunk = shrinking_factor * (float)np;
    int pruned = (int)shrunk;
    if ((size_t)pruned < desired) pruned = (int)desired;
    qsort(cand, ncand, sizeof *cand, by_loss);
    for (size_t j = 0; j < ncand; j++) {
        if (out->n == (size_t)pruned) break;
        size_t i = cand[j].id;
        if (sp_upieces_add(out, in->arena + in->off[i], in->off[i + 1] - in->off[i], in->score[i])) goto oom;
    }
    goto done;
oom:
    st = sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory pruning pieces");
    sp_upieces_release(out);
done:
    sp_uni_scratch_free(s);
    free(keep);
    free(alt_at);
    free(alts);
    free(freq);
    free(part);
    free(fsum);
    free(cand);
    return st;
}

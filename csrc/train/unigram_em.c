/*
 * unigram_em.c - the EM steps of unigram training, as sentencepiece
 * 0.2.3's Trainer::RunEStep and RunMStep (unigram_model_trainer.cc).
 *
 * The model of one iteration is a throw-away spbpe_model holding only
 * what the unigram lattice reads (pieces, scores, all NORMAL, unk id 0 as
 * TrainerModel's unk_id_ is 0): lattices are built by unigram/lattice.c,
 * so nodes, their order and the unknown nodes (min score - 10, counted for
 * piece 0 as in sentencepiece) are those of the encoder.
 *
 * E-step: per sentence the forward (lattice.c) and backward passes in
 * float with sentencepiece's LogSumExp, then every node's marginal
 * freq * exp(alpha + score + beta - Z) (the exponent in float, the rest
 * in double) added to its piece's float count.  sentencepiece gives
 * sentence i to thread i % num_threads and adds the threads' float
 * vectors in thread order; we walk the same partition in the same order
 * (one "virtual thread" at a time, each summed from zero, then folded
 * in), so the floats are bit-identical for any num_threads.
 *
 * M-step: pieces with expected count < 0.5 go; the rest score
 * digamma(count) - digamma(float sum) (digamma in double, stored float).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "train/train_internal.h"
#include "train/unigram_train.h"
#include "unigram/unigram.h"

int sp_umodel_build(sp_umodel *um, const sp_upieces *p, spbpe_error *err) {
    memset(um, 0, sizeof *um);
    um->type = malloc(p->n + 1);
    if (!um->type) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    memset(um->type, SPBPE_PIECE_NORMAL, p->n + 1);
    spbpe_model *m = &um->m;
    m->piece_count = (int32_t)p->n;
    m->arena = p->arena;
    m->piece_off = p->off;
    m->score = p->score;
    m->type = um->type;
    m->unk_index = 0;
    m->uni = sp_unigram_new(m, err);
    if (!m->uni) {
        free(um->type);
        um->type = NULL;
        return err && err->status ? err->status : SPBPE_ERR_NOMEM;
    }
    float mn = FLT_MAX;
    for (size_t i = 0; i < p->n; i++) mn = p->score[i] < mn ? p->score[i] : mn;
    um->min_score = mn;
    return SPBPE_OK;
}

void sp_umodel_release(sp_umodel *um) {
    sp_unigram_free(um->m.uni);
    free(um->type);
    memset(um, 0, sizeof *um);
}

static inline float log_sum_exp(float x, float y, int init) {
    if (init) return y;
    float vmin = y < x ? y : x, vmax = x < y ? y : x;
    if (vmax > vmin + 50.0f) return vmax;
    return (float)(vmax + log(exp((double)(vmin - vmax)) + 1.0));
}

/* Lattice::BackwardAlgorithm(1.0) into beta. */
static void backward(const sp_uni_scratch *s, uint32_t chars, float *beta) {
    const sp_lnode *nodes = s->nodes;
    for (size_t i = 0; i < s->node_len; i++) beta[i] = 0.0f;
    for (uint32_t pos = chars + 1; pos-- > 0;) {
        uint32_t b0 = s->begin_at[pos], b1 = s->begin_at[pos + 1];
        for (uint32_t ei = s->end_at[pos]; ei < s->end_at[pos + 1]; ei++) {
            int32_t l = s->end_list[ei];
            for (uint32_t bi = b0; bi < b1; bi++) {
                int32_t r = s->begin_list[bi];
                beta[l] = log_sum_exp(beta[l], nodes[r].score + beta[r], bi == b0);
            }
        }
    }
}

int sp_uni_estep(const sp_umodel *um, const sp_sentlist *words, int32_t threads, float *expected, float *obj,
                 spbpe_error *err) {
    size_t np = (size_t)um->m.piece_count;
    sp_uni_scratch *s = calloc(1, sizeof *s);
    float *part = malloc((np + 1) * sizeof *part);
    float *beta = NULL;
    size_t beta_cap = 0;
    int st = SPBPE_OK;
    if (!s || !part) goto oom;
    int64_t all = 0;
    for (size_t i = 0; i < words->len; i++) all += words->freq[i];
    memset(expected, 0, np * sizeof *expected);
    float objective = 0.0f;
    for (int32_t th = 0; th < threads; th++) {
        float *acc = th == 0 ? expected : part;
        if (th) memset(part, 0, np * sizeof *part);
        float o = 0.0f;
        for (size_t i = (size_t)th; i < words->len; i += (size_t)threads) {
            const uint8_t *w = words->arena + words->off[i];
            size_t wn = (size_t)(words->off[i + 1] - words->off[i]);
            float freq = (float)words->freq[i];
            if (sp_lattice_build(&um->m, s, w, wn)) goto oom;
            uint32_t chars = s->chars;
            sp_lattice_forward(s, chars, 1.0f);
            if (sp_reserve((void **)&beta, &beta_cap, s->node_len, sizeof *beta)) goto oom;
            backward(s, chars, beta);
            const float *alpha = s->alpha;
            float z = alpha[1];
            for (uint32_t bi = s->begin_at[0]; bi < s->begin_at[chars]; bi++) {
                int32_t k = s->begin_list[bi];
                const sp_lnode *nd = &s->nodes[k];
                if (nd->id < 0) continue;
                acc[nd->id] = (float)((double)acc[nd->id] +
                                      (double)freq * exp((double)(alpha[k] + nd->score + beta[k] - z)));
            }
            float zz = freq * z;
            if (isnan(zz)) {
                st = sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "likelihood is NAN. Input sentence may be too long");
                goto out;
            }
            o -= zz / (float)all;
        }
        if (th == 0) {
            objective = o;
        } else {
            objective += o;
            for (size_t k = 0; k < np; k++) expected[k] += part[k];
        }
    }
    if (obj) *obj = objective;
    goto out;
oom:
    st = sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory in the E-step");
out:
    sp_uni_scratch_free(s);
    free(part);
    free(beta);
    return st;
}

/* sentencepiece's Digamma (double). */
static double digamma(double x) {
    double result = 0.0;
    for (; x < 7; ++x) result -= 1 / x;
    x -= 1.0 / 2.0;
    const double xx = 1.0 / x;
    const double xx2 = xx * xx;
    const double xx4 = xx2 * xx2;
    result += log(x) + (1.0 / 24.0) * xx2 - (7.0 / 960.0) * xx4 + (31.0 / 8064.0) * xx4 * xx2 -
              (127.0 / 30720.0) * xx4 * xx4;
    return result;
}

int sp_uni_mstep(const sp_upieces *in, const float *expected, sp_upieces *out) {
    memset(out, 0, sizeof *out);
    float sum = 0.0f;
    for (size_t i = 0; i < in->n; i++) {
        float freq = expected[i];
        if (freq < 0.5f) continue;
        if (sp_upieces_add(out, in->arena + in->off[i], in->off[i + 1] - in->off[i], freq)) return -1;
        sum += freq;
    }
    float logsum = (float)digamma((double)sum);
    for (size_t i = 0; i < out->n; i++) out->score[i] = (float)(digamma((double)out->score[i]) - (double)logsum);
    return 0;
}

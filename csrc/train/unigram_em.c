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
 * vectors in thread order; we keep the same partition (each of its
 * threads' vectors summed from zero) and the same reduction, so the floats
 * do not depend on how many real threads run them: `workers` real threads
 * take sentencepiece's threads w, w + workers, ... each, or, with one
 * worker or when the per-thread vectors would be too big, the serial twin
 * (estep_serial) walks them one after another with two vectors.
 *
 * M-step: pieces with expected count < 0.5 go; the rest score
 * digamma(count) - digamma(float sum) (digamma in double, stored float).
 */
#include <float.h>
#include <pthread.h>
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

/* Sentences v, v + threads, ... (one of sentencepiece's threads) into acc
 * (zeroed by the caller); *obj its objective share. */
static int estep_part(const sp_umodel *um, const sp_sentlist *words, size_t v, size_t threads, int64_t all,
                      sp_uni_scratch *s, float **beta, size_t *beta_cap, float *acc, float *obj) {
    float o = 0.0f;
    for (size_t i = v; i < words->len; i += threads) {
        const uint8_t *w = words->arena + words->off[i];
        size_t wn = (size_t)(words->off[i + 1] - words->off[i]);
        float freq = (float)words->freq[i];
        if (sp_lattice_build(&um->m, s, w, wn)) return -1;
        uint32_t chars = s->chars;
        sp_lattice_forward(s, chars, 1.0f);
        if (sp_reserve((void **)beta, beta_cap, s->node_len, sizeof **beta)) return -1;
        backward(s, chars, *beta);
        const float *alpha = s->alpha, *b = *beta;
        float z = alpha[1];
        for (uint32_t bi = s->begin_at[0]; bi < s->begin_at[chars]; bi++) {
            int32_t k = s->begin_list[bi];
            const sp_lnode *nd = &s->nodes[k];
            if (nd->id < 0) continue;
            acc[nd->id] = (float)((double)acc[nd->id] + (double)freq * exp((double)(alpha[k] + nd->score + b[k] - z)));
        }
        float zz = freq * z;
        if (isnan(zz)) return -2;
        o -= zz / (float)all;
    }
    *obj = o;
    return 0;
}

/* One real thread's share: sentencepiece threads w, w + workers, ... */
typedef struct sp_ejob {
    const sp_umodel *um;
    const sp_sentlist *words;
    size_t first, step, threads, np;
    int64_t all;
    float *vecs;        /* threads x np */
    float *objs;
    int status;
} sp_ejob;

static void *ejob_run(void *arg) {
    sp_ejob *j = arg;
    sp_uni_scratch *s = calloc(1, sizeof *s);
    float *beta = NULL;
    size_t beta_cap = 0;
    j->status = s ? 0 : -1;
    for (size_t v = j->first; !j->status && v < j->threads; v += j->step) {
        float *acc = j->vecs + v * j->np;
        memset(acc, 0, j->np * sizeof *acc);
        j->status = estep_part(j->um, j->words, v, j->threads, j->all, s, &beta, &beta_cap, acc, &j->objs[v]);
    }
    sp_uni_scratch_free(s);
    free(beta);
    return NULL;
}

static int estep_fail(int st, spbpe_error *err) {
    return st == -2 ? sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "likelihood is NAN. Input sentence may be too long")
                    : sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory in the E-step");
}

/* The plain twin: one sentencepiece thread after another on this thread,
 * two vectors. */
static int estep_serial(const sp_umodel *um, const sp_sentlist *words, size_t threads, int64_t all, float *expected,
                        float *obj, spbpe_error *err) {
    size_t np = (size_t)um->m.piece_count;
    sp_uni_scratch *s = calloc(1, sizeof *s);
    float *part = malloc((np + 1) * sizeof *part);
    float *beta = NULL;
    size_t beta_cap = 0;
    int st = s && part ? 0 : -1;
    float objective = 0.0f;
    for (size_t v = 0; !st && v < threads; v++) {
        float *acc = v == 0 ? expected : part;
        memset(acc, 0, np * sizeof *acc);
        float o = 0.0f;
        st = estep_part(um, words, v, threads, all, s, &beta, &beta_cap, acc, &o);
        if (st) break;
        if (v == 0) {
            objective = o;
        } else {
            objective += o;
            for (size_t k = 0; k < np; k++) expected[k] += part[k];
        }
    }
    sp_uni_scratch_free(s);
    free(part);
    free(beta);
    if (st) return estep_fail(st, err);
    *obj = objective;
    return SPBPE_OK;
}

/* Per-thread vectors above this many bytes in all: the serial twin. */
#define SP_ESTEP_MAX_VECS ((size_t)512 << 20)

int sp_uni_estep(const sp_umodel *um, const sp_sentlist *words, int32_t threads, int workers, float *expected,
                 float *obj, spbpe_error *err) {
    size_t np = (size_t)um->m.piece_count, nt = (size_t)threads;
    int64_t all = 0;
    for (size_t i = 0; i < words->len; i++) all += words->freq[i];
    float o = 0.0f;
    if (!obj) obj = &o;
    size_t nw = workers < 1 ? 1 : (size_t)workers;
    if (nw > nt) nw = nt;
    if (nw > SP_MAX_FEEDERS) nw = SP_MAX_FEEDERS;
    if (nw <= 1 || nt * (np + 1) > SP_ESTEP_MAX_VECS / sizeof(float))
        return estep_serial(um, words, nt, all, expected, obj, err);
    float *vecs = malloc(nt * (np + 1) * sizeof *vecs);
    float *objs = calloc(nt, sizeof *objs);
    if (!vecs || !objs) {
        free(vecs);
        free(objs);
        return estep_serial(um, words, nt, all, expected, obj, err);
    }
    sp_ejob jobs[SP_MAX_FEEDERS];
    pthread_t tids[SP_MAX_FEEDERS];
    int started[SP_MAX_FEEDERS];
    for (size_t w = 0; w < nw; w++)
        jobs[w] = (sp_ejob){um, words, w, nw, nt, np, all, vecs, objs, 0};
    for (size_t w = 1; w < nw; w++) started[w] = pthread_create(&tids[w], NULL, ejob_run, &jobs[w]) == 0;
    ejob_run(&jobs[0]);
    for (size_t w = 1; w < nw; w++) {
        if (started[w]) pthread_join(tids[w], NULL);
        else ejob_run(&jobs[w]);
    }
    int st = 0;
    for (size_t w = 0; w < nw; w++)
        if (jobs[w].status && !st) st = jobs[w].status;
    if (!st) { /* sentencepiece's merge: thread 0's vector, then each next one added, in order */
        memcpy(expected, vecs, np * sizeof *expected);
        float objective = objs[0];
        for (size_t v = 1; v < nt; v++) {
            objective += objs[v];
            const float *x = vecs + v * np;
            for (size_t k = 0; k < np; k++) expected[k] += x[k];
        }
        *obj = objective;
    }
    free(vecs);
    free(objs);
    return st ? estep_fail(st, err) : SPBPE_OK;
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

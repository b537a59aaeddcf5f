/*
 * sample.c - the unigram entry points beyond plain encode, each as
 * sentencepiece_processor.cc and unigram_model.cc define it:
 *  - sampling in encode (SampleEncode): nbest_size < 0 draws one path by
 *    forward-filtering backward-sampling at inverse temperature alpha;
 *    nbest_size 0 or 1 is plain encode; nbest_size > 1 draws from the
 *    n-best list (at most 1024) with weights exp(alpha * score);
 *  - NBestEncode (n-best lists with their scores);
 *  - SampleEncodeAndScore (with or without replacement, optionally the
 *    best path first, with log inclusion probabilities);
 *  - CalculateEntropy.
 * Results of several segmentations go to the workspace's scratch and are
 * described by spbpe_results.  Random numbers come from the caller's seed
 * (splitmix64), never from global state.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "unigram/emit.h"

/* Emit path p of the path store. */
static void emit_path(const sp_uni_scratch *s, const sp_path *p, sp_uemit *o) {
    for (size_t i = 0; i < p->len; i++) {
        const sp_lnode *nd = &s->nodes[s->path_nodes[p->off + i]];
        uint32_t b = s->char_off[nd->pos], e = s->char_off[nd->pos + nd->length];
        sp_uemit_token(o, b, e - b, nd->id);
    }
}

static int nomem(spbpe_error *err) { return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory in the lattice"); }

/* The lattice's n-best list for nbest_size > 1 (Model::NBestEncode); past
 * timeout_ms (> 0) the Viterbi best alone, *timed_out set. */
static int nbest_paths(const spbpe_model *m, sp_uni_scratch *s, const uint8_t *t, size_t n, int32_t nbest,
                       int32_t timeout_ms, int *timed_out, spbpe_error *err) {
    s->paths_len = s->path_len = 0;
    *timed_out = 0;
    if (sp_lattice_build(m, s, t, n)) return nomem(err);
    uint64_t deadline = timeout_ms > 0 ? sp_clock_ms() + (uint64_t)timeout_ms : 0;
    int st = sp_lattice_nbest(s, s->chars, (size_t)nbest, 0, 0.0f, NULL, deadline);
    if (st == SP_NBEST_TIMED_OUT) {
        *timed_out = 1;
        st = 0;
    }
    if (st == -2) return sp_fail(err, SPBPE_ERR_INTERNAL, 0, "Failed to find the best path in Viterbi.");
    return st ? nomem(err) : SPBPE_OK;
}

int sp_unigram_sample(const spbpe_model *m, sp_uni_scratch *s, const uint8_t *t, size_t n,
                      const spbpe_encode_options *opt, sp_uemit *o, spbpe_error *err) {
    int32_t nbest = opt->nbest_size;
    float alpha = (float)opt->alpha;
    uint64_t rng = opt->seed;
    if (nbest > 512) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "nbest_size must be nbest_size <= 512");
    s->paths_len = s->path_len = 0;
    if (nbest < 0) {
        if (sp_lattice_build(m, s, t, n)) return nomem(err);
        sp_lattice_forward(s, s->chars, alpha);
        sp_path p;
        if (sp_lattice_sample(s, s->chars, alpha, &rng, &p)) return nomem(err);
        emit_path(s, &p, o);
        return SPBPE_OK;
    }
    int timed_out;
    int st = nbest_paths(m, s, t, n, nbest, opt->nbest_timeout_ms, &timed_out, err);
    if (st) return st;
    if (!s->paths_len) return sp_fail(err, SPBPE_ERR_INTERNAL, 0, "NBestEncode returns empty result.");
    /* log_domain::LogSum over alpha * score, then std::discrete_distribution */
    size_t k = s->paths_len;
    if (sp_reserve((void **)&s->probs, &s->probs_cap, k, sizeof *s->probs)) return nomem(err);
    double *lp = s->probs, z = 0.0;
    for (size_t i = 0; i < k; i++) {
        lp[i] = (double)(alpha * s->paths[i].score);
        if (i == 0) {
            z = lp[i];
        } else {
            double vmin = z < lp[i] ? z : lp[i], vmax = z < lp[i] ? lp[i] : z;
            z = vmax > vmin + 50.0 ? vmax : vmax + log(exp(vmin - vmax) + 1.0);
        }
    }
    double total = 0.0;
    for (size_t i = 0; i < k; i++) total += (lp[i] = exp(lp[i] - z));
    double x = sp_rng_double(&rng) * total, acc = 0.0;
    size_t pick = k - 1;
    for (size_t i = 0; i < k; i++) {
        acc += lp[i];
        if (x < acc) {
            pick = i;
            break;
        }
    }
    emit_path(s, &s->paths[pick], o);
    return SPBPE_OK;
}

/* ------------------------------------------------- several segmentations */

typedef struct collector {
    const spbpe_model *m;
    sp_uni_scratch *s;
    spbpe_workspace *ws;
    size_t n;                /* normalized length: room one result may need */
    size_t results, tokens;
} collector;

static int begin_result(collector *c, sp_uemit *o) {
    sp_uni_scratch *s = c->s;
    size_t need = c->tokens + c->n + 1;
    if (need > s->out_cap) {
        size_t cap = s->out_cap;
        int bad = sp_reserve((void **)&s->ids, &cap, need, sizeof *s->ids);
        uint32_t **arr[4] = {&s->nb, &s->ne, &s->ob, &s->oe};
        for (int i = 0; i < 4 && !bad; i++) {
            cap = s->out_cap;
            bad = sp_reserve((void **)arr[i], &cap, need, sizeof(uint32_t));
        }
        if (bad) return -1;
        s->out_cap = cap;
    }
    if (c->results + 2 > s->res_cap) {
        size_t cap = s->res_cap;
        if (sp_reserve((void **)&s->offsets, &cap, c->results + 2, sizeof *s->offsets)) return -1;
        cap = s->res_cap;
        if (sp_reserve((void **)&s->scores, &cap, c->results + 2, sizeof *s->scores)) return -1;
        s->res_cap = cap;
    }
    sp_uemit e = {.m = c->m, .text = c->ws->norm.text, .align = c->ws->norm.align, .ids = s->ids + c->tokens,
                  .nb = s->nb + c->tokens, .ne = s->ne + c->tokens, .ob = s->ob + c->tokens,
                  .oe = s->oe + c->tokens, .spans = 1};
    *o = e;
    return 0;
}

static void end_result(collector *c, sp_uemit *o, float score) {
    sp_uni_scratch *s = c->s;
    s->offsets[c->results] = c->tokens;
    s->scores[c->results] = score;
    c->results++;
    c->tokens += o->count;
    s->offsets[c->results] = c->tokens;
}

static int add_path(collector *c, const sp_path *p, float score, spbpe_error *err) {
    sp_uemit o;
    if (begin_result(c, &o)) return nomem(err);
    emit_path(c->s, p, &o);
    if (o.bad) return sp_fail(err, SPBPE_ERR_UNSUPPORTED, 0, "all normalized characters are not consumed.");
    end_result(c, &o, score);
    return SPBPE_OK;
}

static int start(const spbpe_model *m, const uint8_t *text, size_t len, spbpe_workspace *ws, const char *what,
                 collector *c, spbpe_results *out, spbpe_error *err) {
    sp_clear_error(err);
    if (!m || !ws || !out || (!text && len)) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    memset(out, 0, sizeof *out);
    if (m->info.model_type != 1)
        return sp_fail(err, SPBPE_ERR_UNSUPPORTED, 0, "%s is not available for the current model.", what);
    int st = sp_normalize_ex(&m->normalizer, text ? text : (const uint8_t *)"", len, &ws->norm, SP_NORM_ALIGN, err);
    if (st) return st;
    sp_uni_scratch *s = sp_uni_scratch_get(ws);
    if (!s) return nomem(err);
    collector cc = {.m = m, .s = s, .ws = ws, .n = ws->norm.len};
    *c = cc;
    return SPBPE_OK;
}

static void finish(collector *c, spbpe_results *out) {
    sp_uni_scratch *s = c->s;
    out->count = c->results;
    out->offsets = s->offsets;
    out->scores = s->scores;
    out->ids = s->ids;
    out->norm_begin = s->nb;
    out->norm_end = s->ne;
    out->orig_begin = s->ob;
    out->orig_end = s->oe;
    out->normalized = c->ws->norm.text;
    out->normalized_len = c->ws->norm.len;
    out->timed_out = 0;
}

int sp_unigram_best_path(const spbpe_model *m, spbpe_workspace *ws, sp_uemit *o);

SP_API int spbpe_nbest_encode(const spbpe_model *m, const uint8_t *text, size_t len, int32_t nbest_size,
                              int32_t timeout_ms, spbpe_workspace *ws, spbpe_results *out, spbpe_error *err) {
    collector c = {0};
    int st = start(m, text, len, ws, "NBestEncode", &c, out, err);
    if (st) return st;
    size_t n = c.n;
    int32_t nbest = nbest_size < 1 ? 1 : nbest_size > 1024 ? 1024 : nbest_size;
    sp_uemit o;
    if (n == 0 || nbest == 1) { /* Encode's result, score 0 */
        if (begin_result(&c, &o)) return nomem(err);
        if (n && (st = sp_unigram_best_path(m, ws, &o))) return st;
        end_result(&c, &o, 0.0f);
        finish(&c, out);
        return SPBPE_OK;
    }
    int timed_out;
    if ((st = nbest_paths(m, c.s, ws->norm.text, n, nbest, timeout_ms, &timed_out, err))) return st;
    for (size_t i = 0; i < c.s->paths_len; i++) {
        sp_path p = c.s->paths[i];
        if ((st = add_path(&c, &p, p.score, err))) return st;
    }
    finish(&c, out);
    out->timed_out = timed_out;
    return SPBPE_OK;
}

static int same_path(const sp_uni_scratch *s, const sp_path *a, const sp_path *b) {
    return a->len == b->len &&
           (a->len == 0 || !memcmp(s->path_nodes + a->off, s->path_nodes + b->off, a->len * sizeof(int32_t)));
}

static float path_score(const sp_uni_scratch *s, const sp_path *p, float inv_theta) {
    float score = 0.0f;
    for (size_t i = 0; i < p->len; i++) score += inv_theta * s->nodes[s->path_nodes[p->off + i]].score;
    return score;
}

SP_API int spbpe_sample_encode_and_score(const spbpe_model *m, const uint8_t *text, size_t len, float alpha,
                                         int32_t samples, int wor, int include_best, uint64_t seed,
                                         spbpe_workspace *ws, spbpe_results *out, spbpe_error *err) {
    collector c = {0};
    int st = start(m, text, len, ws, "SampleEncodeAndScore", &c, out, err);
    if (st) return st;
    sp_uni_scratch *s = c.s;
    const uint8_t *t = ws->norm.text;
    size_t n = c.n;
    uint64_t rng = seed;
    if (n == 0 || (include_best && !wor)) {
        finish(&c, out); /* sentencepiece returns no result: the caller reports it */
        return SPBPE_OK;
    }
    s->paths_len = s->path_len = 0;
    if (sp_lattice_build(m, s, t, n)) return nomem(err);
    uint32_t chars = s->chars;
    sp_lattice_forward(s, chars, alpha);
    const float marginal = s->alpha[1];
    sp_path best = {0, 0, 0.0f};
    if (include_best) {
        if (sp_lattice_viterbi(s, chars, &best)) return nomem(err);
        if ((st = add_path(&c, &best, 0.0f, err))) return st;
    }
    if (wor) {
        size_t first = s->paths_len;
        if (sp_lattice_nbest(s, chars, (size_t)samples + 1, 1, alpha, &rng, 0)) return nomem(err);
        size_t last = s->paths_len; /* samples are paths[first .. last) */
        if (include_best) {
            size_t drop = last - 1;
            for (size_t i = first; i < last; i++)
                if (same_path(s, &s->paths[i], &best)) {
                    drop = i;
                    break;
                }
            if (last > first) {
                memmove(&s->paths[drop], &s->paths[drop + 1], (last - 1 - drop) * sizeof *s->paths);
                last--;
            }
        }
        if (last == first) {
            finish(&c, out);
            return SPBPE_OK;
        }
        const double kappa = (double)s->paths[last - 1].score;
        last--;
        size_t from = c.results;
        for (size_t i = first; i < last; i++) {
            sp_path p = s->paths[i];
            if ((st = add_path(&c, &p, path_score(s, &p, alpha) - marginal, err))) return st;
        }
        for (size_t i = 0; i < c.results; i++) {
            (void)from;
            if (s->scores[i] != 0.0f) {
                const double x = (double)s->scores[i] - kappa;
                const double y = exp(x);
                double incl = x <= -10 ? x - (y / 2) + (pow(y, 2) / 24) - pow(y, 4) / 2880 : log(-expm1(-y));
                s->scores[i] = (float)incl;
            }
        }
    } else {
        while (c.results < (size_t)(samples > 0 ? samples : 0)) {
            sp_path p;
            if (sp_lattice_sample(s, chars, alpha, &rng, &p)) return nomem(err);
            if ((st = add_path(&c, &p, path_score(s, &p, alpha) - marginal, err))) return st;
        }
    }
    finish(&c, out);
    return SPBPE_OK;
}

SP_API int spbpe_calculate_entropy(const spbpe_model *m, const uint8_t *text, size_t len, float alpha,
                                   spbpe_workspace *ws, float *entropy, spbpe_error *err) {
    collector c = {0};
    spbpe_results unused;
    int st = start(m, text, len, ws, "CalculateEntropy", &c, &unused, err);
    if (st) return st;
    if (sp_lattice_build(m, c.s, ws->norm.text, c.n)) return nomem(err);
    sp_lattice_entropy(c.s, c.s->chars, alpha, entropy);
    return SPBPE_OK;
}

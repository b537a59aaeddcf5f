/*
 * encode.c - encode for unigram (model_type 1), word (3) and char (4)
 * models: what spbpe_encode dispatches to for every non-BPE model.
 *
 * Unigram: sentencepiece 0.2.3 encodes with EncodeOptimized
 * (unigram_model.cc), a Viterbi over byte positions that never stores the
 * lattice.  For each character start s (left to right), the trie walk from
 * s finds every normal-map piece that is a prefix of the rest, shortest
 * first; UNUSED pieces are skipped; a piece ending at byte e offers
 * best[s] + score to best[e], taken only if e has no candidate yet or the
 * offer is strictly larger, so ties keep the earliest start.  Scores follow
 * what sentencepiece 0.2.3's wheel computes, which is float arithmetic
 * throughout (its source reads as double, with a USER_DEFINED piece scoring
 * bytes * max_score - 0.1, but comparing double sums breaks ties
 * differently, e.g. on "▁......." with botchan's model, and n-best scores
 * of user-defined pieces match only with 0.1f); the unknown offer is
 * min_score - 10 where no piece covers exactly the first character.  Backtracking from the end gives the pieces.
 *
 * Char model: one user-defined match or one character per token; word
 * model: sentencepiece's SplitIntoWords (a word starts at each U+2581); each
 * token is looked up as PieceToId does (any type, else unk).
 *
 * Sampling (options->sample) goes to the lattice (sample.c).
 */
#include <stdlib.h>
#include <string.h>

#include "unigram/emit.h"

static int grow_best(sp_uni_scratch *s, size_t n) {
    if (n + 1 <= s->best_cap) return 0;
    size_t cap = s->best_cap;
    if (sp_reserve((void **)&s->best_score, &cap, n + 1, sizeof *s->best_score)) return -1;
    cap = s->best_cap;
    if (sp_reserve((void **)&s->best_start, &cap, n + 1, sizeof *s->best_start)) return -1;
    cap = s->best_cap;
    if (sp_reserve((void **)&s->best_id, &cap, n + 1, sizeof *s->best_id)) return -1;
    s->best_cap = cap;
    return 0;
}

/* EncodeOptimized; emits the tokens in order.  `stack` has room for n. */
static void viterbi_encode(const spbpe_model *m, sp_uni_scratch *s, const uint8_t *t, size_t n, int32_t *stack,
                           sp_uemit *o) {
    const sp_unigram *u = m->uni;
    const sp_trie *trie = &u->trie;
    const uint8_t *type = m->type;
    const float *score = m->score;
    float *best = s->best_score;
    int32_t *start = s->best_start, *bid = s->best_id;
    for (size_t i = 0; i <= n; i++) {
        best[i] = 0.0f;
        start[i] = -1;
        bid[i] = -1;
    }
    const float udef_unit = u->udef_unit, unk_score = u->unk_score;
    for (size_t at = 0; at < n;) {
        const float here = best[at];
        size_t mblen = sp_utf8_char_len(t + at, n - at);
        int single = 0;
        uint32_t node = 0;
        for (size_t k = at; k < n;) {
            node = sp_trie_step(trie, node, t[k]);
            if (!node) break;
            k++;
            int32_t id = trie->value[node];
            if (id < 0 || type[id] == SPBPE_PIECE_UNUSED) continue;
            size_t length = k - at;
            float sc = type[id] == SPBPE_PIECE_USER_DEFINED ? (float)length * udef_unit - 0.1f : score[id];
            float cand = sc + here;
            if (start[k] == -1 || cand > best[k]) {
                best[k] = cand;
                start[k] = (int32_t)at;
                bid[k] = id;
            }
            if (length == mblen) single = 1;
        }
        if (!single) {
            size_t k = at + mblen;
            float cand = unk_score + here;
            if (start[k] == -1 || cand > best[k]) {
                best[k] = cand;
                start[k] = (int32_t)at;
                bid[k] = m->unk_index;
            }
        }
        at += mblen;
    }
    size_t top = 0;
    for (size_t e = n; e > 0; e = (size_t)start[e]) stack[top++] = (int32_t)e;
    size_t b = 0;
    while (top) {
        size_t e = (size_t)stack[--top];
        sp_uemit_token(o, (uint32_t)b, (uint32_t)(e - b), bid[e]);
        b = e;
    }
}

static int32_t piece_to_id(const spbpe_model *m, const uint8_t *p, size_t n) {
    int32_t id = sp_lookup(m, p, n);
    return id >= 0 ? id : m->unk_index;
}

static void char_encode(const spbpe_model *m, const uint8_t *t, size_t n, sp_uemit *o) {
    for (size_t i = 0; i < n;) {
        size_t l = m->info.has_user_defined ? sp_udef_match(m, t + i, n - i) : 0;
        if (!l) l = sp_utf8_char_len(t + i, n - i);
        sp_uemit_token(o, (uint32_t)i, (uint32_t)l, piece_to_id(m, t + i, l));
        i += l;
    }
}

/* SplitIntoWords(text) with its defaults (whitespace as prefix, no
 * whitespace-only pieces): a word starts at 0 and at every U+2581. */
static void word_encode(const spbpe_model *m, const uint8_t *t, size_t n, sp_uemit *o) {
    size_t word = 0;
    for (size_t i = 0; i < n;) {
        size_t l = sp_utf8_char_len(t + i, n - i);
        if (i > 0 && l == 3 && sp_is_space_symbol(t + i)) {
            sp_uemit_token(o, (uint32_t)word, (uint32_t)(i - word), piece_to_id(m, t + word, i - word));
            word = i;
        }
        i += l;
    }
    sp_uemit_token(o, (uint32_t)word, (uint32_t)(n - word), piece_to_id(m, t + word, n - word));
}

int sp_unigram_sample(const spbpe_model *m, sp_uni_scratch *s, const uint8_t *t, size_t n,
                      const spbpe_encode_options *opt, sp_uemit *o, spbpe_error *err);

int sp_unigram_encode(const spbpe_model *m, const uint8_t *text, size_t len, const spbpe_encode_options *opt,
                      spbpe_workspace *ws, spbpe_encoding *out, spbpe_error *err) {
    int spans = opt && opt->with_offsets;
    int sample = opt && opt->sample && opt->nbest_size != 0 && opt->nbest_size != 1; /* 0, 1: plain encode */
    int type = m->info.model_type;
    if (sample && type != 1)
        return sp_fail(err, SPBPE_ERR_UNSUPPORTED, 0, "SampleEncode is not available for the current model.");
    int st = sp_normalize_ex(&m->normalizer, text ? text : (const uint8_t *)"", len, &ws->norm,
                             spans ? SP_NORM_ALIGN : 0, err);
    if (st) return st;
    const uint8_t *t = ws->norm.text;
    size_t n = ws->norm.len;
    out->normalized = t;
    out->normalized_len = n;
    if (n == 0) return SPBPE_OK;
    if (sp_workspace_grow(ws, m, n)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory encoding %zu bytes", n);
    sp_uemit o = {.m = m, .text = t, .align = ws->norm.align, .ids = ws->ids, .nb = ws->nb, .ne = ws->ne,
                  .ob = ws->ob, .oe = ws->oe, .spans = spans};
    if (type == 4) {
        char_encode(m, t, n, &o);
    } else if (type == 3) {
        word_encode(m, t, n, &o);
    } else {
        sp_uni_scratch *s = sp_uni_scratch_get(ws);
        if (!s || grow_best(s, n)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory encoding %zu bytes", n);
        if (sample) {
            if ((st = sp_unigram_sample(m, s, t, n, opt, &o, err))) return st;
        } else {
            viterbi_encode(m, s, t, n, ws->stack, &o);
        }
    }
    if (o.bad) return sp_fail(err, SPBPE_ERR_UNSUPPORTED, 0, "all normalized characters are not consumed.");
    out->ids = ws->ids;
    out->count = o.count;
    if (spans) {
        out->norm_begin = ws->nb;
        out->norm_end = ws->ne;
        out->orig_begin = ws->ob;
        out->orig_end = ws->oe;
    }
    return SPBPE_OK;
}

/* Plain encode of the normalized text in ws->norm into o (NBestEncode with
 * nbest_size 1, and SampleEncodeAndScore's helpers). */
int sp_unigram_best_path(const spbpe_model *m, spbpe_workspace *ws, sp_uemit *o) {
    size_t n = ws->norm.len;
    sp_uni_scratch *s = sp_uni_scratch_get(ws);
    if (!s || grow_best(s, n) || sp_workspace_grow(ws, m, n)) return SPBPE_ERR_NOMEM;
    viterbi_encode(m, s, ws->norm.text, n, ws->stack, o);
    return SPBPE_OK;
}

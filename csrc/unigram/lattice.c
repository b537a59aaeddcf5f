/*
 * lattice.c - sentencepiece's Lattice (unigram_model.cc): building it
 * (SetSentence + PopulateNodes), its Viterbi, the forward algorithm, the
 * entropy and forward-filtering backward-sampling.
 *
 * Positions are characters (OneCharLen steps).  Node 0 is BOS (ending at
 * 0), node 1 EOS (beginning at the last position); the others are inserted
 * by begin position, and at each position the trie's matches shortest
 * first (UNUSED pieces skipped, a USER_DEFINED piece scoring
 * as sp_uni_udef_score of its characters), then an unknown node of one
 * character when no match is exactly one character.  begin_nodes(p) and
 * end_nodes(p) are those nodes in insertion order, which decides every
 * tie: Viterbi keeps the first best left node, and the n-best search and
 * sampling visit end_nodes in this order.  Arithmetic is float where
 * sentencepiece's is (Viterbi sums, alpha, entropy), with its LogSumExp.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "unigram/unigram.h"

sp_uni_scratch *sp_uni_scratch_get(spbpe_workspace *ws) {
    if (!ws->uni) ws->uni = calloc(1, sizeof(sp_uni_scratch));
    return ws->uni;
}

void sp_uni_scratch_free(sp_uni_scratch *s) {
    if (!s) return;
    free(s->best);
    free(s->chr_id);
    free(s->chr_off);
    free(s->char_off);
    free(s->nodes);
    free(s->begin_list);
    free(s->begin_at);
    free(s->end_list);
    free(s->end_at);
    free(s->alpha);
    free(s->h);
    free(s->probs);
    free(s->path_nodes);
    free(s->paths);
    free(s->hyps);
    free(s->hyps2);
    free(s->heap);
    free(s->heap2);
    free(s->clone);
    free(s->ids);
    free(s->nb);
    free(s->ne);
    free(s->ob);
    free(s->oe);
    free(s->offsets);
    free(s->scores);
    free(s);
}

uint64_t sp_rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int add_node(sp_uni_scratch *s, uint32_t pos, uint32_t length, int32_t id, float score) {
    if (sp_reserve((void **)&s->nodes, &s->node_cap, s->node_len + 1, sizeof *s->nodes)) return -1;
    sp_lnode *nd = &s->nodes[s->node_len++];
    nd->pos = pos;
    nd->length = length;
    nd->id = id;
    nd->score = score;
    nd->backtrace = 0.0f;
    nd->prev = -1;
    return 0;
}

/* Group node ids by key (begin or end position), stable in id order. */
static int group(sp_uni_scratch *s, int by_end, uint32_t chars) {
    int32_t **list = by_end ? &s->end_list : &s->begin_list;
    size_t *cap = by_end ? &s->end_cap : &s->begin_cap;
    uint32_t *at = by_end ? s->end_at : s->begin_at;
    if (sp_reserve((void **)list, cap, s->node_len, sizeof **list)) return -1;
    memset(at, 0, (chars + 2) * sizeof *at);
    size_t skip = by_end ? 1 : 0; /* EOS ends nothing, BOS begins nothing */
    for (size_t i = 0; i < s->node_len; i++) {
        if (i == skip) continue;
        const sp_lnode *nd = &s->nodes[i];
        uint32_t key = by_end ? (i == 0 ? 0 : nd->pos + nd->length) : nd->pos;
        at[key + 1]++;
    }
    for (uint32_t p = 0; p <= chars; p++) at[p + 1] += at[p];
    for (size_t i = 0; i < s->node_len; i++) {
        if (i == skip) continue;
        const sp_lnode *nd = &s->nodes[i];
        uint32_t key = by_end ? (i == 0 ? 0 : nd->pos + nd->length) : nd->pos;
        (*list)[at[key]++] = (int32_t)i;
    }
    for (uint32_t p = chars + 1; p > 0; p--) at[p] = at[p - 1];
    at[0] = 0;
    return 0;
}

int sp_lattice_build(const spbpe_model *m, sp_uni_scratch *s, const uint8_t *t, size_t n) {
    const sp_unigram *u = m->uni;
    if (sp_reserve((void **)&s->char_off, &s->char_cap, n + 1, sizeof *s->char_off)) return -1;
    uint32_t chars = 0;
    for (size_t i = 0; i < n; i += sp_utf8_char_len(t + i, n - i)) s->char_off[chars++] = (uint32_t)i;
    s->char_off[chars] = (uint32_t)n;
    s->chars = chars;
    s->node_len = 0;
    if (add_node(s, 0, 0, -1, 0.0f) || add_node(s, chars, 0, -1, 0.0f)) return -1;
    for (uint32_t p = 0; p < chars; p++) {
        size_t from = s->char_off[p];
        int single = 0;
        uint32_t node = 0, cursor = p;
        for (size_t k = from; k < n;) {
            node = sp_trie_step(&u->trie, node, t[k]);
            if (!node) break;
            k++;
            int32_t id = sp_trie_value(&u->trie, node);
            if (id < 0 || m->type[id] == SPBPE_PIECE_UNUSED) continue;
            while (cursor <= chars && s->char_off[cursor] < k) cursor++; /* get_chars_length */
            uint32_t length = cursor - p;
            float score = m->type[id] == SPBPE_PIECE_USER_DEFINED ? sp_uni_udef_score(length) : m->score[id];
            if (add_node(s, p, length, id, score)) return -1;
            if (length == 1) single = 1;
        }
        if (!single && add_node(s, p, 1, m->unk_index, u->unk_score)) return -1;
    }
    size_t at_need = (size_t)chars + 2;
    if (at_need > s->at_cap) {
        size_t cap = s->at_cap;
        if (sp_reserve((void **)&s->begin_at, &cap, at_need, sizeof *s->begin_at)) return -1;
        cap = s->at_cap;
        if (sp_reserve((void **)&s->end_at, &cap, at_need, sizeof *s->end_at)) return -1;
        s->at_cap = cap;
    }
    if (group(s, 0, chars) || group(s, 1, chars)) return -1;
    size_t cap = s->alpha_cap;
    if (sp_reserve((void **)&s->alpha, &cap, s->node_len, sizeof *s->alpha)) return -1;
    cap = s->alpha_cap;
    if (sp_reserve((void **)&s->h, &cap, s->node_len, sizeof *s->h)) return -1;
    s->alpha_cap = cap;
    return 0;
}

static int push_path(sp_uni_scratch *s, const int32_t *nodes, size_t count, int reversed, float score) {
    if (sp_reserve((void **)&s->path_nodes, &s->path_cap, s->path_len + count + 1, sizeof *s->path_nodes) ||
        sp_reserve((void **)&s->paths, &s->paths_cap, s->paths_len + 1, sizeof *s->paths))
        return -1;
    for (size_t i = 0; i < count; i++) s->path_nodes[s->path_len + i] = nodes[reversed ? count - 1 - i : i];
    sp_path *p = &s->paths[s->paths_len++];
    p->off = s->path_len;
    p->len = count;
    p->score = score;
    s->path_len += count;
    return 0;
}

int sp_lattice_viterbi(sp_uni_scratch *s, uint32_t chars, sp_path *best) {
    sp_lnode *nodes = s->nodes;
    for (uint32_t pos = 0; pos <= chars; pos++) {
        for (uint32_t bi = s->begin_at[pos]; bi < s->begin_at[pos + 1]; bi++) {
            sp_lnode *r = &nodes[s->begin_list[bi]];
            r->prev = -1;
            float best_score = 0.0f;
            int32_t best_node = -1;
            for (uint32_t ei = s->end_at[pos]; ei < s->end_at[pos + 1]; ei++) {
                int32_t l = s->end_list[ei];
                float sc = nodes[l].backtrace + r->score;
                if (best_node < 0 || sc > best_score) {
                    best_node = l;
                    best_score = sc;
                }
            }
            if (best_node < 0) return -2;
            r->prev = best_node;
            r->backtrace = best_score;
        }
    }
    /* backtrace into the path store (reversed on the way in) */
    size_t count = 0;
    for (int32_t k = nodes[1].prev; k >= 0 && nodes[k].prev >= 0; k = nodes[k].prev) count++;
    if (sp_reserve((void **)&s->probs, &s->probs_cap, count + 1, sizeof *s->probs)) return -1;
    int32_t *tmp = (int32_t *)(void *)s->probs; /* count int32s fit in count doubles */
    size_t i = 0;
    for (int32_t k = nodes[1].prev; k >= 0 && nodes[k].prev >= 0; k = nodes[k].prev) tmp[i++] = k;
    if (push_path(s, tmp, count, 1, nodes[1].backtrace)) return -1;
    if (best) *best = s->paths[s->paths_len - 1];
    return 0;
}

static inline float log_sum_exp(float x, float y, int init) {
    if (init) return y;
    float vmin = y < x ? y : x, vmax = x < y ? y : x;
    if (vmax > vmin + 50.0f) return vmax;
    return (float)(vmax + log(exp((double)(vmin - vmax)) + 1.0));
}

int sp_lattice_forward(sp_uni_scratch *s, uint32_t chars, float inv_theta) {
    const sp_lnode *nodes = s->nodes;
    float *alpha = s->alpha;
    for (size_t i = 0; i < s->node_len; i++) alpha[i] = 0.0f;
    for (uint32_t pos = 0; pos <= chars; pos++) {
        uint32_t e0 = s->end_at[pos], e1 = s->end_at[pos + 1];
        for (uint32_t bi = s->begin_at[pos]; bi < s->begin_at[pos + 1]; bi++) {
            int32_t r = s->begin_list[bi];
            for (uint32_t ei = e0; ei < e1; ei++) {
                int32_t l = s->end_list[ei];
                alpha[r] = log_sum_exp(alpha[r], inv_theta * nodes[l].score + alpha[l], ei == e0);
            }
        }
    }
    return 0;
}

int sp_lattice_entropy(sp_uni_scratch *s, uint32_t chars, float inv_theta, float *entropy) {
    sp_lattice_forward(s, chars, inv_theta);
    const sp_lnode *nodes = s->nodes;
    const float *alpha = s->alpha;
    float *h = s->h;
    for (size_t i = 0; i < s->node_len; i++) h[i] = 0.0f;
    for (uint32_t pos = 0; pos <= chars; pos++) {
        for (uint32_t bi = s->begin_at[pos]; bi < s->begin_at[pos + 1]; bi++) {
            int32_t r = s->begin_list[bi];
            for (uint32_t ei = s->end_at[pos]; ei < s->end_at[pos + 1]; ei++) {
                int32_t l = s->end_list[ei];
                float p = ((inv_theta * nodes[l].score) + alpha[l]) - alpha[r];
                h[r] += expf(p) * (h[l] + p);
            }
        }
    }
    *entropy = -h[1];
    return 0;
}

int sp_lattice_sample(sp_uni_scratch *s, uint32_t chars, float inv_theta, uint64_t *rng, sp_path *out) {
    const sp_lnode *nodes = s->nodes;
    const float *alpha = s->alpha;
    size_t need = (size_t)chars + 1;
    for (uint32_t p = 0; p <= chars; p++) {
        size_t k = s->end_at[p + 1] - s->end_at[p];
        if (k > need) need = k;
    }
    if (sp_reserve((void **)&s->probs, &s->probs_cap, 2 * need + 2, sizeof *s->probs)) return -1;
    double *probs = s->probs;
    int32_t *picked = (int32_t *)(void *)(s->probs + need + 1);
    size_t count = 0;
    float z = alpha[1];
    int32_t node = 1;
    for (;;) {
        uint32_t pos = nodes[node].pos;
        uint32_t e0 = s->end_at[pos], e1 = s->end_at[pos + 1];
        double total = 0.0;
        for (uint32_t ei = e0; ei < e1; ei++) {
            int32_t l = s->end_list[ei];
            probs[ei - e0] = exp((double)(alpha[l] + inv_theta * nodes[l].score - z));
            total += probs[ei - e0];
        }
        /* std::discrete_distribution: index by the cumulative weights */
        double x = sp_rng_double(rng) * total, acc = 0.0;
        uint32_t pick = e1 - 1;
        for (uint32_t ei = e0; ei < e1; ei++) {
            acc += probs[ei - e0];
            if (x < acc) {
                pick = ei;
                break;
            }
        }
        node = s->end_list[pick];
        if (node == 0) break;
        z = alpha[node];
        picked[count++] = node;
    }
    if (push_path(s, picked, count, 1, 0.0f)) return -1;
    if (out) *out = s->paths[s->paths_len - 1];
    return 0;
}

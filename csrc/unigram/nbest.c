/*
 * nbest.c - sentencepiece's Lattice::NBest (unigram_model.cc): A* search
 * from EOS to BOS over the lattice, exact because the Viterbi backtrace
 * score of a node is the best completion from BOS.
 *
 * A hypothesis is a node plus the hypothesis to its right; f = g + h,
 * g = the scores from EOS to the node (float sums), h = the node's Viterbi
 * score.  Complete hypotheses come out best first; equal f values come out
 * in the order libstdc++'s std::priority_queue gives, so its push_heap and
 * pop_heap (sift-up; hole-to-leaf sift-down, then sift-up) are reproduced
 * exactly here.  When the agenda reaches 10000 entries it keeps its top
 * min(512, 10 n) (popped in order into a fresh heap), as sentencepiece's
 * does, copying only the hypotheses those still reach.
 *
 * With `sample` it is the Gumbel-top-k search (stochastic beam): f(EOS) is
 * a Gumbel draw, children get perturbed log-marginals truncated at their
 * parent's value (the log1p/exp form of sentencepiece, in float), and the
 * first n complete hypotheses are samples without replacement.
 *
 * A deadline (sp_clock_ms time, 0 = none; sentencepiece's SetNBestTimeout)
 * is checked every CLOCK_EVERY agenda pops: once past it the search stops,
 * its results are dropped and the Viterbi best path (score: its Viterbi
 * score) is the only result, and SP_NBEST_TIMED_OUT says so.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "unigram/unigram.h"

#define MAX_AGENDA 10000
#define MIN_AGENDA 512
#define CLOCK_EVERY 256

/* libstdc++'s std::__push_heap with comp = (a.fx < b.fx). */
static void sift_up(int32_t *h, const sp_hyp *hyp, size_t hole, size_t top, int32_t value) {
    while (hole > top) {
        size_t parent = (hole - 1) / 2;
        if (!(hyp[h[parent]].fx < hyp[value].fx)) break;
        h[hole] = h[parent];
        hole = parent;
    }
    h[hole] = value;
}

static void heap_push(int32_t *h, size_t *n, const sp_hyp *hyp, int32_t value) {
    size_t hole = (*n)++;
    sift_up(h, hyp, hole, 0, value);
}

/* std::pop_heap then pop_back: returns the top. */
static int32_t heap_pop(int32_t *h, size_t *n, const sp_hyp *hyp) {
    int32_t top = h[0];
    size_t len = *n - 1; /* the heap [0, len) after moving the last out */
    if (*n > 1) {
        int32_t value = h[len];
        h[len] = h[0];
        size_t hole = 0, second = 0;
        while (len > 0 && second < (len - 1) / 2) {
            second = 2 * (second + 1);
            if (hyp[h[second]].fx < hyp[h[second - 1]].fx) second--;
            h[hole] = h[second];
            hole = second;
        }
        if ((len & 1) == 0 && len >= 2 && second == (len - 2) / 2) {
            second = 2 * (second + 1);
            h[hole] = h[second - 1];
            hole = second - 1;
        }
        sift_up(h, hyp, hole, 0, value);
    }
    *n = len;
    return top;
}

static inline float gumbel(uint64_t *rng) {
    const float eps = 1e-7f;
    float u = sp_rng_float(rng);
    return -logf(-(logf(u + eps)));
}

static int new_hyp(sp_uni_scratch *s, size_t *count, int32_t node, int32_t next, float fx, float gx, int32_t *out) {
    if (sp_reserve((void **)&s->hyps, &s->hyps_cap, *count + 1, sizeof *s->hyps)) return -1;
    sp_hyp *h = &s->hyps[*count];
    h->node = node;
    h->next = next;
    h->fx = fx;
    h->gx = gx;
    *out = (int32_t)(*count)++;
    return 0;
}

/* Keep the top `keep` of the agenda and the hypotheses they reach. */
static int shrink(sp_uni_scratch *s, size_t *hyp_count, size_t *heap_len, size_t keep) {
    size_t old = *hyp_count;
    if (sp_reserve((void **)&s->clone, &s->clone_cap, old, sizeof *s->clone) ||
        sp_reserve((void **)&s->hyps2, &s->hyps2_cap, old, sizeof *s->hyps2) ||
        sp_reserve((void **)&s->heap2, &s->heap2_cap, keep + 1, sizeof *s->heap2))
        return -1;
    memset(s->clone, 0xFF, old * sizeof *s->clone);
    size_t fresh = 0, len2 = 0;
    for (size_t i = 0; i < keep && *heap_len; i++) {
        int32_t h = s->heap[0];
        int32_t first = -1, *link = &first;
        for (int32_t k = h; k >= 0;) {
            if (s->clone[k] >= 0) {
                *link = s->clone[k];
                break;
            }
            int32_t c = (int32_t)fresh++;
            s->hyps2[c] = s->hyps[k];
            s->clone[k] = c;
            *link = c;
            link = &s->hyps2[c].next;
            k = s->hyps[k].next;
        }
        heap_push(s->heap2, &len2, s->hyps2, first);
        heap_pop(s->heap, heap_len, s->hyps);
    }
    sp_hyp *th = s->hyps; s->hyps = s->hyps2; s->hyps2 = th;
    size_t tc = s->hyps_cap; s->hyps_cap = s->hyps2_cap; s->hyps2_cap = tc;
    int32_t *tp = s->heap; s->heap = s->heap2; s->heap2 = tp;
    tc = s->heap_cap; s->heap_cap = s->heap2_cap; s->heap2_cap = tc;
    *hyp_count = fresh;
    *heap_len = len2;
    return 0;
}

int sp_lattice_nbest(sp_uni_scratch *s, uint32_t chars, size_t nbest, int sample, float inv_theta, uint64_t *rng,
                     uint64_t deadline_ms) {
    if (nbest < 1) return 0;
    if (nbest == 1 && !sample) return sp_lattice_viterbi(s, chars, NULL);
    const sp_lnode *nodes = s->nodes;
    size_t hyp_count = 0, heap_len = 0, found = 0;
    int32_t eos;
    const size_t entry_paths = s->paths_len, entry_len = s->path_len;
    size_t pops = 0;
    if (sample) {
        sp_lattice_forward(s, chars, inv_theta);
    } else {
        size_t keep_paths = s->paths_len, keep_len = s->path_len;
        int st = sp_lattice_viterbi(s, chars, NULL);
        if (st) return st;
        s->paths_len = keep_paths; /* only the backtrace scores are wanted */
        s->path_len = keep_len;
    }
    float eos_fx = sample ? gumbel(rng) : nodes[1].backtrace;
    if (new_hyp(s, &hyp_count, 1, -1, eos_fx, 0.0f, &eos)) return -1;
    if (sp_reserve((void **)&s->heap, &s->heap_cap, 1, sizeof *s->heap)) return -1;
    heap_push(s->heap, &heap_len, s->hyps, eos);
    size_t widest = 1;
    for (uint32_t p = 0; p <= chars; p++) {
        size_t k = s->end_at[p + 1] - s->end_at[p];
        if (k > widest) widest = k;
    }
    if (sp_reserve((void **)&s->probs, &s->probs_cap, 2 * widest, sizeof *s->probs)) return -1;
    int32_t *path = NULL;
    size_t path_cap = 0;
    int st = 0;
    while (heap_len) {
        if (deadline_ms && ++pops % CLOCK_EVERY == 0 && sp_clock_ms() >= deadline_ms) {
            s->paths_len = entry_paths; /* drop what was found; the Viterbi best alone */
            s->path_len = entry_len;
            st = sp_lattice_viterbi(s, chars, NULL);
            if (!st) st = SP_NBEST_TIMED_OUT;
            goto done;
        }
        int32_t top = heap_pop(s->heap, &heap_len, s->hyps);
        sp_hyp th = s->hyps[top];
        if (th.node == 0) { /* reached BOS */
            size_t count = 0;
            for (int32_t k = th.next; s->hyps[k].next >= 0; k = s->hyps[k].next) {
                if (sp_reserve((void **)&path, &path_cap, count + 1, sizeof *path)) {
                    st = -1;
                    goto done;
                }
                path[count++] = s->hyps[k].node;
            }
            /* sentencepiece walks next links from BOS's neighbour: already left to right */
            size_t off = s->path_len;
            if (sp_reserve((void **)&s->path_nodes, &s->path_cap, off + count + 1, sizeof *s->path_nodes) ||
                sp_reserve((void **)&s->paths, &s->paths_cap, s->paths_len + 1, sizeof *s->paths)) {
                st = -1;
                goto done;
            }
            if (count) memcpy(s->path_nodes + off, path, count * sizeof *path);
            s->paths[s->paths_len].off = off;
            s->paths[s->paths_len].len = count;
            s->paths[s->paths_len].score = th.fx;
            s->paths_len++;
            s->path_len += count;
            if (++found == nbest) break;
            continue;
        }
        uint32_t pos = nodes[th.node].pos;
        uint32_t e0 = s->end_at[pos], e1 = s->end_at[pos + 1];
        float *probs = (float *)(void *)s->probs, *adjusted = probs + widest;
        if (sample) {
            const float z = s->alpha[th.node];
            float max_score = -1e8f;
            float pert[64];
            float *pp = (e1 - e0) <= 64 ? pert : NULL;
            if (!pp) {
                pp = malloc((e1 - e0) * sizeof *pp);
                if (!pp) {
                    st = -1;
                    goto done;
                }
            }
            for (uint32_t ei = e0; ei < e1; ei++) {
                int32_t l = s->end_list[ei];
                probs[ei - e0] = th.gx + s->alpha[l] + (inv_theta * nodes[l].score) - z;
                pp[ei - e0] = probs[ei - e0] + gumbel(rng);
                if (pp[ei - e0] > max_score) max_score = pp[ei - e0];
            }
            for (uint32_t i = 0; i < e1 - e0; i++) {
                float v = th.fx - pp[i] + log1pf(-expf(pp[i] - max_score));
                adjusted[i] = th.fx - (v > 0.0f ? v : 0.0f) - log1pf(expf(-fabsf(v)));
            }
            if (pp != pert) free(pp);
        }
        if (sp_reserve((void **)&s->heap, &s->heap_cap, heap_len + (e1 - e0) + 1, sizeof *s->heap)) {
            st = -1;
            goto done;
        }
        for (uint32_t ei = e0; ei < e1; ei++) {
            int32_t l = s->end_list[ei], h;
            float gx, fx;
            if (sample) {
                gx = probs[ei - e0];
                fx = adjusted[ei - e0];
            } else {
                gx = nodes[l].score + th.gx;
                fx = nodes[l].backtrace + th.gx;
            }
            if (new_hyp(s, &hyp_count, l, top, fx, gx, &h)) {
                st = -1;
                goto done;
            }
            heap_push(s->heap, &heap_len, s->hyps, h);
        }
        if (heap_len >= MAX_AGENDA) {
            size_t keep = nbest * 10 < MIN_AGENDA ? nbest * 10 : MIN_AGENDA;
            if (shrink(s, &hyp_count, &heap_len, keep)) {
                st = -1;
                goto done;
            }
        }
    }
done:
    free(path);
    return st;
}

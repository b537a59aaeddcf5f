/*
 * train_auto_coverage.c - the final vocabulary under auto_character_coverage
 * (sentencepiece 0.2.3 bpe_model_trainer.cc PrunePiecesWithGlobalSearch).
 *
 * With auto coverage every character takes part in the merges and up to
 * `target` merges are made; then one cut is chosen: the first k merges, the
 * characters they are made of (a vocabulary must hold them), and as many
 * standalone multi-byte characters as slots remain, best first.  A merge
 * gains its count; a multi-byte character in the vocabulary gains
 * count * (UTF-8 length - 1) (bytes it saves over byte fallback).  The k with
 * the largest total gain wins, the larger k on ties.  Standalone characters
 * rank by gain, then count (both descending), then code point; two Fenwick
 * trees over that ranking keep, for every k, how many are still standalone
 * and their gains, so the whole search is O((K + C) log C).
 *
 * The result: merges [0, k) in merge order, their characters by code point,
 * then the chosen standalone characters in rank order.
 */
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

typedef struct fenwick {
    int64_t *tree;   /* 1-based */
    size_t n;
} fenwick;

static void fw_add(fenwick *f, size_t idx, int64_t v) {
    for (size_t i = idx + 1; i <= f->n; i += i & (~i + 1)) f->tree[i] += v;
}

/* Sum of [0, idx]. */
static int64_t fw_query(const fenwick *f, size_t idx) {
    int64_t s = 0;
    for (size_t i = idx + 1; i > 0; i -= i & (~i + 1)) s += f->tree[i];
    return s;
}

/* The next character of the piece p[*i..len) that in_sub does not hold
 * yet: marks it and returns its charset index; -1 at the piece's end. */
static int32_t next_new_char(const sp_charset *cs, const uint8_t *p, size_t len, size_t *i, uint8_t *in_sub) {
    while (*i < len) {
        size_t l;
        uint32_t cp = sp_utf8_decode(p + *i, len - *i, &l);
        *i += l;
        int32_t ci = sp_charset_find(cs, cp);
        if (ci < 0 || in_sub[ci]) continue;
        in_sub[ci] = 1;
        return ci;
    }
    return -1;
}

/* Smallest idx with fw_query(idx) >= target (target > 0, reachable). */
static size_t fw_find(const fenwick *f, int64_t target) {
    size_t idx = 0, step = 1;
    while (step <= f->n) step <<= 1;
    for (; step; step >>= 1) {
        if (idx + step <= f->n && f->tree[idx + step] < target) {
            idx += step;
            target -= f->tree[idx];
        }
    }
    return idx < f->n ? idx : f->n - 1;
}

typedef struct candidate {
    uint32_t cp;
    int32_t sym;     /* index in the charset, which is the character's symbol */
    int64_t gain, count;
} candidate;

static int cmp_candidate(const void *a, const void *b) {
    const candidate *x = a, *y = b;
    if (x->gain != y->gain) return x->gain > y->gain ? -1 : 1;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->cp < y->cp ? -1 : (x->cp > y->cp);
}

static int cmp_cp(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : (x > y);
}

static size_t utf8_len(uint32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

int sp_auto_coverage_select(const sp_charset *cs, const sp_sym *syms, const uint8_t *arena, const int32_t *merged,
                            const int64_t *merged_freq, size_t nmerged, size_t budget, int32_t *final,
                            size_t *nfinal, spbpe_error *err) {
    size_t nc = cs->len;
    candidate *cand = malloc((nc + 1) * sizeof *cand);
    int32_t *rank = malloc((nc + 1) * sizeof *rank);       /* charset index -> candidate rank, -1 */
    uint8_t *in_sub = calloc(nc + 1, 1);                   /* charset index is in merges [0, k) */
    fenwick avail = {calloc(nc + 2, sizeof(int64_t)), 0}, gains = {calloc(nc + 2, sizeof(int64_t)), 0};
    uint32_t *chars = malloc((nc + 1) * sizeof *chars);
    int st = SPBPE_OK;
    if (!cand || !rank || !in_sub || !avail.tree || !gains.tree || !chars) {
        st = sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory choosing the vocabulary");
        goto out;
    }
    size_t ncand = 0;
    for (size_t i = 0; i < nc; i++) {
        size_t l = utf8_len(cs->cps[i]);
        rank[i] = -1;
        if (l >= 2 && cs->counts[i] * (int64_t)(l - 1) > 0)
            cand[ncand++] = (candidate){cs->cps[i], (int32_t)i, cs->counts[i] * (int64_t)(l - 1), cs->counts[i]};
    }
    qsort(cand, ncand, sizeof *cand, cmp_candidate);
    for (size_t r = 0; r < ncand; r++) rank[cand[r].sym] = (int32_t)r;
    avail.n = gains.n = ncand;
    for (size_t r = 0; r < ncand; r++) {
        fw_add(&avail, r, 1);
        fw_add(&gains, r, cand[r].gain);
    }

    size_t best_k = 0, best_single = 0, sub_count = 0;
    int64_t best_gain = INT64_MIN, merge_gain = 0, sub_gain = 0;
    for (size_t k = 0; k <= nmerged; k++) {
        if (k + sub_count <= budget) {
            size_t slots = budget - k - sub_count;
            size_t avail_n = ncand ? (size_t)fw_query(&avail, ncand - 1) : 0;
            size_t single = slots < avail_n ? slots : avail_n;
            int64_t single_gain = single ? fw_query(&gains, fw_find(&avail, (int64_t)single)) : 0;
            int64_t total = merge_gain + sub_gain + single_gain;
            if (total >= best_gain) { /* the larger k on ties */
                best_gain = total;
                best_k = k;
                best_single = single;
            }
        }
        if (k == nmerged) break;
        merge_gain += merged_freq[k];
        /* The characters of merge k become required from k + 1 on. */
        const sp_sym *y = &syms[merged[k]];
        int32_t ci;
        for (size_t i = 0; (ci = next_new_char(cs, arena + y->off, y->len, &i, in_sub)) >= 0;) {
            sub_count++;
            if (rank[ci] >= 0) {
                fw_add(&avail, (size_t)rank[ci], -1);
                fw_add(&gains, (size_t)rank[ci], -cand[rank[ci]].gain);
                sub_gain += cand[rank[ci]].gain;
            }
        }
    }

    /* Rebuild the choice for best_k. */
    memset(in_sub, 0, nc + 1);
    size_t n = 0, nchars = 0;
    for (size_t k = 0; k < best_k; k++) {
        final[n++] = merged[k];
        const sp_sym *y = &syms[merged[k]];
        int32_t ci;
        for (size_t i = 0; (ci = next_new_char(cs, arena + y->off, y->len, &i, in_sub)) >= 0;)
            chars[nchars++] = cs->cps[ci];
    }
    qsort(chars, nchars, sizeof *chars, cmp_cp);
    for (size_t i = 0; i < nchars; i++) final[n++] = sp_charset_find(cs, chars[i]);
    size_t taken = 0;
    for (size_t r = 0; r < ncand && taken < best_single; r++) {
        if (in_sub[cand[r].sym]) continue;
        final[n++] = cand[r].sym;
        taken++;
    }
    *nfinal = n;
out:
    free(cand);
    free(rank);
    free(in_sub);
    free(avail.tree);
    free(gains.tree);
    free(chars);
    return st;
}

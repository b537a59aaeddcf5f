/*
 * train_queue.c - the merge loop's priority queue of candidate pairs.
 *
 * Order (sentencepiece's choice of the best symbol): freq descending, then
 * length in code points ascending, then bytes ascending; two symbols with
 * the same string (aa+a and a+aa) go shorter left half first, so the order
 * never depends on symbol ids and hence not on the order of the words.
 * The first 8 bytes of a string, big-endian, settle most byte comparisons
 * without touching the arena (pair strings contain no NUL, and a prefix
 * difference orders exactly as memcmp-then-length would).
 *
 * Entries are lazy snapshots (sym, freq at push): an entry is current iff
 * its sym is not accepted and sym.inheap == freq; the caller re-checks.
 * Levels: every entry with freq >= level is in a binary max-heap; an entry
 * with 0 < freq < level waits, as a bare symbol id, in bucket[freq].  When
 * the heap runs dry the highest non-empty bucket becomes the new level and
 * is heapified.  The heap top is therefore always the maximum of all
 * entries, while most pairs (rare ones) cost an O(1) append and never enter
 * the heap at all.  Only levels below SP_QBUCKETS use buckets.
 */
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

static int better(const sp_sym *syms, const uint8_t *arena, const sp_qentry *a, const sp_qentry *b) {
    if (a->freq != b->freq) return a->freq > b->freq;
    if (a->nchars != b->nchars) return a->nchars < b->nchars;
    if (a->prefix != b->prefix) return a->prefix < b->prefix;
    const sp_sym *x = &syms[a->sym], *y = &syms[b->sym];
    uint32_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(arena + x->off, arena + y->off, n);
    if (r) return r < 0;
    if (x->len != y->len) return x->len < y->len;
    uint32_t lx = x->left >= 0 ? syms[x->left].nchars : 0, ly = y->left >= 0 ? syms[y->left].nchars : 0;
    if (lx != ly) return lx < ly;
    return a->sym < b->sym; /* same symbol twice */
}

static void sift_down(sp_queue *q, const sp_sym *syms, const uint8_t *arena, size_t i, sp_qentry e) {
    size_t n = q->len;
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= n) break;
        size_t b = (l + 1 < n && better(syms, arena, &q->heap[l + 1], &q->heap[l])) ? l + 1 : l;
        if (!better(syms, arena, &q->heap[b], &e)) break;
        q->heap[i] = q->heap[b];
        i = b;
    }
    q->heap[i] = e;
}

static sp_qentry make_entry(const sp_sym *y, int32_t s, int64_t freq) {
    return (sp_qentry){.freq = freq, .prefix = y->prefix, .sym = s, .nchars = y->nchars};
}

static int heap_insert(sp_queue *q, const sp_sym *syms, const uint8_t *arena, sp_qentry e) {
    if (sp_reserve_inline((void **)&q->heap, &q->cap, q->len + 1, sizeof *q->heap)) return -1;
    size_t i = q->len++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!better(syms, arena, &e, &q->heap[p])) break;
        q->heap[i] = q->heap[p];
        i = p;
    }
    q->heap[i] = e;
    return 0;
}

int sp_queue_init(sp_queue *q) {
    memset(q, 0, sizeof *q);
    q->level = SP_QBUCKETS;
    q->buckets = calloc(SP_QBUCKETS, sizeof *q->buckets);
    return q->buckets ? 0 : -1;
}

void sp_queue_release(sp_queue *q) {
    for (size_t b = 0; q->buckets && b < SP_QBUCKETS; b++) free(q->buckets[b].ids);
    free(q->buckets);
    free(q->heap);
    memset(q, 0, sizeof *q);
}

int sp_queue_push(sp_queue *q, sp_sym *syms, const uint8_t *arena, int32_t s) {
    sp_sym *y = &syms[s];
    y->inheap = y->freq;
    if (y->freq >= q->level || y->freq <= 0) return heap_insert(q, syms, arena, make_entry(y, s, y->freq));
    sp_bucket *b = &q->buckets[y->freq];
    if (sp_reserve_inline((void **)&b->ids, &b->cap, b->len + 1, sizeof *b->ids)) return -1;
    b->ids[b->len++] = s;
    if ((size_t)y->freq > q->top) q->top = (size_t)y->freq;
    return 0;
}

/* Replace everything by the given symbols at their current freq, one heap
 * (the tail of training, where every freq is 0). */
int sp_queue_build(sp_queue *q, sp_sym *syms, const uint8_t *arena, const int32_t *ids, size_t n) {
    for (size_t b = 0; b < SP_QBUCKETS; b++) q->buckets[b].len = 0;
    q->top = 0;
    q->level = 0;
    if (sp_reserve_inline((void **)&q->heap, &q->cap, n, sizeof *q->heap)) return -1;
    for (size_t i = 0; i < n; i++) {
        sp_sym *y = &syms[ids[i]];
        y->inheap = y->freq;
        q->heap[i] = make_entry(y, ids[i], y->freq);
    }
    q->len = n;
    for (size_t i = n / 2; i-- > 0;) sift_down(q, syms, arena, i, q->heap[i]);
    return 0;
}

/* Move the highest non-empty bucket into the (empty) heap; 0 when none. */
static int next_level(sp_queue *q, const sp_sym *syms, const uint8_t *arena, int *err) {
    while (q->top > 0) {
        size_t f = q->top--;
        sp_bucket *b = &q->buckets[f];
        if (!b->len) continue;
        q->level = (int64_t)f;
        if (sp_reserve_inline((void **)&q->heap, &q->cap, b->len, sizeof *q->heap)) {
            *err = 1;
            return 0;
        }
        size_t m = 0;
        for (size_t i = 0; i < b->len; i++) {
            const sp_sym *y = &syms[b->ids[i]];
            if (y->accepted || y->inheap != (int64_t)f) continue; /* superseded */
            q->heap[m++] = make_entry(y, b->ids[i], (int64_t)f);
        }
        b->len = 0;
        free(b->ids);
        b->ids = NULL;
        b->cap = 0;
        q->len = m;
        for (size_t i = m / 2; i-- > 0;) sift_down(q, syms, arena, i, q->heap[i]);
        if (m) return 1;
    }
    q->level = 0;
    return 0;
}

int sp_queue_pop(sp_queue *q, const sp_sym *syms, const uint8_t *arena, sp_qentry *out) {
    if (!q->len) {
        int err = 0;
        if (!next_level(q, syms, arena, &err)) return err ? -1 : 0;
    }
    *out = q->heap[0];
    sp_qentry e = q->heap[--q->len];
    if (q->len) sift_down(q, syms, arena, 0, e);
    return 1;
}

/*
 * byte_merge.c - byte pair merging of one chunk, exactly as tiktoken's
 * byte_pair_encode: start from one part per byte; repeatedly merge the
 * adjacent pair whose concatenation is the token of lowest rank (the
 * leftmost such pair on ties: equal ranks mean equal bytes at different
 * places), until no adjacent pair is a token; the parts' ranks are the
 * result.
 *
 * sp_bl_merge picks the strategy by size, here and nowhere else:
 *  - reference: tiktoken's own loop (a vector of part starts, every pair's
 *    rank looked up by bytes, a full scan for the minimum after each
 *    merge): O(n^2), the plain twin the tests and fuzzer compare with;
 *  - up to SMALL_CHUNK bytes: the same scan on arrays on the stack, with
 *    pairs looked up by (left rank, right rank) in the pair table
 *    (merge_small.c, which also runs several such chunks in turns);
 *  - longer: a doubly linked list of parts and a binary min-heap of pairs
 *    keyed by (rank, left part's start), stale entries skipped when popped
 *    (an entry is live while its left part still ends where its right part
 *    begins and their lengths still sum to its size).  O(n log n), so a
 *    1 MB run of one letter or of random characters stays near-linear.
 *    The heap pops pairs in the order the scan would pick them: every live
 *    pair is in the heap, and (rank, start) is the scan's order.
 */
#include <stdlib.h>
#include <string.h>

#include "bytelevel/bytelevel.h"

/* Chunks up to SP_BL_SMALL_CHUNK bytes merge by scanning arrays: below it
 * the quadratic scan over a few cache lines beats the heap's bookkeeping.
 * Measured in CPU time on English and on 27 languages' text (cl100k): 32
 * beat 64 and 16. */
#define SMALL_CHUNK SP_BL_SMALL_CHUNK

#define NO_RANK UINT32_MAX

static int no_rank_error(spbpe_error *err, const uint8_t *s, size_t at) {
    return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, at,
                   "byte 0x%02x has no rank in the mergeable ranks, so text containing it cannot be encoded",
                   (unsigned)s[at]);
}

/* ------------------------------------------------------------ reference */

static int64_t merge_reference(const spbpe_bytelevel *bl, const uint8_t *s, size_t n, spbpe_workspace *ws,
                               int32_t *out, spbpe_error *err) {
    if (sp_reserve((void **)&ws->seg_starts, &ws->seg_starts_cap, n + 2, sizeof *ws->seg_starts) ||
        sp_reserve((void **)&ws->stack, &ws->stack_cap, n + 2, sizeof *ws->stack))
        return -sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    uint32_t *pos = ws->seg_starts;              /* part i is s[pos[i] .. pos[i + 1]) */
    uint32_t *rank = (uint32_t *)ws->stack;      /* rank of parts i and i + 1 together */
    size_t m = n;
    for (size_t i = 0; i <= n; i++) pos[i] = (uint32_t)i;
    for (size_t i = 0; i + 1 < m; i++) {
        int32_t r = sp_bl_rank_of(bl, s + i, 2);
        rank[i] = r < 0 ? NO_RANK : (uint32_t)r;
    }
    for (;;) {
        uint32_t best = NO_RANK;
        size_t at = 0;
        for (size_t i = 0; i + 1 < m; i++)
            if (rank[i] < best) {
                best = rank[i];
                at = i;
            }
        if (best == NO_RANK) break;
        memmove(pos + at + 1, pos + at + 2, (m - at - 1) * sizeof *pos);
        if (at + 1 < m - 1) memmove(rank + at + 1, rank + at + 2, (m - at - 2) * sizeof *rank);
        m--;
        if (at > 0) {
            int32_t r = sp_bl_rank_of(bl, s + pos[at - 1], pos[at + 1] - pos[at - 1]);
            rank[at - 1] = r < 0 ? NO_RANK : (uint32_t)r;
        }
        if (at + 1 < m) {
            int32_t r = sp_bl_rank_of(bl, s + pos[at], pos[at + 2] - pos[at]);
            rank[at] = r < 0 ? NO_RANK : (uint32_t)r;
        }
    }
    for (size_t i = 0; i < m; i++) {
        int32_t r = sp_bl_rank_of(bl, s + pos[i], pos[i + 1] - pos[i]);
        if (r < 0) return -no_rank_error(err, s, pos[i]);
        out[i] = r;
    }
    return (int64_t)m;
}

/* ------------------------------------------------------------ heap path */

/* Min-heap of pairs by (rank, left start); `left` and `right` are part
 * indices (= byte offsets of the parts' starts), `size` the pair's bytes. */
static inline int before(const sp_agenda_item *a, const sp_agenda_item *b) {
    return a->key < b->key || (a->key == b->key && a->left < b->left);
}

static void sift_down(sp_agenda_item *h, size_t count, size_t i) {
    sp_agenda_item item = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= count) break;
        if (c + 1 < count && before(&h[c + 1], &h[c])) c++;
        if (!before(&h[c], &item)) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = item;
}

static void heap_push(sp_agenda_item *h, size_t *count, sp_agenda_item item) {
    size_t i = (*count)++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&item, &h[parent])) break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = item;
}

static inline void push_pair(const spbpe_bytelevel *bl, const uint8_t *s, const sp_symbol *sym, sp_agenda_item *h,
                             size_t *count, int32_t left) {
    int32_t right = sym[left].next;
    if (right < 0) return;
    uint32_t size = sym[left].len + sym[right].len;
    int32_t r = sp_bl_pair_rank(bl, sym[left].id, sym[right].id, s + sym[left].start, size);
    if (r < 0) return;
    sp_agenda_item item = {(uint32_t)r, left, right, size, r};
    heap_push(h, count, item);
}

static int64_t merge_heap(const spbpe_bytelevel *bl, const uint8_t *s, size_t n, spbpe_workspace *ws, int32_t *out,
                          spbpe_error *err) {
    if (sp_reserve((void **)&ws->sym, &ws->sym_cap, n, sizeof *ws->sym) ||
        sp_reserve((void **)&ws->heap, &ws->heap_cap, 3 * n + 1, sizeof *ws->heap))
        return -sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    sp_symbol *sym = ws->sym;
    sp_agenda_item *h = ws->heap;
    for (size_t i = 0; i < n; i++) {
        sym[i].start = (uint32_t)i;
        sym[i].len = 1;
        sym[i].prev = (int32_t)i - 1;
        sym[i].next = i + 1 < n ? (int32_t)i + 1 : -1;
        sym[i].id = bl->byte_rank[s[i]];
        sym[i].frozen = 0;
    }
    size_t count = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        int32_t r = bl->byte_pair[s[i] << 8 | s[i + 1]];
        if (r >= 0) h[count++] = (sp_agenda_item){(uint32_t)r, (int32_t)i, (int32_t)i + 1, 2, r};
    }
    for (size_t i = count / 2; i-- > 0;) sift_down(h, count, i);
    while (count) {
        sp_agenda_item top = h[0];
        h[0] = h[--count];
        if (count) sift_down(h, count, 0);
        sp_symbol *left = &sym[top.left];
        if (!left->len || left->next != top.right || left->len + sym[top.right].len != top.size) continue;
        sp_symbol *right = &sym[top.right];
        left->len = top.size;
        left->id = top.merged;
        left->next = right->next;
        if (right->next >= 0) sym[right->next].prev = top.left;
        right->len = 0;
        if (left->prev >= 0) push_pair(bl, s, sym, h, &count, left->prev);
        push_pair(bl, s, sym, h, &count, top.left);
    }
    size_t m = 0;
    for (int32_t i = 0; i >= 0; i = sym[i].next) {
        if (sym[i].id < 0) return -no_rank_error(err, s, sym[i].start);
        out[m++] = sym[i].id;
    }
    return (int64_t)m;
}

/* ------------------------------------------------------------- strategy */

int64_t sp_bl_merge(const spbpe_bytelevel *bl, const uint8_t *s, size_t n, int reference, spbpe_workspace *ws,
                    int32_t *out, spbpe_error *err) {
    if (reference) return merge_reference(bl, s, n, ws, out, err);
    if (n == 1) {
        if (bl->byte_rank[s[0]] < 0) return -no_rank_error(err, s, 0);
        out[0] = bl->byte_rank[s[0]];
        return 1;
    }
    if (n <= SMALL_CHUNK) return sp_bl_merge_small(bl, s, n, out, err);
    return merge_heap(bl, s, n, ws, out, err);
}

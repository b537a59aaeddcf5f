/*
 * train/bytebpe_train.c - minbpe's byte-level BPE training, incremental.
 *
 * minbpe (RegexTokenizer.train) splits the text into chunks, and at each
 * step counts every adjacent pair of ids in every chunk, takes
 * max(stats, key=stats.get) and replaces that pair by a new id (256, 257,
 * ...) left to right in every chunk.  Python's max returns the FIRST pair
 * with the highest count in dict insertion order, and get_stats inserts a
 * pair at its first occurrence scanning chunk after chunk, position after
 * position.  So the winner is the pair with the highest count and, among
 * those, the earliest first occurrence in the text.
 *
 * Here the caller passes each DISTINCT chunk once, in order of first
 * appearance, with its multiplicity.  The chunks are laid end to end as
 * "slots" (one per byte): a slot holds a symbol (an id, or dead once merged
 * into its left neighbour) and links to the live slots before and after it
 * in its chunk (NONE at chunk ends), and carries its chunk's multiplicity.
 * A pair's occurrence is named by the slot of its left symbol; slot order is
 * the order minbpe scans, so a pair's earliest occurrence is its smallest
 * live slot.  Every pair keeps:
 *  - count: the exact weighted number of its occurrences now;
 *  - its list of slots (ascending) where it occurred when it was born.
 * Invariant: all occurrences of a pair are created at one moment (pairs of
 * two bytes at the start; a pair containing id X when X is minted), and
 * afterwards only disappear.  So a pair's list holds all its occurrences
 * (plus stale slots, recognised by checking the symbols and never valid
 * again), and a pair's (count, first slot) only gets worse.  That makes a
 * lazy max-heap exact: an entry's key is never worse than its pair's true
 * key; the top entry is the winner if its key is still current, else it is
 * refreshed and sifted down.
 *
 * A merge walks the winner's list left to right (minbpe's left-to-right,
 * non-overlapping replacement: a stale slot, e.g. the middle of "aaa", is
 * skipped) and, per occurrence, removes the pairs with its two neighbours
 * and adds the pairs with the new symbol.  The new pairs' slot lists are
 * appended to one arena, grouped by pair (a stable counting sort keeps each
 * list ascending).  Work per merge is proportional to the occurrences it
 * touches, not to the corpus.  Memory: 16 bytes per slot, at most 3 list
 * entries (4 bytes) per slot over the whole run, 32 bytes per pair ever
 * seen, 16 per heap entry.
 */
#include <stdlib.h>

#include "common/internal.h"

#define BB_NONE 0xFFFFFFFFu /* no slot: a chunk end */
#define BB_DEAD 0xFFFFFFFFu /* symbol of a slot merged into its left neighbour */

typedef struct bb_pair {
    uint64_t key;  /* left id << 32 | right id */
    int64_t count; /* weighted occurrences now */
    uint64_t list; /* index of its first slot in occ */
    uint32_t len;  /* slots in its list */
    uint32_t head; /* list entries before head are stale for good */
} bb_pair;

typedef struct bb_entry {
    int64_t count; /* the pair's count when pushed */
    uint32_t first; /* the pair's first live slot when pushed */
    uint32_t pair;  /* index into pairs */
} bb_entry;

struct spbpe_bytebpe_trainer {
    size_t nslots;
    uint32_t *sym;    /* per slot: id, or BB_DEAD */
    uint32_t *prev;   /* per slot: live slot before it in its chunk, or BB_NONE */
    uint32_t *next;   /* per slot: live slot after it in its chunk, or BB_NONE */
    uint32_t *weight; /* per slot: its chunk's multiplicity */

    bb_pair *pairs;
    size_t npairs, pairs_cap;
    uint32_t *table; /* open addressing: pair index + 1, 0 = empty */
    size_t table_cap; /* power of two */

    uint32_t *occ; /* every pair's slot list, back to back */
    size_t nocc, occ_cap;

    bb_entry *heap;
    size_t nheap, heap_cap;

    uint32_t *tmp_pair, *tmp_slot; /* new pairs' slots during one merge */
    size_t ntmp, tmp_cap, tmp_cap2;
    uint32_t *fill; /* per new pair: slots placed so far */
    size_t fill_cap;

    uint32_t next_id; /* the id the next merge mints */
    size_t peak_bytes;
};

/* ------------------------------------------------------------ pair table */

static inline uint64_t bb_key(uint32_t a, uint32_t b) { return ((uint64_t)a << 32) | b; }

static inline size_t bb_slot_of(uint64_t key, size_t mask) {
    return (size_t)(sp_hash_mix(key ^ 0x9e3779b97f4a7c15ULL, 0xe7037ed1a0b428dbULL)) & mask;
}

static int bb_table_grow(spbpe_bytebpe_trainer *t) {
    size_t cap = t->table_cap ? t->table_cap * 2 : 1024;
    uint32_t *tab = calloc(cap, sizeof *tab);
    if (!tab) return -1;
    for (size_t i = 0; i < t->npairs; i++) {
        size_t h = bb_slot_of(t->pairs[i].key, cap - 1);
        while (tab[h]) h = (h + 1) & (cap - 1);
        tab[h] = (uint32_t)(i + 1);
    }
    free(t->table);
    t->table = tab;
    t->table_cap = cap;
    return 0;
}

/* The index of pair (a, b), or -1 when it was never seen. */
static int64_t bb_find(const spbpe_bytebpe_trainer *t, uint32_t a, uint32_t b) {
    uint64_t key = bb_key(a, b);
    size_t mask = t->table_cap - 1, h = bb_slot_of(key, mask);
    for (;;) {
        uint32_t v = t->table[h];
        if (!v) return -1;
        if (t->pairs[v - 1].key == key) return (int64_t)(v - 1);
        h = (h + 1) & mask;
    }
}

/* The index of pair (a, b), created (count 0, empty list) if new; -1 on
 * allocation failure. */
static int64_t bb_get(spbpe_bytebpe_trainer *t, uint32_t a, uint32_t b) {
    if ((t->npairs + 1) * 2 > t->table_cap && bb_table_grow(t)) return -1;
    uint64_t key = bb_key(a, b);
    size_t mask = t->table_cap - 1, h = bb_slot_of(key, mask);
    for (;;) {
        uint32_t v = t->table[h];
        if (!v) break;
        if (t->pairs[v - 1].key == key) return (int64_t)(v - 1);
        h = (h + 1) & mask;
    }
    if (t->npairs >= 0xFFFFFFF0u) return -1;
    if (sp_reserve_inline((void **)&t->pairs, &t->pairs_cap, t->npairs + 1, sizeof *t->pairs)) return -1;
    bb_pair *p = &t->pairs[t->npairs];
    memset(p, 0, sizeof *p);
    p->key = key;
    t->table[h] = (uint32_t)(t->npairs + 1);
    return (int64_t)t->npairs++;
}

/* ------------------------------------------------------------------ heap */

/* a ranks above b: more occurrences, then an earlier first occurrence. */
static inline int bb_above(const bb_entry *a, const bb_entry *b) {
    return a->count > b->count || (a->count == b->count && a->first < b->first);
}

static void bb_sift_down(bb_entry *h, size_t n, size_t i) {
    bb_entry e = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && bb_above(&h[c + 1], &h[c])) c++;
        if (!bb_above(&h[c], &e)) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = e;
}

static int bb_push(spbpe_bytebpe_trainer *t, int64_t count, uint32_t first, uint32_t pair) {
    if (sp_reserve_inline((void **)&t->heap, &t->heap_cap, t->nheap + 1, sizeof *t->heap)) return -1;
    bb_entry e = {count, first, pair};
    size_t i = t->nheap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!bb_above(&e, &t->heap[p])) break;
        t->heap[i] = t->heap[p];
        i = p;
    }
    t->heap[i] = e;
    return 0;
}

static void bb_pop(spbpe_bytebpe_trainer *t) {
    t->heap[0] = t->heap[--t->nheap];
    if (t->nheap) bb_sift_down(t->heap, t->nheap, 0);
}

/* ----------------------------------------------------------- occurrences */

/* Slot s holds pair p now (its left symbol is at s). */
static inline int bb_holds(const spbpe_bytebpe_trainer *t, uint32_t s, const bb_pair *p) {
    uint32_t n = t->next[s];
    return n != BB_NONE && t->sym[s] == (uint32_t)(p->key >> 32) && t->sym[n] == (uint32_t)p->key;
}

/* The first live slot of pair p (dropping stale list heads for good), or
 * BB_NONE when none is left. */
static uint32_t bb_first(spbpe_bytebpe_trainer *t, bb_pair *p) {
    while (p->head < p->len) {
        uint32_t s = t->occ[p->list + p->head];
        if (bb_holds(t, s, p)) return s;
        p->head++;
    }
    return BB_NONE;
}

static void bb_note_peak(spbpe_bytebpe_trainer *t) {
    size_t b = t->nslots * 16 + t->pairs_cap * sizeof(bb_pair) + t->table_cap * 4 + t->occ_cap * 4 +
               t->heap_cap * sizeof(bb_entry) + (t->tmp_cap + t->tmp_cap2 + t->fill_cap) * 4;
    if (b > t->peak_bytes) t->peak_bytes = b;
}

/* -------------------------------------------------------------- building */

SP_API void spbpe_bytebpe_trainer_free(spbpe_bytebpe_trainer *t) {
    if (!t) return;
    free(t->sym);
    free(t->prev);
    free(t->next);
    free(t->weight);
    free(t->pairs);
    free(t->table);
    free(t->occ);
    free(t->heap);
    free(t->tmp_pair);
    free(t->tmp_slot);
    free(t->fill);
    free(t);
}

static spbpe_bytebpe_trainer *bb_nomem(spbpe_bytebpe_trainer *t, spbpe_error *err) {
    spbpe_bytebpe_trainer_free(t);
    sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory building the byte-level BPE trainer");
    return NULL;
}

SP_API spbpe_bytebpe_trainer *spbpe_bytebpe_trainer_new(const uint8_t *blob, const size_t *starts,
                                                        const int64_t *counts, size_t count, spbpe_error *err) {
    sp_clear_error(err);
    if ((!blob && count && starts && starts[count] != starts[0]) || !starts || (count && !counts)) {
        sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "bytebpe trainer: NULL argument");
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        if (starts[i + 1] < starts[i]) {
            sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, i, "bytebpe trainer: chunk starts decrease at chunk %zu", i);
            return NULL;
        }
        if (counts[i] < 1 || counts[i] > (int64_t)0xFFFFFFFF) {
            sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, i, "bytebpe trainer: chunk %zu has count %lld (1 to 2^32-1)", i,
                    (long long)counts[i]);
            return NULL;
        }
    }
    size_t n = starts[count] - starts[0];
    if (n > SP_MAX_INPUT) {
        sp_fail(err, SPBPE_ERR_LIMIT, 0, "bytebpe trainer: %zu bytes of distinct chunks (at most %zu)", n,
                (size_t)SP_MAX_INPUT);
        return NULL;
    }
    spbpe_bytebpe_trainer *t = calloc(1, sizeof *t);
    if (!t) return bb_nomem(t, err);
    t->nslots = n;
    t->next_id = 256;
    size_t m = n ? n : 1;
    t->sym = malloc(m * 4);
    t->prev = malloc(m * 4);
    t->next = malloc(m * 4);
    t->weight = malloc(m * 4);
    if (!t->sym || !t->prev || !t->next || !t->weight) return bb_nomem(t, err);
    const uint8_t *base = blob ? blob + starts[0] : NULL;
    for (size_t c = 0; c < count; c++) {
        size_t s = starts[c] - starts[0], e = starts[c + 1] - starts[0];
        for (size_t i = s; i < e; i++) {
            t->sym[i] = base[i];
            t->prev[i] = i > s ? (uint32_t)(i - 1) : BB_NONE;
            t->next[i] = i + 1 < e ? (uint32_t)(i + 1) : BB_NONE;
            t->weight[i] = (uint32_t)counts[c];
        }
    }
    if (bb_table_grow(t)) return bb_nomem(t, err);
    /* count the pairs (and their list lengths), in slot order */
    for (size_t i = 0; i < n; i++) {
        if (t->next[i] == BB_NONE) continue;
        int64_t p = bb_get(t, t->sym[i], t->sym[i + 1]);
        if (p < 0) return bb_nomem(t, err);
        t->pairs[p].count += t->weight[i];
        t->pairs[p].len++;
    }
    /* lay out the lists, then fill them in slot order (ascending) */
    if (sp_reserve((void **)&t->occ, &t->occ_cap, n ? n : 1, 4)) return bb_nomem(t, err);
    for (size_t p = 0; p < t->npairs; p++) {
        t->pairs[p].list = t->nocc;
        t->nocc += t->pairs[p].len;
        t->pairs[p].len = 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (t->next[i] == BB_NONE) continue;
        bb_pair *p = &t->pairs[bb_find(t, t->sym[i], t->sym[i + 1])];
        t->occ[p->list + p->len++] = (uint32_t)i;
    }
    if (sp_reserve((void **)&t->heap, &t->heap_cap, t->npairs ? t->npairs : 1, sizeof *t->heap))
        return bb_nomem(t, err);
    for (size_t p = 0; p < t->npairs; p++) {
        bb_entry e = {t->pairs[p].count, t->occ[t->pairs[p].list], (uint32_t)p};
        t->heap[t->nheap++] = e;
    }
    for (size_t i = t->nheap / 2; i-- > 0;) bb_sift_down(t->heap, t->nheap, i);
    bb_note_peak(t);
    return t;
}

/* ---------------------------------------------------------------- merging */

/* Subtract w from pair (a, b), which must exist. */
static int bb_sub(spbpe_bytebpe_trainer *t, uint32_t a, uint32_t b, uint32_t w) {
    int64_t p = bb_find(t, a, b);
    if (p < 0) return -1;
    t->pairs[p].count -= w;
    return 0;
}

/* Add w to pair (a, b), born in this merge, and note slot s for its list. */
static int bb_add(spbpe_bytebpe_trainer *t, uint32_t a, uint32_t b, uint32_t w, uint32_t s) {
    int64_t p = bb_get(t, a, b);
    if (p < 0) return -1;
    t->pairs[p].count += w;
    if (sp_reserve_inline((void **)&t->tmp_pair, &t->tmp_cap, t->ntmp + 1, 4) ||
        sp_reserve_inline((void **)&t->tmp_slot, &t->tmp_cap2, t->ntmp + 1, 4))
        return -2;
    t->tmp_pair[t->ntmp] = (uint32_t)p;
    t->tmp_slot[t->ntmp++] = s;
    return 0;
}

/* Pop the winning pair: the top entry whose key is current. */
static int64_t bb_winner(spbpe_bytebpe_trainer *t) {
    while (t->nheap) {
        bb_entry *e = &t->heap[0];
        bb_pair *p = &t->pairs[e->pair];
        if (p->count <= 0) {
            bb_pop(t);
            continue;
        }
        uint32_t first = bb_first(t, p);
        if (first == BB_NONE) return -2; /* a count without occurrences: a bug */
        if (e->count == p->count && e->first == first) {
            uint32_t idx = e->pair;
            bb_pop(t);
            return idx;
        }
        e->count = p->count;
        e->first = first;
        bb_sift_down(t->heap, t->nheap, 0);
    }
    return -1;
}

/* Merge pair index w into new id x everywhere. */
static int bb_apply(spbpe_bytebpe_trainer *t, uint32_t widx, uint32_t x, spbpe_error *err) {
    size_t old_npairs = t->npairs;
    t->ntmp = 0;
    bb_pair win = t->pairs[widx]; /* a copy: the pair array may move */
    uint32_t a = (uint32_t)(win.key >> 32), b = (uint32_t)win.key;
    for (uint32_t i = win.head; i < win.len; i++) {
        uint32_t s = t->occ[win.list + i];
        uint32_t nx = t->next[s];
        if (nx == BB_NONE || t->sym[s] != a || t->sym[nx] != b) continue;
        uint32_t w = t->weight[s], pv = t->prev[s], u = t->next[nx];
        int rc = 0;
        if (pv != BB_NONE) rc |= bb_sub(t, t->sym[pv], a, w);
        t->pairs[widx].count -= w;
        if (u != BB_NONE) rc |= bb_sub(t, b, t->sym[u], w);
        if (rc) return sp_fail(err, SPBPE_ERR_INTERNAL, s, "bytebpe trainer: a neighbour pair was never counted");
        t->sym[s] = x;
        t->sym[nx] = BB_DEAD;
        t->next[s] = u;
        if (u != BB_NONE) t->prev[u] = s;
        if (pv != BB_NONE && bb_add(t, t->sym[pv], x, w, pv)) goto nomem;
        if (u != BB_NONE && bb_add(t, x, t->sym[u], w, s)) goto nomem;
    }
    t->pairs[widx].head = t->pairs[widx].len;
    if (t->pairs[widx].count != 0)
        return sp_fail(err, SPBPE_ERR_INTERNAL, 0, "bytebpe trainer: %lld occurrences left after a merge",
                       (long long)t->pairs[widx].count);
    /* the new pairs' lists, grouped by pair, each ascending (stable) */
    size_t nnew = t->npairs - old_npairs;
    if (nnew) {
        if (sp_reserve((void **)&t->fill, &t->fill_cap, nnew, 4)) goto nomem;
        memset(t->fill, 0, nnew * 4);
        for (size_t k = 0; k < t->ntmp; k++) t->fill[t->tmp_pair[k] - old_npairs]++;
        if (sp_reserve((void **)&t->occ, &t->occ_cap, t->nocc + t->ntmp, 4)) goto nomem;
        for (size_t q = 0; q < nnew; q++) {
            bb_pair *p = &t->pairs[old_npairs + q];
            p->list = t->nocc;
            t->nocc += t->fill[q];
            p->len = 0;
        }
        for (size_t k = 0; k < t->ntmp; k++) {
            bb_pair *p = &t->pairs[t->tmp_pair[k]];
            t->occ[p->list + p->len++] = t->tmp_slot[k];
        }
        for (size_t q = 0; q < nnew; q++) {
            bb_pair *p = &t->pairs[old_npairs + q];
            if (p->count <= 0) continue;
            uint32_t first = bb_first(t, p);
            if (first == BB_NONE)
                return sp_fail(err, SPBPE_ERR_INTERNAL, 0, "bytebpe trainer: a new pair without occurrences");
            if (bb_push(t, p->count, first, (uint32_t)(old_npairs + q))) goto nomem;
        }
    }
    bb_note_peak(t);
    return SPBPE_OK;
nomem:
    return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory in the byte-level BPE trainer");
}

SP_API int spbpe_bytebpe_trainer_merge(spbpe_bytebpe_trainer *t, size_t max_merges, int32_t *pairs, int64_t *freqs,
                                       size_t *done, spbpe_error *err) {
    sp_clear_error(err);
    if (done) *done = 0;
    if (!t || (max_merges && (!pairs || !freqs)))
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "bytebpe trainer: NULL argument");
    for (size_t k = 0; k < max_merges; k++) {
        if (t->next_id >= 0x7FFFFFFFu)
            return sp_fail(err, SPBPE_ERR_LIMIT, 0, "bytebpe trainer: too many merges");
        int64_t w = bb_winner(t);
        if (w == -1) return SPBPE_OK; /* nothing left to merge: *done < max_merges */
        if (w < 0) return sp_fail(err, SPBPE_ERR_INTERNAL, 0, "bytebpe trainer: a pair count without occurrences");
        bb_pair *p = &t->pairs[w];
        pairs[2 * k] = (int32_t)(p->key >> 32);
        pairs[2 * k + 1] = (int32_t)(uint32_t)p->key;
        freqs[k] = p->count;
        int rc = bb_apply(t, (uint32_t)w, t->next_id, err);
        if (rc) return rc;
        t->next_id++;
        if (done) *done = k + 1;
    }
    return SPBPE_OK;
}

SP_API size_t spbpe_bytebpe_trainer_peak_bytes(const spbpe_bytebpe_trainer *t) { return t ? t->peak_bytes : 0; }

/*
 * bytelevel/pair_merge.c - minbpe's encode: merging pairs of ids by merge
 * index.
 *
 * A model is a set of merges (left id, right id) -> new id, where the new
 * id is the merge's rank and exceeds both ids of its pair (minbpe's ids
 * are 256 + merge number; GPT4Tokenizer's are cl100k's ranks), plus a map
 * from each byte to its starting id (the identity, or GPT-4's byte
 * shuffle).  minbpe encodes each chunk by repeating: take the adjacent pair
 * with the lowest merge index; replace all its occurrences left to right.
 *
 * Two exact ways to do that, chosen by chunk length in sp_pm_encode_chunk:
 *  - scan (the plain twin, and the fast way for short chunks): minbpe's
 *    loop as written;
 *  - segments (long chunks, e.g. BasicTokenizer's whole text): a merge
 *    only creates pairs that contain the new id, whose ranks exceed the one
 *    being merged, so ranks are merged in increasing order, and all
 *    occurrences of a pair appear at one moment; each rank's occurrences
 *    are one segment sorted by slot, walked left to right over a linked
 *    list of symbols (slots that no longer hold the pair are skipped): the
 *    same steps as the scan.  (A min-heap of every occurrence was exact
 *    too, but took a minute on a 10 MB chunk: one cache miss per level.)
 *
 * The model is immutable after spbpe_pair_merges_new, so any number of
 * threads may encode with it; scratch memory belongs to each call.
 */
#include <stdlib.h>

#include "common/internal.h"

#define PM_NONE 0xFFFFFFFFu
#define PM_SCAN_MAX 32 /* chunks up to this many bytes use the scan */

struct spbpe_pair_merges {
    uint64_t *keys; /* open addressing: left << 32 | right, PM_EMPTY = empty */
    int32_t *vals;  /* the merge's new id */
    size_t cap;     /* power of two */
    size_t count;
    int32_t byte_map[256];
};

#define PM_EMPTY UINT64_MAX

static inline size_t pm_hash(uint64_t key, size_t mask) {
    return (size_t)sp_hash_mix(key ^ 0x9e3779b97f4a7c15ULL, 0xe7037ed1a0b428dbULL) & mask;
}

/* The new id of merging (a, b), or -1 when it is not a merge. */
static inline int32_t pm_rank(const spbpe_pair_merges *m, uint32_t a, uint32_t b) {
    uint64_t key = ((uint64_t)a << 32) | b;
    size_t mask = m->cap - 1, h = pm_hash(key, mask);
    for (;;) {
        uint64_t k = m->keys[h];
        if (k == key) return m->vals[h];
        if (k == PM_EMPTY) return -1;
        h = (h + 1) & mask;
    }
}

SP_API void spbpe_pair_merges_free(spbpe_pair_merges *m) {
    if (!m) return;
    free(m->keys);
    free(m->vals);
    free(m);
}

SP_API spbpe_pair_merges *spbpe_pair_merges_new(const int32_t *merges, size_t count, const uint8_t *byte_map,
                                                spbpe_error *err) {
    sp_clear_error(err);
    if (count && !merges) {
        sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "pair merges: NULL argument");
        return NULL;
    }
    if (count > ((size_t)1 << 28)) {
        sp_fail(err, SPBPE_ERR_LIMIT, 0, "pair merges: %zu merges (at most 2^28)", count);
        return NULL;
    }
    spbpe_pair_merges *m = calloc(1, sizeof *m);
    if (!m) goto nomem;
    m->cap = 16;
    while (m->cap < count * 2 + 2) m->cap *= 2;
    m->keys = malloc(m->cap * sizeof *m->keys);
    m->vals = malloc(m->cap * sizeof *m->vals);
    if (!m->keys || !m->vals) goto nomem;
    memset(m->keys, 0xFF, m->cap * sizeof *m->keys);
    for (int i = 0; i < 256; i++) {
        m->byte_map[i] = byte_map ? byte_map[i] : i;
        for (int j = 0; byte_map && j < i; j++)
            if (byte_map[j] == byte_map[i]) {
                sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, (size_t)i, "pair merges: bytes %d and %d map to one id", j, i);
                spbpe_pair_merges_free(m);
                return NULL;
            }
    }
    for (size_t i = 0; i < count; i++) {
        int32_t a = merges[3 * i], b = merges[3 * i + 1], id = merges[3 * i + 2];
        if (a < 0 || b < 0 || id <= a || id <= b) {
            sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, i,
                    "merge %zu: (%d, %d) -> %d: the new id must exceed both ids of its pair", i, (int)a, (int)b,
                    (int)id);
            spbpe_pair_merges_free(m);
            return NULL;
        }
        uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
        size_t mask = m->cap - 1, h = pm_hash(key, mask);
        while (m->keys[h] != PM_EMPTY && m->keys[h] != key) h = (h + 1) & mask;
        if (m->keys[h] == key) {
            sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, i, "merge %zu: the pair (%d, %d) is merged twice", i, (int)a,
                    (int)b);
            spbpe_pair_merges_free(m);
            return NULL;
        }
        m->keys[h] = key;
        m->vals[h] = id;
        m->count++;
    }
    return m;
nomem:
    spbpe_pair_merges_free(m);
    sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory building pair merges");
    return NULL;
}

/* ------------------------------------------------------------------ scan */

/* minbpe's _encode_chunk as written: ids (n of them) in place; returns the
 * new count. */
static size_t pm_scan(const spbpe_pair_merges *m, int32_t *ids, size_t n) {
    while (n >= 2) {
        int32_t best = -1;
        uint32_t ba = 0, bb = 0;
        for (size_t i = 0; i + 1 < n; i++) {
            int32_t r = pm_rank(m, (uint32_t)ids[i], (uint32_t)ids[i + 1]);
            if (r >= 0 && (best < 0 || r < best)) {
                best = r;
                ba = (uint32_t)ids[i];
                bb = (uint32_t)ids[i + 1];
            }
        }
        if (best < 0) break;
        size_t o = 0;
        for (size_t i = 0; i < n;) {
            if (i + 1 < n && (uint32_t)ids[i] == ba && (uint32_t)ids[i + 1] == bb) {
                ids[o++] = best;
                i += 2;
            } else {
                ids[o++] = ids[i++];
            }
        }
        n = o;
    }
    return n;
}

/* -------------------------------------------------------------- segments */

typedef struct pm_entry {
    int32_t rank;  /* the pair's merge index */
    uint32_t slot; /* where its left symbol is */
} pm_entry;

typedef struct pm_seg {
    int32_t rank;
    uint32_t start, end; /* its entries: ev[start .. end) */
} pm_seg;

typedef struct pm_scratch {
    uint32_t *next, *prev; /* live neighbours of each slot, PM_NONE at the ends */
    pm_entry *ev;          /* every pair occurrence ever made, segment by segment */
    size_t nev;
    pm_seg *segs; /* min-heap by rank of the segments not yet merged */
    size_t nsegs;
} pm_scratch;

static int pm_cmp_entry(const void *x, const void *y) {
    const pm_entry *a = x, *b = y;
    if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
    return a->slot < b->slot ? -1 : a->slot > b->slot;
}

static void pm_seg_push(pm_scratch *s, pm_seg g) {
    size_t i = s->nsegs++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (s->segs[p].rank <= g.rank) break;
        s->segs[i] = s->segs[p];
        i = p;
    }
    s->segs[i] = g;
}

static pm_seg pm_seg_pop(pm_scratch *s) {
    pm_seg top = s->segs[0], g = s->segs[--s->nsegs];
    size_t i = 0, n = s->nsegs;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && s->segs[c + 1].rank < s->segs[c].rank) c++;
        if (s->segs[c].rank >= g.rank) break;
        s->segs[i] = s->segs[c];
        i = c;
    }
    if (n) s->segs[i] = g;
    return top;
}

/* Sort ev[from .. s->nev) by (rank, slot) and make each rank's run a segment. */
static void pm_add_segments(pm_scratch *s, size_t from) {
    size_t to = s->nev;
    if (to - from > 1) qsort(s->ev + from, to - from, sizeof *s->ev, pm_cmp_entry);
    for (size_t i = from; i < to;) {
        size_t j = i + 1;
        while (j < to && s->ev[j].rank == s->ev[i].rank) j++;
        pm_seg g = {s->ev[i].rank, (uint32_t)i, (uint32_t)j};
        pm_seg_push(s, g);
        i = j;
    }
}

/* Long chunks.  All occurrences of a pair appear at one moment (the pairs
 * of two bytes at the start; a pair containing id X while X is merged in),
 * and ranks are merged in increasing order, so each rank's occurrences form
 * one segment, sorted by slot: the merge takes the lowest-ranked segment
 * and walks it left to right, skipping slots that no longer hold its pair,
 * exactly as the scan replaces a pair's occurrences left to right.  New
 * occurrences (at most two per merge, so ev never exceeds 3n entries)
 * become the segments of their ranks.  Sequential walks, no per-occurrence
 * heap: this is what makes a 10 MB BasicTokenizer chunk fast. */
static size_t pm_segment_merge(const spbpe_pair_merges *m, int32_t *ids, size_t n, pm_scratch *s) {
    s->nev = 0;
    s->nsegs = 0;
    for (size_t i = 0; i < n; i++) {
        s->next[i] = i + 1 < n ? (uint32_t)(i + 1) : PM_NONE;
        s->prev[i] = i ? (uint32_t)(i - 1) : PM_NONE;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        int32_t r = pm_rank(m, (uint32_t)ids[i], (uint32_t)ids[i + 1]);
        if (r >= 0) s->ev[s->nev++] = (pm_entry){r, (uint32_t)i};
    }
    pm_add_segments(s, 0);
    while (s->nsegs) {
        pm_seg g = pm_seg_pop(s);
        size_t from = s->nev;
        for (uint32_t e = g.start; e < g.end; e++) {
            uint32_t i = s->ev[e].slot, j = s->next[i];
            if (ids[i] < 0 || j == PM_NONE || pm_rank(m, (uint32_t)ids[i], (uint32_t)ids[j]) != g.rank) continue;
            ids[i] = g.rank;
            ids[j] = -1;
            uint32_t k = s->next[j];
            s->next[i] = k;
            if (k != PM_NONE) s->prev[k] = i;
            uint32_t p = s->prev[i];
            int32_t r;
            if (p != PM_NONE && (r = pm_rank(m, (uint32_t)ids[p], (uint32_t)ids[i])) >= 0)
                s->ev[s->nev++] = (pm_entry){r, p};
            if (k != PM_NONE && (r = pm_rank(m, (uint32_t)ids[i], (uint32_t)ids[k])) >= 0)
                s->ev[s->nev++] = (pm_entry){r, i};
        }
        pm_add_segments(s, from);
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (ids[i] >= 0) ids[o++] = ids[i];
    return o;
}

/* The one place that picks the strategy: the scan for short chunks (and
 * always on the reference path), the segments for long ones. */
static size_t pm_encode_chunk(const spbpe_pair_merges *m, int32_t *ids, size_t n, pm_scratch *s, int reference) {
    if (reference || n <= PM_SCAN_MAX) return pm_scan(m, ids, n);
    return pm_segment_merge(m, ids, n, s);
}

SP_API int64_t spbpe_pair_merges_encode(const spbpe_pair_merges *m, const uint8_t *blob, const size_t *starts,
                                        size_t count, int reference_path, int32_t *dst, size_t cap,
                                        spbpe_error *err) {
    sp_clear_error(err);
    if (!m || !starts || (count && !dst && cap))
        return -sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "pair merges encode: NULL argument");
    size_t longest = 0;
    for (size_t c = 0; c < count; c++) {
        if (starts[c + 1] < starts[c])
            return -sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, c, "chunk starts decrease at chunk %zu", c);
        size_t len = starts[c + 1] - starts[c];
        if (len > longest) longest = len;
    }
    size_t total = count ? starts[count] - starts[0] : 0;
    if (total && !blob) return -sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "pair merges encode: NULL text");
    if (total > SP_MAX_INPUT)
        return -sp_fail(err, SPBPE_ERR_LIMIT, 0, "pair merges encode: %zu bytes (at most %zu)", total,
                        (size_t)SP_MAX_INPUT);
    if (cap < total)
        return -sp_fail(err, SPBPE_ERR_LIMIT, 0, "pair merges encode: room for %zu ids, %zu may be needed", cap,
                        total);
    pm_scratch s = {NULL, NULL, NULL, 0, NULL, 0};
    if (longest > PM_SCAN_MAX && !reference_path) {
        s.next = malloc(longest * 4);
        s.prev = malloc(longest * 4);
        s.ev = malloc(longest * 3 * sizeof *s.ev);
        s.segs = malloc(longest * 3 * sizeof *s.segs);
        if (!s.next || !s.prev || !s.ev || !s.segs) {
            free(s.next);
            free(s.prev);
            free(s.ev);
            free(s.segs);
            return -sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory in pair merges encode");
        }
    }
    size_t out = 0;
    for (size_t c = 0; c < count; c++) {
        const uint8_t *p = blob + starts[c];
        size_t n = starts[c + 1] - starts[c];
        int32_t *ids = dst + out;
        for (size_t i = 0; i < n; i++) ids[i] = m->byte_map[p[i]];
        out += pm_encode_chunk(m, ids, n, &s, reference_path);
    }
    free(s.next);
    free(s.prev);
    free(s.ev);
    free(s.segs);
    return (int64_t)out;
}

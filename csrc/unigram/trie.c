/*
 * trie.c - the unigram model's piece trie (a double array) and load-time
 * constants.
 *
 * sentencepiece (unigram_model.cc BuildTrie) keeps the normal-map pieces
 * (NORMAL, USER_DEFINED, UNUSED) in a darts double array and walks it byte
 * by byte from each character; so does this one.  Node p's child by byte c
 * is unit base(p) + c when that unit's check is p.  Every base + 255 is
 * inside the array (a leaf's base is 0: units 0..255 are checked by the
 * root's children or free, never by a leaf), so a step is two loads and a
 * compare, with no range test.  Each unit holds base, check, the id of the
 * NORMAL or USER_DEFINED piece ending there (UNUSED ones read as -1: every
 * walk skips them) and the score that piece adds in the Viterbi encode,
 * side by side in 16 bytes: one step reads one cache line.
 *
 * The builder (sp_da_build) takes any labels below an alphabet size:
 * bytes here, character ids for the character trie (chars.c), where every
 * base + alphabet - 1 is inside the array in the same way.
 *
 * Build (once, at load): the keys sorted by labels, then depth first
 * each node's children are placed at the first base whose slots are all
 * free, found along a list of free units.  A free unit skipped by many
 * searches (low indices no base can reach, holes between dense blocks)
 * leaves the list, which bounds the build at O(units * 32 + children).
 * The array is immutable afterwards, so threads share it.
 *
 * min/max scores are over NORMAL pieces only, starting from FLT_MAX and
 * FLT_MIN as sentencepiece's do.  The word cut (sp_uni_cut) is decided here
 * from the pieces, see unigram.h.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "unigram/unigram.h"

#define LEAF_BASE 0        /* a leaf's children would be units 0..alphabet-1, whose check never names a leaf */
#define SKIP_LIMIT 32      /* a free unit skipped this often leaves the free list */

typedef struct da_builder {
    sp_da_unit *units;
    size_t size;             /* units allocated (all initialized) */
    int32_t *next, *prev;    /* free list over units with check == -1; -1 ends */
    uint8_t *skips;
    int32_t head;
} da_builder;

static void unlink_free(da_builder *b, int32_t i) {
    int32_t p = b->prev[i], n = b->next[i];
    if (p >= 0) b->next[p] = n; else b->head = n;
    if (n >= 0) b->prev[n] = p;
    b->next[i] = b->prev[i] = -1;
}

/* Grow to at least `need` units, the new ones free and appended to the list. */
static int grow(da_builder *b, size_t need) {
    if (need <= b->size) return 0;
    size_t size = b->size ? b->size : 1024;
    while (size < need) size *= 2;
    if (size > ((size_t)1 << 30)) return -1;
    sp_da_unit *u = realloc(b->units, size * sizeof *u);
    if (!u) return -1;
    b->units = u;
    int32_t *nx = realloc(b->next, size * sizeof *nx);
    if (!nx) return -1;
    b->next = nx;
    int32_t *pv = realloc(b->prev, size * sizeof *pv);
    if (!pv) return -1;
    b->prev = pv;
    uint8_t *sk = realloc(b->skips, size);
    if (!sk) return -1;
    b->skips = sk;
    int32_t tail = b->head;
    while (tail >= 0 && b->next[tail] >= 0) tail = b->next[tail];
    for (size_t i = b->size; i < size; i++) {
        u[i].base = LEAF_BASE;
        u[i].check = -1;
        u[i].value = -1;
        u[i].score = 0.0f;
        sk[i] = 0;
        pv[i] = tail;
        nx[i] = -1;
        if (tail >= 0) nx[tail] = (int32_t)i; else b->head = (int32_t)i;
        tail = (int32_t)i;
    }
    b->size = size;
    return 0;
}

static int is_free(const da_builder *b, size_t i) { return i >= b->size || b->units[i].check == -1; }

/* The first base >= 1 whose slots base + c[k] are all free. */
static int32_t find_base(da_builder *b, const uint32_t *c, size_t k) {
    for (int32_t i = b->head; i >= 0;) {
        int32_t next = b->next[i];
        int32_t base = i - (int32_t)c[0];
        int ok = base >= 1;
        for (size_t j = 1; ok && j < k; j++) ok = is_free(b, (size_t)base + c[j]);
        if (ok) return base;
        if (++b->skips[i] >= SKIP_LIMIT) unlink_free(b, i);
        i = next;
    }
    return (int32_t)b->size; /* past the end: every slot free once grown */
}

static int by_labels(const void *pa, const void *pb) {
    const sp_da_key *a = pa, *b = pb;
    uint32_t n = a->len < b->len ? a->len : b->len;
    for (uint32_t i = 0; i < n; i++)
        if (a->p[i] != b->p[i]) return a->p[i] < b->p[i] ? -1 : 1;
    return (a->len > b->len) - (a->len < b->len);
}

/* One node still to place: keys[lo, hi) share its depth-label prefix. */
typedef struct da_todo {
    int32_t node;
    uint32_t lo, hi, depth;
} da_todo;

int sp_da_build(sp_trie *t, const spbpe_model *m, sp_da_key *keys, size_t count, uint32_t alphabet,
                spbpe_error *err) {
    da_todo *todo = malloc((count + 1) * sizeof *todo); /* at most one pending node per key, plus the root */
    uint32_t *labels = malloc((size_t)alphabet * sizeof *labels);
    uint32_t *starts = malloc(((size_t)alphabet + 1) * sizeof *starts);
    da_builder b = {0};
    b.head = -1;
    int st = SPBPE_OK;
    if (!todo || !labels || !starts || alphabet > ((uint32_t)1 << 24) || grow(&b, (size_t)alphabet + 1024)) goto nomem;
    qsort(keys, count, sizeof *keys, by_labels);
    b.units[0].check = -2; /* the root: used, and no node's child */
    unlink_free(&b, 0);
    /* Depth first, so a piece's path lies close together; the pending
     * nodes hold disjoint non-empty key ranges, so at most count + 1. */
    size_t top = 0;
    todo[top++] = (da_todo){0, 0, (uint32_t)count, 0};
    while (top) {
        da_todo d = todo[--top];
        uint32_t lo = d.lo;
        if (lo < d.hi && keys[lo].len == d.depth) { /* sorted: the prefix first */
            int32_t id = keys[lo++].id;
            if (m->type[id] != SPBPE_PIECE_UNUSED) {
                b.units[d.node].value = id;
                b.units[d.node].score = m->type[id] == SPBPE_PIECE_USER_DEFINED
                                            ? sp_uni_udef_score(sp_piece_len(m, id)) /* by bytes */
                                            : m->score[id];
            }
        }
        size_t k = 0;
        for (uint32_t i = lo; i < d.hi; i++) {
            uint32_t c = keys[i].p[d.depth];
            if (k == 0 || labels[k - 1] != c) {
                labels[k] = c;
                starts[k++] = i;
            }
        }
        starts[k] = d.hi;
        if (k == 0) continue; /* a leaf keeps LEAF_BASE */
        int32_t base = find_base(&b, labels, k);
        if (grow(&b, (size_t)base + alphabet)) goto nomem;
        b.units[d.node].base = base;
        for (size_t j = 0; j < k; j++) {
            int32_t child = base + (int32_t)labels[j];
            unlink_free(&b, child);
            b.units[child].check = d.node;
            todo[top++] = (da_todo){child, starts[j], starts[j + 1], d.depth + 1};
        }
    }
    t->units = b.units;
    t->size = b.size;
    b.units = NULL;
    goto out;
nomem:
    st = sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory building the trie");
out:
    free(b.units);
    free(b.next);
    free(b.prev);
    free(b.skips);
    free(todo);
    free(labels);
    free(starts);
    return st;
}

/* The byte trie: every normal-map piece, by its bytes (UNUSED ones too, as
 * sentencepiece's, though they hold no value). */
static int byte_trie(sp_trie *t, const spbpe_model *m, spbpe_error *err) {
    size_t count = 0, total = 0;
    for (int32_t id = 0; id < m->piece_count; id++) {
        size_t len = sp_piece_len(m, id);
        if (!sp_in_normal_map(m->type[id]) || len == 0) continue;
        if (len > 0xFFFFFFu)
            return sp_fail(err, SPBPE_ERR_LIMIT, 0, "unigram piece %d too long (%zu bytes)", (int)id, len);
        count++;
        total += len;
    }
    sp_da_key *keys = malloc((count ? count : 1) * sizeof *keys);
    uint32_t *labels = malloc((total ? total : 1) * sizeof *labels);
    int st;
    if (!keys || !labels) {
        st = sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory building the trie");
    } else {
        count = total = 0;
        for (int32_t id = 0; id < m->piece_count; id++) {
            size_t len = sp_piece_len(m, id);
            if (!sp_in_normal_map(m->type[id]) || len == 0) continue;
            const uint8_t *p = sp_piece_ptr(m, id);
            for (size_t i = 0; i < len; i++) labels[total + i] = p[i];
            keys[count++] = (sp_da_key){labels + total, (uint32_t)len, id};
            total += len;
        }
        st = sp_da_build(t, m, keys, count, 256, err);
    }
    free(keys);
    free(labels);
    return st;
}

/* Where U+2581 sits inside the normal-map pieces decides the word cut: a
 * piece spanning the point before a U+2581 holds it at an offset > 0, one
 * spanning the point after it holds it with bytes following. */
static int word_cut(const spbpe_model *m) {
    int before = 1, after = 1;
    for (int32_t id = 0; id < m->piece_count && (before || after); id++) {
        if (m->type[id] != SPBPE_PIECE_NORMAL && m->type[id] != SPBPE_PIECE_USER_DEFINED) continue; /* UNUSED never match */
        const uint8_t *p = sp_piece_ptr(m, id);
        size_t n = sp_piece_len(m, id);
        for (size_t i = 0; i + 3 <= n; i++) {
            if (!sp_is_space_symbol(p + i)) continue;
            if (i > 0) before = 0;
            if (i + 3 < n) after = 0;
        }
    }
    return before ? SP_UNI_CUT_BEFORE : after ? SP_UNI_CUT_AFTER : SP_UNI_CUT_NONE;
}

sp_unigram *sp_unigram_new(const spbpe_model *m, spbpe_error *err) {
    sp_unigram *u = calloc(1, sizeof *u);
    if (!u) {
        sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
        return NULL;
    }
    u->min_score = FLT_MAX;
    u->max_score = FLT_MIN;
    int any = 0;
    for (int32_t id = 0; id < m->piece_count; id++) {
        if (sp_in_normal_map(m->type[id])) {
            any = 1;
            size_t len = sp_piece_len(m, id);
            u->max_piece_len = len > u->max_piece_len ? len : u->max_piece_len;
        }
        if (m->type[id] != SPBPE_PIECE_NORMAL) continue;
        float s = m->score[id];
        u->min_score = s < u->min_score ? s : u->min_score;
        u->max_score = s > u->max_score ? s : u->max_score;
    }
    u->unk_score = u->min_score - 10.0f;
    if (!any) {
        sp_fail(err, SPBPE_ERR_MODEL_FORMAT, 0, "no pieces are loaded.");
        sp_unigram_free(u);
        return NULL;
    }
    /* The largest |score| a Viterbi step can add (sp_uni_cache_bound). */
    double bound = fabs((double)u->unk_score);
    for (int32_t id = 0; id < m->piece_count; id++) {
        double s = m->type[id] == SPBPE_PIECE_NORMAL         ? fabs((double)m->score[id])
                   : m->type[id] == SPBPE_PIECE_USER_DEFINED ? fabs((double)sp_uni_udef_score(sp_piece_len(m, id)))
                                                             : 0.0;
        bound = s > bound ? s : bound;
    }
    u->score_bound = bound;
    /* Cutting into words needs finite, moderate scores: then float sums
     * stay finite and the cache's error bound holds (encode.c). */
    u->cut = isfinite(bound) && bound < 1e6 ? word_cut(m) : SP_UNI_CUT_NONE;
    if (byte_trie(&u->trie, m, err) || sp_uchars_build(u, m, err)) {
        sp_unigram_free(u);
        return NULL;
    }
    return u;
}

void sp_unigram_free(sp_unigram *u) {
    if (!u) return;
    free(u->trie.units);
    sp_uchars_release(u);
    free(u);
}

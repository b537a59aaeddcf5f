/*
 * trie.c - the unigram model's piece trie and load-time constants.
 *
 * sentencepiece (unigram_model.cc BuildTrie) keeps the normal-map pieces
 * (NORMAL, USER_DEFINED, UNUSED) in a double array and walks it byte by
 * byte from each character; this trie answers the same walk: the root's
 * children sit in a 256-entry table, every deeper edge in one open-
 * addressing table keyed by (parent, byte), and a leaf flag stops the walk
 * without probing.  Node ids are assigned in insertion order; a node's
 * value is the id of the piece spelled by the path to it, or -1.
 * min/max scores are over NORMAL pieces only, starting from FLT_MAX and
 * FLT_MIN as sentencepiece's do.
 */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "unigram/unigram.h"

static int edge_insert(sp_trie *t, uint32_t parent, uint8_t b, uint32_t *child, int create) {
    if (parent == 0) {
        if (!t->root[b] && create) t->root[b] = t->node_count++;
        *child = t->root[b];
        return 0;
    }
    uint32_t key = (parent << 8 | b) + 1;
    size_t i = ((size_t)key * 0x9E3779B1u) & t->mask;
    for (;; i = (i + 1) & t->mask) {
        if (t->edges[i].key == key) {
            *child = t->edges[i].child;
            return 0;
        }
        if (!t->edges[i].key) break;
    }
    t->edges[i].key = key;
    t->edges[i].child = t->node_count++;
    *child = t->edges[i].child;
    return 0;
}

static int trie_build(sp_trie *t, const spbpe_model *m, spbpe_error *err) {
    size_t total = 1;
    for (int32_t id = 0; id < m->piece_count; id++)
        if (sp_in_normal_map(m->type[id])) total += sp_piece_len(m, id);
    if (total >= ((size_t)1 << 23))
        return sp_fail(err, SPBPE_ERR_LIMIT, 0, "unigram vocabulary too large (%zu bytes of pieces)", total);
    size_t size = 16;
    while (size < 2 * total) size *= 2;
    t->edges = calloc(size, sizeof *t->edges);
    t->value = malloc(total * sizeof *t->value);
    t->leaf = malloc(total);
    if (!t->edges || !t->value || !t->leaf) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory building the trie");
    t->mask = size - 1;
    t->node_count = 1;
    memset(t->value, 0xFF, total * sizeof *t->value);
    memset(t->leaf, 1, total);
    for (int32_t id = 0; id < m->piece_count; id++) {
        if (!sp_in_normal_map(m->type[id])) continue;
        const uint8_t *p = sp_piece_ptr(m, id);
        size_t n = sp_piece_len(m, id);
        uint32_t node = 0;
        for (size_t k = 0; k < n; k++) {
            uint32_t child;
            t->leaf[node] = 0;
            edge_insert(t, node, p[k], &child, 1);
            node = child;
        }
        t->value[node] = id; /* strings are unique across the vocabulary */
    }
    return SPBPE_OK;
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
        if (sp_in_normal_map(m->type[id])) any = 1;
        if (m->type[id] != SPBPE_PIECE_NORMAL) continue;
        float s = m->score[id];
        u->min_score = s < u->min_score ? s : u->min_score;
        u->max_score = s > u->max_score ? s : u->max_score;
    }
    u->unk_score = u->min_score - 10.0f;
    /* The source reads length * max_score - 0.1 for a USER_DEFINED piece, but
     * the 0.2.3 wheel scores one of n characters as 0.1 n - 0.1 whatever the
     * NORMAL scores are (measured on mutated botchan models with maxima -2.9,
     * 0.5 and 2.0; tests/test_unigram_parity.py checks n-best scores). */
    u->udef_unit = 0.1f;
    if (!any) {
        sp_fail(err, SPBPE_ERR_MODEL_FORMAT, 0, "no pieces are loaded.");
        sp_unigram_free(u);
        return NULL;
    }
    if (trie_build(&u->trie, m, err)) {
        sp_unigram_free(u);
        return NULL;
    }
    return u;
}

void sp_unigram_free(sp_unigram *u) {
    if (!u) return;
    free(u->trie.edges);
    free(u->trie.value);
    free(u->trie.leaf);
    free(u);
}

/*
 * charsmap.c - sentencepiece's precompiled_charsmap: a darts-clone double
 * array trie over UTF-8 keys whose values are offsets into a pool of
 * NUL-terminated replacement strings.
 *
 * Blob layout: uint32 LE trie byte size T | T bytes of uint32 LE units |
 * string pool.  Loading validates the array as sentencepiece 0.2.3 does
 * (children inside the array, values inside the pool), and every read is
 * bounds-checked anyway: a unit index outside the array ends the search,
 * and a pool offset outside the pool is an empty replacement.
 */
#include <stdlib.h>
#include <string.h>

#include "model/normalizer.h"

static uint32_t read_le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* sentencepiece 0.2.3 loads a charsmap only if its double array passes
 * darts-clone's validate(pool size): the root is a plain node with a
 * non-zero offset, every node's children lie inside the array, and every
 * leaf value is an offset inside the pool.  Same rule, same answer. */
static int trie_is_valid(const uint32_t *u, size_t count, size_t pool_len) {
    if (count == 0 || sp_darts_label(u[0]) != 0 || sp_darts_has_leaf(u[0]) || sp_darts_offset(u[0]) == 0 ||
        (sp_darts_offset(u[0]) | 0xFF) >= count)
        return 0;
    for (size_t i = 1; i < count; i++) {
        if (sp_darts_label(u[i]) <= 0xFF) {
            if ((((uint32_t)i ^ sp_darts_offset(u[i])) | 0xFF) >= count) return 0;
        } else if (sp_darts_value(u[i]) >= pool_len) {
            return 0;
        }
    }
    return 1;
}

int sp_charsmap_init(sp_charsmap *cm, const uint8_t *blob, size_t len, spbpe_error *err) {
    memset(cm, 0, sizeof *cm);
    if (len <= 4) return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, 0, "Blob for normalization rule is broken.");
    uint32_t trie_size = read_le32(blob);
    /* sentencepiece 0.2.3 measures the trie against the bytes after the
     * header, and darts-clone arrays come in blocks of 256 units. */
    if (trie_size >= len - 4)
        return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, 0, "Trie data size exceeds the input blob size.");
    if (trie_size == 0 || trie_size % 1024 != 0)
        return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, 0, "Trie data size is not divisible by 1024.");
    size_t units = trie_size / 4;
    uint32_t *u = malloc(units * sizeof *u + (len - 4 - trie_size) + 1);
    if (!u) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory loading the charsmap");
    for (size_t i = 0; i < units; i++) u[i] = read_le32(blob + 4 + 4 * i);
    /* The pool lives right after the units in the same allocation, with a
     * NUL appended so the last string is always terminated. */
    uint8_t *pool = (uint8_t *)(u + units);
    size_t pool_len = len - 4 - trie_size;
    memcpy(pool, blob + 4 + trie_size, pool_len);
    pool[pool_len] = 0;
    cm->owned_units = u;
    cm->units = u;
    cm->unit_count = units;
    cm->pool = pool;
    cm->pool_len = pool_len;
    /* The pool must end with a NUL (sentencepiece 0.2.3's message). */
    if (pool_len == 0 || pool[pool_len - 1] != 0) {
        sp_charsmap_release(cm);
        return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, 4 + trie_size, "normalized block must be null terminated.");
    }
    if (!trie_is_valid(u, units, pool_len)) {
        sp_charsmap_release(cm);
        return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, 0, "precompiled_charsmap is invalid.");
    }
    return SPBPE_OK;
}

void sp_charsmap_release(sp_charsmap *cm) {
    free(cm->owned_units);
    memset(cm, 0, sizeof *cm);
}

size_t sp_charsmap_walk(const sp_charsmap *cm, const uint8_t *s, size_t n, size_t *best_len, uint32_t *best_value,
                        size_t *node) {
    const uint32_t *units = cm->units;
    size_t count = cm->unit_count;
    size_t pos = sp_darts_offset(units[0]);
    size_t k = 0;
    *best_len = 0;
    *best_value = 0;
    for (; k < n; k++) {
        uint8_t c = s[k];
        pos ^= c;
        if (pos >= count) break;
        uint32_t u = units[pos];
        if (sp_darts_label(u) != c) break;
        pos ^= sp_darts_offset(u);
        if (sp_darts_has_leaf(u)) {
            if (pos >= count) break;
            *best_len = k + 1;
            *best_value = sp_darts_value(units[pos]);
        }
    }
    *node = pos;
    return k;
}

size_t sp_charsmap_longest(const sp_charsmap *cm, const uint8_t *s, size_t n,
                           const uint8_t **out, size_t *out_len) {
    size_t best_len, node;
    uint32_t best_value;
    sp_charsmap_walk(cm, s, n, &best_len, &best_value, &node);
    if (best_len) {
        if (best_value < cm->pool_len) {
            const uint8_t *r = cm->pool + best_value;
            *out = r;
            *out_len = strlen((const char *)r); /* pool is NUL-terminated past its end */
        } else {
            *out = cm->pool + cm->pool_len;
            *out_len = 0;
        }
    }
    return best_len;
}

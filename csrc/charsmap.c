/*
 * charsmap.c - sentencepiece's precompiled_charsmap: a darts-clone double
 * array trie over UTF-8 keys whose values are offsets into a pool of
 * NUL-terminated replacement strings.
 *
 * Blob layout: uint32 LE trie byte size T | T bytes of uint32 LE units |
 * string pool.  Loading refuses a blob whose units point outside the array
 * or the pool (as sentencepiece 0.2.3 does), and every read is still
 * bounds-checked: a unit index outside the array ends the search, and a
 * pool offset outside the pool is an empty replacement, so a hostile blob
 * cannot make us read outside it.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static uint32_t read_le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
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
    /* Refuse blobs that point outside themselves, as sentencepiece 0.2.3
     * does: the pool must end with a NUL, every value unit must point into
     * the pool and every other unit's children must start inside the array.
     * (Lookups are bounds-checked anyway; this makes the error loud.) */
    if (pool_len == 0 || pool[pool_len - 1] != 0) {
        sp_charsmap_release(cm);
        return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, 4 + trie_size, "normalized block must be null terminated.");
    }
    for (size_t i = 0; i < units; i++) {
        uint32_t v = u[i];
        int bad = (v >> 31) ? (v & 0x7FFFFFFFu) >= pool_len
                            : (i ^ (size_t)((v >> 10) << ((v & 0x200) >> 6))) >= units;
        if (bad) {
            sp_charsmap_release(cm);
            return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, 4 + 4 * i, "precompiled_charsmap is invalid.");
        }
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

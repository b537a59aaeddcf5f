/*
 * chars.c - the character trie of the unigram Viterbi encode: the NORMAL
 * and USER_DEFINED pieces as sequences of character ids, in a double array
 * built by sp_da_build (trie.c), and the tables giving each character of
 * the text its id.
 *
 * A "character" is what EncodeOptimized steps by: OneCharLen bytes from a
 * lead byte, clipped at the end of the text.  A piece is cut the same way
 * (clipped at its own end).  A piece matching the text from a character
 * start and ending on a character boundary is cut into the very
 * characters of the text there, so the walk by ids finds exactly the
 * pieces the byte walk finds ending on a boundary; a piece ending inside a
 * character of the text ends with a clipped character the text does not
 * hold there, and is not found, where the byte walk's offer to the middle
 * of a character is never read either.  UNUSED pieces hold no value and
 * are left out.
 *
 * Ids: 1..count in order of first appearance in the pieces; 0 for every
 * character no piece holds (no node has a child by 0).  One-byte
 * characters read a 256 table, well-formed-looking two-byte ones (lead
 * C0..DF, a trail byte) a 2048 table, three-byte ones (lead E0..EF, two
 * trail bytes) a block of 64 ids chosen by the first two bytes, and the
 * rest (four bytes, clipped or with stray bytes) a small hash table.
 * Everything is built once at load and only read after.
 */
#include <stdlib.h>
#include <string.h>

#include "unigram/unigram.h"

static uint64_t other_key(const uint8_t *p, size_t len) {
    uint64_t k = (uint64_t)len << 32;
    for (size_t i = 0; i < len; i++) k |= (uint64_t)p[i] << (8 * i);
    return k;
}

static size_t other_slot(uint64_t key, size_t mask) {
    return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 32) & mask;
}

uint32_t sp_uchar_other(const sp_uchars *c, const uint8_t *p, size_t len) {
    if (!c->other_key) return 0;
    uint64_t key = other_key(p, len);
    for (size_t i = other_slot(key, c->other_mask);; i = (i + 1) & c->other_mask) {
        if (c->other_key[i] == key) return c->other_id[i];
        if (c->other_key[i] == 0) return 0;
    }
}

/* The id slot of character p[0..len) in the tables, growing the blocks or
 * the hash as needed; NULL when out of memory. */
typedef struct uchar_builder {
    sp_uchars *c;
    size_t blocks_len, blocks_cap;   /* in ids */
    size_t other_len;
} uchar_builder;

static uint32_t *other_insert(sp_uchars *c, uint64_t key) {
    size_t i = other_slot(key, c->other_mask);
    while (c->other_key[i] != 0 && c->other_key[i] != key) i = (i + 1) & c->other_mask;
    c->other_key[i] = key;
    return &c->other_id[i];
}

static int other_grow(uchar_builder *b) {
    sp_uchars *c = b->c;
    size_t slots = c->other_key ? c->other_mask + 1 : 0;
    if (2 * (b->other_len + 1) <= slots) return 0;
    size_t ns = slots ? 2 * slots : 64;
    uint64_t *keys = calloc(ns, sizeof *keys);
    uint32_t *ids = calloc(ns, sizeof *ids);
    if (!keys || !ids) {
        free(keys);
        free(ids);
        return -1;
    }
    uint64_t *ok = c->other_key;
    uint32_t *oi = c->other_id;
    c->other_key = keys;
    c->other_id = ids;
    c->other_mask = ns - 1;
    for (size_t i = 0; i < slots; i++)
        if (ok[i]) *other_insert(c, ok[i]) = oi[i];
    free(ok);
    free(oi);
    return 0;
}

static uint32_t *id_slot(uchar_builder *b, const uint8_t *p, size_t len) {
    sp_uchars *c = b->c;
    uint8_t b0 = p[0];
    if (len == 1) return &c->one[b0];
    if (len == 3 && b0 < 0xF0 && sp_is_trail(p[1]) && sp_is_trail(p[2])) {
        uint32_t *at = &c->three[(b0 & 0x0F) << 6 | (p[1] & 0x3F)];
        if (*at == 0) {
            if (sp_reserve((void **)&c->blocks, &b->blocks_cap, b->blocks_len + 64, sizeof *c->blocks)) return NULL;
            memset(c->blocks + b->blocks_len, 0, 64 * sizeof *c->blocks);
            *at = (uint32_t)b->blocks_len;
            b->blocks_len += 64;
        }
        return &c->blocks[*at + (p[2] & 0x3F)];
    }
    if (len == 2 && b0 < 0xE0 && sp_is_trail(p[1])) return &c->two[(b0 - 0xC0) << 6 | (p[1] & 0x3F)];
    uint64_t key = other_key(p, len);
    if (c->other_key) {
        uint32_t id = sp_uchar_other(c, p, len);
        if (id) return other_insert(c, key); /* present: its slot */
    }
    if (other_grow(b)) return NULL;
    b->other_len++;
    return other_insert(c, key);
}

int sp_uchars_build(sp_unigram *u, const spbpe_model *m, spbpe_error *err) {
    sp_uchars *c = &u->chars;
    uchar_builder b = {c, 0, 0, 0};
    size_t count = 0, total = 0;
    for (int32_t id = 0; id < m->piece_count; id++) {
        int type = m->type[id];
        if ((type != SPBPE_PIECE_NORMAL && type != SPBPE_PIECE_USER_DEFINED) || sp_piece_len(m, id) == 0) continue;
        count++;
        total += sp_piece_len(m, id); /* at least one byte per character */
    }
    sp_da_key *keys = malloc((count ? count : 1) * sizeof *keys);
    uint32_t *labels = malloc((total ? total : 1) * sizeof *labels);
    /* block 0: the all-zero block every unused three[] entry points at */
    if (!keys || !labels || sp_reserve((void **)&c->blocks, &b.blocks_cap, 64, sizeof *c->blocks)) goto nomem;
    memset(c->blocks, 0, 64 * sizeof *c->blocks);
    b.blocks_len = 64;
    count = total = 0;
    for (int32_t id = 0; id < m->piece_count; id++) {
        int type = m->type[id];
        size_t len = sp_piece_len(m, id);
        if ((type != SPBPE_PIECE_NORMAL && type != SPBPE_PIECE_USER_DEFINED) || len == 0) continue;
        const uint8_t *p = sp_piece_ptr(m, id);
        uint32_t chars = 0;
        for (size_t i = 0; i < len;) {
            size_t l = sp_utf8_char_len(p + i, len - i);
            uint32_t *slot = id_slot(&b, p + i, l);
            if (!slot) goto nomem;
            if (*slot == 0) *slot = ++c->count;
            labels[total + chars++] = *slot;
            i += l;
        }
        keys[count++] = (sp_da_key){labels + total, chars, id};
        total += chars;
    }
    int st = sp_da_build(&c->trie, m, keys, count, c->count + 1, err);
    free(keys);
    free(labels);
    return st;
nomem:
    free(keys);
    free(labels);
    return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory building the character trie");
}

void sp_uchars_release(sp_unigram *u) {
    sp_uchars *c = &u->chars;
    free(c->trie.units);
    free(c->blocks);
    free(c->other_key);
    free(c->other_id);
    memset(c, 0, sizeof *c);
}

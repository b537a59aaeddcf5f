/*
 * model/model.h - the loaded model and its lookups, shared by the model
 * loader, the encoder, the decoder and batching.  Everything in it is
 * written once by spbpe_model_new and only read afterwards, which is what
 * makes a model safe to share between threads.  The encoder's own types
 * (workspace, symbols, heap, caches) are in encode/encode.h.
 */
#ifndef SPBPE_MODEL_H
#define SPBPE_MODEL_H

#include <string.h>

#include "common/internal.h"
#include "model/normalizer.h"

/* ---------------------------------------------------------- string table */

/* Open-addressing hash table from byte strings (stored elsewhere) to ids. */
typedef struct sp_strslot {
    uint32_t hash;           /* low 32 bits of the key hash */
    int32_t id;              /* -1 when empty */
} sp_strslot;

typedef struct sp_strtab {
    sp_strslot *slots;       /* hash and id side by side: one cache line per probe */
    size_t mask;
} sp_strtab;

/* Bits of the character-pair filter (char_pairs.c): a one-hash Bloom
 * filter in front of the exact table, small enough to stay in cache. */
#define SP_PAIR_FILTER_BITS (1u << 20)

/* Adjacent well-formed characters inside normal-map pieces (char_pairs.c). */
typedef struct sp_char_pairs {
    uint64_t *slots;         /* sp_char_pair_key values, 0 = empty; NULL if not built */
    size_t mask;
    uint64_t *filter;        /* SP_PAIR_FILTER_BITS bits: clear means the pair never occurs */
} sp_char_pairs;

static inline uint64_t sp_char_pair_key(uint32_t a, uint32_t b) { return ((uint64_t)a << 21 | b) + 1; }
/* The hash of a pair key: bits 20+ pick the table slot, the top 20 the filter bit. */
static inline uint64_t sp_char_pair_hash(uint64_t key) { return key * 0x9E3779B97F4A7C15ULL; }

int sp_char_pairs_join_slow(const sp_char_pairs *cp, uint64_t key);
/* Does some normal-map piece hold character a right before character b? */
static inline int sp_char_pairs_join(const sp_char_pairs *cp, uint32_t a, uint32_t b) {
    uint64_t key = sp_char_pair_key(a, b);
    uint32_t bit = (uint32_t)(sp_char_pair_hash(key) >> 44);
    if (!((cp->filter[bit >> 6] >> (bit & 63)) & 1)) return 0;
    return sp_char_pairs_join_slow(cp, key);
}

struct spbpe_model;
/* One pass over every piece's characters: sets m->closed_chars, and builds
 * m->char_pairs when want_pairs. */
int sp_scan_piece_chars(struct spbpe_model *m, int want_pairs, spbpe_error *err);
void sp_char_pairs_release(sp_char_pairs *cp);

struct spbpe_model {
    int32_t piece_count;
    uint8_t *arena;          /* every piece string back to back */
    uint32_t *piece_off;     /* piece i is arena[piece_off[i] .. piece_off[i+1]) */
    uint8_t *text_arena;     /* every piece as decode prints it: U+2581 -> ' ' */
    uint32_t *text_off;      /* piece i prints text_arena[text_off[i] .. text_off[i+1]) */
    uint64_t *print_desc;    /* per piece: SP_PRINT_* fields below, one read per decoded id */
    size_t max_print_len;    /* longest output of one id (3 for a byte, unk_surface), >= 3 */
    float *score;
    uint32_t *merge_key;     /* sp_merge_key(score): the larger key merges first */
    uint8_t *type;
    int16_t *byte_value;     /* BYTE pieces: their byte; else -1 */
    int32_t byte_id[256];    /* id of <0xXX>, or -1 */

    sp_strtab all;           /* every piece string -> id (strings are unique) */
    int closed_chars;        /* every character of every normal-map piece is one itself */
    int32_t ascii_id[128];   /* normal-map id of each ASCII char, or -1 */
    int32_t *bmp_id;         /* normal-map id of each 2- or 3-byte char by code point, or -1 */
    int fast_words;          /* encode may split at U+2581 runs and cache segments */
    sp_char_pairs char_pairs; /* built when fast_words: where long segments may be cut */
    uint64_t generation;     /* unique per loaded model, >= 1: keys the per-thread caches */

    int32_t unk_index;       /* the UNKNOWN piece, -1 if none (internal unk_id_) */
    spbpe_model_info info;

    sp_normalizer normalizer;
    sp_normalizer denormalizer;

    /* user-defined symbols: quick filters before hashing */
    uint8_t udef_first[32];  /* bitset of first bytes */
    size_t udef_max_len;

    uint8_t *unk_surface;
    size_t unk_surface_len;
    struct sp_unigram *uni;  /* model_type 1: the piece trie and score bounds (unigram/trie.c); else NULL */
};

/* A print descriptor: text_arena offset (32 bits), printed length (24
 * bits, saturated: longer pieces read text_off), kind, and whether the
 * piece starts with U+2581 (the dummy prefix decode may drop). */
enum { SP_PRINT_TEXT = 0, SP_PRINT_BYTE = 1, SP_PRINT_UNKNOWN = 2, SP_PRINT_CONTROL = 3 };
#define SP_PRINT_LEN_MAX 0xFFFFFFu
#define SP_PRINT_OFFSET(d) ((size_t)((d) & 0xFFFFFFFFu))
#define SP_PRINT_LEN(d) ((size_t)(((d) >> 32) & SP_PRINT_LEN_MAX))
#define SP_PRINT_KIND(d) ((unsigned)(((d) >> 56) & 0x3))
#define SP_PRINT_LEAD_SPACE(d) ((unsigned)(((d) >> 58) & 0x1))

static inline const uint8_t *sp_piece_ptr(const spbpe_model *m, int32_t id) {
    return m->arena + m->piece_off[id];
}
static inline size_t sp_piece_len(const spbpe_model *m, int32_t id) {
    return m->piece_off[id + 1] - m->piece_off[id];
}
static inline int sp_in_normal_map(int type) {
    return type == SPBPE_PIECE_NORMAL || type == SPBPE_PIECE_USER_DEFINED || type == SPBPE_PIECE_UNUSED;
}

/* sp_lookup with the hash of s already known. */
static inline int32_t sp_lookup_hashed(const spbpe_model *m, const uint8_t *s, size_t n, uint64_t h) {
    uint32_t h32 = (uint32_t)h;
    for (size_t i = (size_t)(h >> 32) & m->all.mask;; i = (i + 1) & m->all.mask) {
        sp_strslot slot = m->all.slots[i];
        if (slot.id < 0) return -1;
        if (slot.hash == h32 && sp_piece_len(m, slot.id) == n && sp_bytes_equal(sp_piece_ptr(m, slot.id), s, n))
            return slot.id;
    }
}
/* Any-type lookup: the id of exactly these bytes or -1. */
static inline int32_t sp_lookup(const spbpe_model *m, const uint8_t *s, size_t n) {
    return sp_lookup_hashed(m, s, n, sp_hash_bytes(s, n));
}
/* Normal-map lookup (NORMAL, USER_DEFINED, UNUSED), else -1. */
static inline int32_t sp_lookup_normal(const spbpe_model *m, const uint8_t *s, size_t n) {
    int32_t id = sp_lookup(m, s, n);
    return (id >= 0 && sp_in_normal_map(m->type[id])) ? id : -1;
}
/* Normal-map id of the one character p[0..l), l = its OneCharLen.  The
 * table is authoritative for well-formed 1-3 byte characters (a piece with
 * the same bytes would be in it); anything else asks the hash. */
static inline int32_t sp_char_id(const spbpe_model *m, const uint8_t *p, size_t l) {
    if (l == 1 && p[0] < 128) return m->ascii_id[p[0]];
    if (l == 2 || l == 3) {
        uint32_t cp = sp_utf8_scalar(p, l);
        if (cp != SP_NOT_A_CHAR) return m->bmp_id[cp];
    }
    return sp_lookup_normal(m, p, l);
}

/* Longest user-defined piece that is a prefix of s[0..n), 0 if none. */
size_t sp_udef_match(const void *model, const uint8_t *s, size_t n);

/* sentencepiece's agenda compares a pair's score by its bits (bpe_model.cc
 * SymbolPairComparator): negative before non-negative, negative by reversed
 * and non-negative by plain integer order, so +0.0 outranks -0.0, a positive
 * NaN outranks +inf and a negative NaN ranks below -inf; only equal bits
 * tie.  This maps the bits to an unsigned key with that same order. */
static inline uint32_t sp_merge_key(float score) {
    uint32_t bits;
    memcpy(&bits, &score, sizeof bits);
    return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

#endif /* SPBPE_MODEL_H */

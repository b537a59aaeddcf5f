/*
 * model.h - the loaded model, shared by model.c, bpe_encode.c and
 * bpe_decode.c.  Everything in it is written once by spbpe_model_new and
 * only read afterwards, which is what makes a model safe to share.
 */
#ifndef SPBPE_MODEL_H
#define SPBPE_MODEL_H

#include <string.h>

#include "common/internal.h"

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
    uint8_t *type;
    int16_t *byte_value;     /* BYTE pieces: their byte; else -1 */
    int32_t byte_id[256];    /* id of <0xXX>, or -1 */

    sp_strtab all;           /* every piece string -> id (strings are unique) */
    int closed_chars;        /* every character of every normal-map piece is one itself */
    int32_t ascii_id[128];   /* normal-map id of each ASCII char, or -1 */
    int32_t *bmp_id;         /* normal-map id of each 2- or 3-byte char by code point, or -1 */
    int fast_words;          /* encode may split at U+2581 runs and cache segments */
    sp_char_pairs char_pairs; /* built when fast_words: where long segments may be cut */
    uint64_t content_hash;   /* hash of the model bytes: identifies it to word caches */

    int32_t unk_index;       /* the UNKNOWN piece, -1 if none (internal unk_id_) */
    spbpe_model_info info;

    sp_normalizer normalizer;
    sp_normalizer denormalizer;

    /* user-defined symbols: quick filters before hashing */
    uint8_t udef_first[32];  /* bitset of first bytes */
    size_t udef_max_len;

    uint8_t *unk_surface;
    size_t unk_surface_len;
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
    if (l == 2 && (p[1] & 0xC0) == 0x80) {
        uint32_t cp = ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
        if (cp >= 0x80) return m->bmp_id[cp];
    } else if (l == 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
        uint32_t cp = ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) return m->bmp_id[cp];
    }
    return sp_lookup_normal(m, p, l);
}

/* Longest user-defined piece that is a prefix of s[0..n), 0 if none. */
size_t sp_udef_match(const void *model, const uint8_t *s, size_t n);

/* ------------------------------------------------------------ word cache */

typedef struct sp_cache_slot {
    uint32_t hash;               /* high hash bits | 1; 0 = empty */
    uint32_t off;                /* arena offset: key bytes, padded to 4, then (length, id) pairs */
    uint16_t key_len;
    uint16_t tok_count;
    uint32_t reserved;
} sp_cache_slot;

/* The small first level: direct-mapped, one cache line per slot, holding
 * short segments and their tokens inline so a hit touches one line. */
#define SP_L1_SLOTS 16384
#define SP_L1_KEY 17
#define SP_L1_TOKENS 5

typedef struct sp_l1_slot {
    uint32_t hash;               /* high hash bits | 1; 0 = empty */
    uint8_t key_len, tok_count;
    uint8_t misses;              /* lookups of other segments since the last hit */
    uint8_t key[SP_L1_KEY];
    int32_t toks[2 * SP_L1_TOKENS]; /* (length, id) pairs */
} sp_l1_slot;

typedef struct sp_word_cache {
    uint64_t model_hash;         /* content hash of the model that filled it */
    sp_l1_slot *l1;              /* SP_L1_SLOTS, allocated with slots */
    sp_cache_slot *slots;        /* CACHE_SLOTS of them, allocated on first use */
    size_t count;
    uint8_t *arena;
    size_t arena_len, arena_cap;
    size_t misses_when_full;     /* segments not stored since it filled up */
} sp_word_cache;

#define SP_CACHE_SLOTS (1u << 18)

/* Segments longer than this are encoded without the cache. */
#define SP_CACHE_MAX_SEGMENT 128

void sp_cache_reset(sp_word_cache *c, uint64_t model_hash);
/* Hints that the segment with hash h is looked up soon, in two steps a few
 * segments apart: first its first-level slot and its slot in the table,
 * then (once that slot has arrived) its key and tokens in the arena, unless
 * the first level holds it. */
static inline void sp_cache_prefetch(const sp_word_cache *c, uint64_t h) {
#if defined(__GNUC__) || defined(__clang__)
    if (c->l1 && h) { /* h is 0 for a segment too long to cache */
        __builtin_prefetch(&c->l1[(h >> 20) & (SP_L1_SLOTS - 1)]);
        __builtin_prefetch(&c->slots[h & (SP_CACHE_SLOTS - 1)]);
    }
#else
    (void)c;
    (void)h;
#endif
}
static inline void sp_cache_prefetch_entry(const sp_word_cache *c, uint64_t h) {
#if defined(__GNUC__) || defined(__clang__)
    if (!c->l1 || !h) return;
    uint32_t h32 = (uint32_t)(h >> 32) | 1u;
    if (c->l1[(h >> 20) & (SP_L1_SLOTS - 1)].hash == h32) return;
    const sp_cache_slot *s = &c->slots[h & (SP_CACHE_SLOTS - 1)];
    if (s->hash == h32) __builtin_prefetch(c->arena + s->off);
#else
    (void)c;
    (void)h;
#endif
}
void sp_cache_release(sp_word_cache *c);
const int32_t *sp_cache_find(sp_word_cache *c, const uint8_t *key, size_t n, uint64_t h, size_t *count);
int sp_cache_put(sp_word_cache *c, const uint8_t *key, size_t n, uint64_t h, const int32_t *toks, size_t count);

/* Encodes the texts blob[starts[i] .. starts[i+1]), i < n, with ws, appending
 * their ids to *ids (*len of them, room for *cap, grown as needed) and
 * writing *len after text i to ends[i]: the loop shared by the batch and
 * the streamed batch (batch.c). */
int sp_encode_texts(const spbpe_model *m, const uint8_t *blob, const size_t *starts, size_t n, spbpe_workspace *ws,
                    int32_t **ids, size_t *len, size_t *cap, size_t *ends, spbpe_error *err);

/* ------------------------------------------------------------ pair memo */

/* Per workspace: which two neighbouring normal-map pieces merge, and into
 * what, learned from string lookups as encoding meets the pairs and kept
 * (pair_memo.c).  Slots pack the key ((left << 21 | right) + 1) above 22
 * bits of merged id + 1; 0 is empty.  Models of 2^21 pieces or more look
 * every pair up as a string. */
#define SP_MEMO_ID_LIMIT (1 << 21)
#define SP_MEMO_SLOTS (1u << 16)

typedef struct sp_pair_memo {
    uint64_t model_hash;         /* content hash of the model that filled it */
    uint64_t *slots;             /* SP_MEMO_SLOTS, allocated on first use */
    size_t count;
} sp_pair_memo;

/* The slot where the probe for a memo key starts (top 16 bits of its hash). */
static inline size_t sp_pair_memo_home(uint64_t key) { return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 48); }

/* Ready the memo for model m; -1 when out of memory. */
int sp_pair_memo_prepare(sp_pair_memo *memo, const spbpe_model *m);
void sp_pair_memo_release(sp_pair_memo *memo);
int32_t sp_pair_memo_learn(sp_pair_memo *memo, const spbpe_model *m, uint64_t key, size_t slot, const uint8_t *s,
                           size_t n);

/* Merged id of neighbouring pieces left and right (< SP_MEMO_ID_LIMIT),
 * whose bytes are s[0..n), or -1. */
static inline int32_t sp_pair_memo_merge(sp_pair_memo *memo, const spbpe_model *m, int32_t left, int32_t right,
                                         const uint8_t *s, size_t n) {
    uint64_t key = ((uint64_t)left << 21 | (uint64_t)right) + 1;
    for (size_t i = sp_pair_memo_home(key);; i = (i + 1) & (SP_MEMO_SLOTS - 1)) {
        uint64_t slot = memo->slots[i];
        if ((slot >> 22) == key) return (int32_t)(slot & 0x3FFFFF) - 1;
        if (!slot) return sp_pair_memo_learn(memo, m, key, i, s, n);
    }
}

/* ------------------------------------------------------------ workspace */

typedef struct sp_symbol {
    uint32_t start;          /* byte offset in the normalized text */
    uint32_t len;            /* 0 once merged into its left neighbour */
    int32_t prev, next;      /* neighbours, -1 at the ends */
    int32_t id;              /* normal-map id of the symbol's bytes, or -1 */
    int32_t frozen;          /* a user-defined match: never merges */
} sp_symbol;

typedef struct sp_agenda_item {
    float score;
    int32_t left, right;
    uint32_t size;
    int32_t merged;
} sp_agenda_item;

struct spbpe_workspace {
    sp_normbuf norm;
    sp_symbol *sym; size_t sym_cap;
    sp_agenda_item *heap; size_t heap_cap;
    int32_t *ids; size_t ids_cap;
    uint32_t *nb, *ne, *ob, *oe; size_t span_cap;
    int32_t *stack; size_t stack_cap;         /* resegmentation work stack */
    uint64_t *rev; size_t rev_cap;            /* UNUSED-piece splits: (id << 32) | left length */
    uint8_t *out; size_t out_len, out_cap;    /* decode output */
    sp_normbuf denorm;
    sp_word_cache cache;
    sp_pair_memo memo;
    int32_t *seg_toks; size_t seg_toks_cap;   /* one segment's (length, id) pairs */
    uint32_t *seg_starts; size_t seg_starts_cap; /* segment start offsets, then the end */
};

#endif /* SPBPE_MODEL_H */

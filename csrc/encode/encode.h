/*
 * encode/encode.h - the encoder's internal types: the per-thread workspace
 * (workspace.c) and what lives in it, the merge loop's symbols and heap
 * entries (bpe_encode.c), the word cache (word_cache.c) and the pair memo
 * (pair_memo.c).  Nothing here is shared between threads.
 */
#ifndef SPBPE_ENCODE_H
#define SPBPE_ENCODE_H

#include "model/model.h"

/* ------------------------------------------------------------ word cache */

typedef struct sp_cache_slot {
    uint32_t hash;               /* high hash bits | 1; 0 = empty */
    uint32_t off;                /* arena offset: key bytes, padded to 4, then (length, id) pairs */
    uint16_t key_len;
    uint16_t tok_count;
    uint32_t hash_low;           /* low hash bits: where the slot goes when the table grows */
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
    uint64_t generation;         /* of the model that filled it; 0 = none */
    sp_l1_slot *l1;              /* SP_L1_SLOTS, allocated with slots */
    sp_cache_slot *slots;        /* slots_mask + 1 of them (up to SP_CACHE_SLOTS), allocated on first use */
    size_t slots_mask;
    size_t count;
    uint8_t *arena;
    size_t arena_len, arena_cap;
    size_t misses_when_full;     /* segments not stored since it filled up */
} sp_word_cache;

/* Up to 2^19 slots (8 MiB), so up to 2^18 segments: 4 MB of multilingual
 * text after English has about 160k distinct byte-level chunks, and every
 * one the cache cannot take is merged again on every encode (half the
 * speed at 2^18).  The table starts at SP_CACHE_FIRST_SLOTS and grows as
 * it fills, so a workspace that meets a few thousand words does not zero
 * and keep 8 MiB. */
#define SP_CACHE_SLOTS (1u << 19)
#define SP_CACHE_FIRST_SLOTS (1u << 15)

void sp_cache_reset(sp_word_cache *c, uint64_t generation);
/* Hints that the segment with hash h is looked up soon, in two steps a few
 * segments apart: first its first-level slot and its slot in the table,
 * then (once that slot has arrived) its key and tokens in the arena, unless
 * the first level holds it. */
static inline void sp_cache_prefetch(const sp_word_cache *c, uint64_t h) {
#if defined(__GNUC__) || defined(__clang__)
    if (c->l1 && h) { /* h is 0 for a segment too long to cache */
        __builtin_prefetch(&c->l1[(h >> 20) & (SP_L1_SLOTS - 1)]);
        __builtin_prefetch(&c->slots[h & c->slots_mask]);
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
    const sp_cache_slot *s = &c->slots[h & c->slots_mask];
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
    uint64_t generation;         /* of the model that filled it; 0 = none */
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
    uint32_t key;            /* sp_merge_key of the merged piece's score */
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
    struct sp_uni_scratch *uni;               /* the unigram engine's scratch (unigram/lattice.c), or NULL */
};

/* Make room in ws for encoding n normalized bytes with model m (symbols,
 * heap, ids, spans, stacks, segment starts); -1 when out of memory. */
int sp_workspace_grow(spbpe_workspace *ws, const spbpe_model *m, size_t n);

#endif /* SPBPE_ENCODE_H */

/*
 * model.h - the loaded model, shared by model.c, bpe_encode.c and
 * bpe_decode.c.  Everything in it is written once by spbpe_model_new and
 * only read afterwards, which is what makes a model safe to share.
 */
#ifndef SPBPE_MODEL_H
#define SPBPE_MODEL_H

#include "internal.h"

/* Pieces longer than this are not in the integer pair table; merges that
 * would produce them fall back to a string lookup (same answer, slower). */
#define SP_PAIR_MAX_BYTES 256

typedef struct sp_pair_slot {
    uint64_t key;            /* (left id << 32) | right id; UINT64_MAX when empty */
    int32_t merged;          /* id of left+right in the normal map */
} sp_pair_slot;

struct spbpe_model {
    int32_t piece_count;
    uint8_t *arena;          /* every piece string back to back */
    uint32_t *piece_off;     /* piece i is arena[piece_off[i] .. piece_off[i+1]) */
    float *score;
    uint8_t *type;
    int16_t *byte_value;     /* BYTE pieces: their byte; else -1 */
    int32_t byte_id[256];    /* id of <0xXX>, or -1 */

    sp_strtab all;           /* every piece string -> id (strings are unique) */
    sp_pair_slot *pairs;     /* (left, right) -> merged, normal-map pieces only */
    size_t pair_mask;
    int32_t ascii_id[128];   /* normal-map id of each ASCII char, or -1 */

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

static inline const uint8_t *sp_piece_ptr(const spbpe_model *m, int32_t id) {
    return m->arena + m->piece_off[id];
}
static inline size_t sp_piece_len(const spbpe_model *m, int32_t id) {
    return m->piece_off[id + 1] - m->piece_off[id];
}
static inline int sp_in_normal_map(int type) {
    return type == SPBPE_PIECE_NORMAL || type == SPBPE_PIECE_USER_DEFINED || type == SPBPE_PIECE_UNUSED;
}

/* Any-type lookup: the id of exactly these bytes or -1. */
int32_t sp_lookup(const spbpe_model *m, const uint8_t *s, size_t n);
/* Normal-map lookup (NORMAL, USER_DEFINED, UNUSED), else -1. */
static inline int32_t sp_lookup_normal(const spbpe_model *m, const uint8_t *s, size_t n) {
    int32_t id = sp_lookup(m, s, n);
    return (id >= 0 && sp_in_normal_map(m->type[id])) ? id : -1;
}
/* Merged id of two normal-map pieces, or -1. */
int32_t sp_pair_lookup(const spbpe_model *m, int32_t left, int32_t right);
/* Longest user-defined piece that is a prefix of s[0..n), 0 if none. */
size_t sp_udef_match(const void *model, const uint8_t *s, size_t n);

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
};

#endif /* SPBPE_MODEL_H */

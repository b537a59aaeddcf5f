/*
 * bytelevel/bytelevel.h - the byte-level BPE engine's internal types: the
 * immutable rank table (rank_table.c), the byte merge (byte_merge.c), the
 * special-token scan (special_scan.c) and the encode loop (bl_encode.c).
 *
 * A rank table maps token bytes to ranks (tiktoken's mergeable_ranks) and
 * ranks back to bytes; special tokens live beside it, outside the merges.
 * Everything in it is written once in spbpe_bytelevel_new and only read
 * afterwards, so any number of threads may share one table.  Per-call
 * scratch lives in the caller's spbpe_workspace (encode/encode.h), whose
 * symbol, heap and id buffers and word cache the SentencePiece engine uses
 * too; the cache is keyed by the table's generation id.
 */
#ifndef SPBPE_BYTELEVEL_H
#define SPBPE_BYTELEVEL_H

#include "common/internal.h"
#include "encode/encode.h"

/* Ids (ranks and special values) stay below this, so the decode table is
 * dense and a pair of ranks plus the merged rank packs into 64 bits. */
#define SP_BL_MAX_ID ((uint32_t)1 << 21)

/* Chunks passed in by the caller: this bit on a chunk's start marks the
 * chunk as the text of a special token (emit its id, no merges). */
#define SP_BL_SPECIAL_BIT ((uint32_t)1 << 31)

/* Decode records (`dec`), 16 bytes an id: a token of up to 14 bytes has
 * them inline in bytes 0..13 and its length + 1 in byte 15, so decode
 * copies it with one 16-byte move from one cache line; a longer one has
 * SP_BL_DEC_LONG in byte 15 and its arena offset and length (uint32 each)
 * in bytes 0..7; byte 15 is 0 for an id that is no token. */
#define SP_BL_DEC_SIZE 16
#define SP_BL_DEC_INLINE 14
#define SP_BL_DEC_LONG 0xFF

typedef struct sp_bl_slot {
    uint32_t hash;                /* high hash bits | 1; 0 = empty */
    int32_t id;                   /* the rank (or, in the specials table, special index) */
} sp_bl_slot;

struct spbpe_bytelevel {
    uint64_t generation;          /* unique per table, keys the per-thread word cache */
    int pretok;                   /* sp_pretok_kind, or 0: the caller passes chunks */
    /* mergeable tokens */
    uint8_t *arena;               /* every token's bytes back to back */
    uint32_t *off;                /* id_limit + 1 offsets into arena, by id (rank or special value) */
    uint8_t *kind;                /* by id: 0 = none, 1 = mergeable, 2 = special only */
    uint32_t id_limit;            /* max id + 1 */
    uint8_t *dec;                 /* by id, SP_BL_DEC_SIZE bytes: the decode record (above) */
    size_t rank_count;
    sp_bl_slot *ranks;            /* bytes -> rank, open addressing */
    size_t ranks_mask;
    int32_t byte_rank[256];       /* rank of each single byte, or -1 */
    int32_t *byte_pair;           /* 65536: rank of each two-byte string, or -1 (the first pairs of every merge) */
    uint64_t *pairs;              /* (left << 43 | right << 22 | merged + 1), 0 = empty */
    size_t pairs_mask;
    /* special tokens, in the caller's order */
    size_t special_count;
    uint8_t *special_arena;
    uint32_t *special_off;        /* special_count + 1 */
    int32_t *special_id;
    sp_bl_slot *specials;         /* bytes -> special index */
    size_t specials_mask;
    uint8_t special_first[256];   /* 1 when some special starts with this byte */
    uint8_t *special_pair;        /* 65536 bits: first two bytes of some special (len >= 2) */
    uint32_t *special_lens;       /* the distinct special lengths, longest first */
    size_t special_len_count;
    size_t special_max_len;
    int special_has_len1;
    int special_one_first;        /* the first byte of every special when they share it, else -1 */
};

/* -------------------------------------------------------------- lookups */

/* The rank of the token with bytes s[0..n), or -1. */
static inline int32_t sp_bl_rank_of(const spbpe_bytelevel *bl, const uint8_t *s, size_t n) {
    uint64_t h = sp_hash_bytes(s, n);
    uint32_t h32 = (uint32_t)(h >> 32) | 1u;
    for (size_t i = (size_t)h & bl->ranks_mask;; i = (i + 1) & bl->ranks_mask) {
        const sp_bl_slot *slot = &bl->ranks[i];
        if (!slot->hash) return -1;
        if (slot->hash == h32) {
            uint32_t id = (uint32_t)slot->id;
            if (bl->off[id + 1] - bl->off[id] == n && sp_bytes_equal(bl->arena + bl->off[id], s, n)) return slot->id;
        }
    }
}

/* The rank of the concatenation of tokens left and right (whose bytes are
 * s[0..n)), or -1: one probe of the pair table when there is one. */
static inline uint64_t sp_bl_pair_key(int32_t left, int32_t right) {
    return (uint64_t)left << 21 | (uint64_t)right;
}
/* Where the probe for a pair key starts in bl->pairs (merge_small.c
 * prefetches it before it probes). */
static inline size_t sp_bl_pair_slot(const spbpe_bytelevel *bl, uint64_t key) {
    return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 20) & bl->pairs_mask;
}
/* The merged rank of a pair key, probing from slot i, or -1. */
static inline int32_t sp_bl_pair_probe(const spbpe_bytelevel *bl, uint64_t key, size_t i) {
    for (;; i = (i + 1) & bl->pairs_mask) {
        uint64_t slot = bl->pairs[i];
        if (!slot) return -1;
        if ((slot >> 22) == key) return (int32_t)(slot & 0x3FFFFF) - 1;
    }
}
static inline int32_t sp_bl_pair_rank(const spbpe_bytelevel *bl, int32_t left, int32_t right, const uint8_t *s,
                                      size_t n) {
    if (!bl->pairs || left < 0 || right < 0) return sp_bl_rank_of(bl, s, n);
    uint64_t key = sp_bl_pair_key(left, right);
    return sp_bl_pair_probe(bl, key, sp_bl_pair_slot(bl, key));
}

/* The index of the special token with bytes s[0..n), or -1. */
int32_t sp_bl_special_of(const spbpe_bytelevel *bl, const uint8_t *s, size_t n);

/* ---------------------------------------------------------------- merge */

/* Append the ranks of one chunk s[0..n) (n >= 1) to out (room for n more),
 * exactly as tiktoken's byte_pair_encode: merge the adjacent pair whose
 * concatenation has the lowest rank, leftmost on ties, until no pair is a
 * token.  The caller has checked the whole chunk is not a token.  Returns
 * the number of ranks, or -1 when a byte has no rank (SPBPE_ERR_MODEL_FORMAT
 * in err) or memory ran out (SPBPE_ERR_NOMEM). */
int64_t sp_bl_merge(const spbpe_bytelevel *bl, const uint8_t *s, size_t n, int reference, spbpe_workspace *ws,
                    int32_t *out, spbpe_error *err);

/* Chunks of up to this many bytes are merged by scanning arrays
 * (merge_small.c), longer ones by a heap (byte_merge.c) ... */
#define SP_BL_SMALL_CHUNK 32
/* ... except when they wait to be merged in turns with other chunks
 * (sp_bl_merge_queued): then the scan takes chunks up to this long (part
 * indices fit a byte), since the misses it waits on, not its work, bound
 * the speed.  Measured on unseen multilingual text against 128: o200k 2-3%
 * faster, cl100k the same within noise. */
#define SP_BL_QUEUED_CHUNK 254

/* sp_bl_merge for a chunk of 2..SP_BL_SMALL_CHUNK bytes (merge_small.c). */
int64_t sp_bl_merge_small(const spbpe_bytelevel *bl, const uint8_t *s, size_t n, int32_t *out, spbpe_error *err);

/* A chunk waiting for sp_bl_merge_queued: its bytes s[0..n) (2 <= n <=
 * SP_BL_QUEUED_CHUNK), the place `at` in the id buffer where its ranks go
 * (room for n), its word-cache hash, and, once merged, how many ranks it
 * has (`got`). */
typedef struct sp_bl_queued {
    const uint8_t *s;
    uint32_t n, at, got;
    uint64_t hash;
} sp_bl_queued;

/* Encode each queued chunk exactly as sp_bl_encode would one at a time
 * (its rank when its bytes are a token, else sp_bl_merge's ranks), writing
 * chunk i's ranks at ids + q[i].at and their count in q[i].got.  The
 * chunks are merged a few at a time, in turns, so that one chunk's table
 * lookups are in flight while the others work (merge_small.c).  Needs
 * bl->pairs (every byte has a rank), so it cannot fail. */
void sp_bl_merge_queued(const spbpe_bytelevel *bl, sp_bl_queued *q, size_t count, int32_t *ids);

/* ------------------------------------------------------------- specials */

/* Per special token, what encode does with its text (the caller's modes):
 * 0 = ordinary text, 1 = allowed (emit the special's id), 2 = disallowed. */
enum { SP_BL_ORDINARY = 0, SP_BL_ALLOWED = 1, SP_BL_DISALLOWED = 2 };

/* The first position >= from where a special token with mode `want` starts
 * in text[0..len) and, in *index, the longest such token there; len when
 * there is none.  With want == SP_BL_ALLOWED, positions where a longer
 * token of another mode starts are skipped, as tiktoken's scan skips a
 * match that is not allowed. */
size_t sp_bl_find_special(const spbpe_bytelevel *bl, const uint8_t *modes, int want, const uint8_t *text,
                          size_t len, size_t from, int32_t *index);

/* --------------------------------------------------------------- encode */

/* spbpe_bytelevel_encode without the argument checks (bl_encode.c); the
 * batch runs it per text. */
int sp_bl_encode(const spbpe_bytelevel *bl, const uint8_t *text, size_t len, const spbpe_bytelevel_options *opt,
                 spbpe_workspace *ws, spbpe_bytelevel_ids *out, spbpe_error *err);
/* Fill bl->dec from the arena (bl_encode.c; spbpe_bytelevel_new calls it). */
int sp_bl_decode_table(spbpe_bytelevel *bl, spbpe_error *err);
/* Append the bytes of ids to *buf (length *len, capacity *cap, kept 16
 * bytes past the end for short copies).  SPBPE_ERR_OUT_OF_RANGE with
 * err->offset = the index of an id that is no token; on an error *len is
 * unchanged (bytes past it are scratch). */
int sp_bl_decode_append(const spbpe_bytelevel *bl, const int32_t *ids, size_t count, uint8_t **buf, size_t *len,
                        size_t *cap, spbpe_error *err);

#endif /* SPBPE_BYTELEVEL_H */

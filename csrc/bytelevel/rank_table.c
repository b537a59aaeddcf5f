/*
 * rank_table.c - the immutable rank table of a byte-level BPE encoding
 * (tiktoken's CoreBPE tables): token bytes -> rank, rank -> bytes, the
 * special tokens, and a pair table for the merge loop.
 *
 * Tables, all written here and only read afterwards:
 *  - `ranks`: open addressing from token bytes (wyhash-style) to rank;
 *  - `arena`/`off`/`kind`: by id, the token's bytes for decode (mergeable
 *    ranks first; a special value that is not also a rank gets the
 *    special's text, as tiktoken's two decoders answer); `dec` holds each
 *    id's bytes (or where they are) and length in one 16-byte record, so
 *    decode reads one cache line per id (bl_encode.c);
 *  - `byte_pair`: the rank of every two-byte string (256 KiB), so the first
 *    pairs of a chunk cost no probe into the larger tables;
 *  - `pairs`: (left rank, right rank) -> rank of their concatenation, for
 *    every token split into two tokens.  Every part the merge loop holds is
 *    a token (single bytes are, in every real encoding; see below), so
 *    "is left + right a token, and which" is one 64-bit probe instead of
 *    hashing bytes.  It is only built when all 256 bytes have a rank;
 *    otherwise the merge looks concatenations up by bytes, as tiktoken
 *    does, which stays exact for parts that are not tokens;
 *  - specials: bytes -> index, the first bytes and first byte pairs they
 *    start with (a filter for the scan) and their distinct lengths.
 *
 * Every table gets a generation id from a process-wide atomic counter,
 * with the top bit set so it never equals a SentencePiece model's (the
 * word cache of a workspace is keyed by it and may serve both engines).
 */
#include <stdlib.h>
#include <string.h>

#include "bytelevel/bytelevel.h"

#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
static volatile __int64 bl_generation_counter;
static uint64_t next_generation(void) { return (uint64_t)_InterlockedIncrement64(&bl_generation_counter); }
#else
#include <stdatomic.h>
static atomic_uint_fast64_t bl_generation_counter;
static uint64_t next_generation(void) { return (uint64_t)atomic_fetch_add(&bl_generation_counter, 1) + 1; }
#endif

static size_t table_size(size_t count) {
    size_t n = 16;
    while (n < 2 * count) n *= 2;
    return n;
}

int32_t sp_bl_special_of(const spbpe_bytelevel *bl, const uint8_t *s, size_t n) {
    if (!bl->specials) return -1;
    uint64_t h = sp_hash_bytes(s, n);
    uint32_t h32 = (uint32_t)(h >> 32) | 1u;
    for (size_t i = (size_t)h & bl->specials_mask;; i = (i + 1) & bl->specials_mask) {
        const sp_bl_slot *slot = &bl->specials[i];
        if (!slot->hash) return -1;
        if (slot->hash == h32) {
            size_t k = (size_t)slot->id;
            if (bl->special_off[k + 1] - bl->special_off[k] == n &&
                memcmp(bl->special_arena + bl->special_off[k], s, n) == 0)
                return slot->id;
        }
    }
}

static void insert_slot(sp_bl_slot *table, size_t mask, const uint8_t *s, size_t n, int32_t id) {
    uint64_t h = sp_hash_bytes(s, n);
    size_t i = (size_t)h & mask;
    while (table[i].hash) i = (i + 1) & mask;
    table[i].hash = (uint32_t)(h >> 32) | 1u;
    table[i].id = id;
}

SP_API void spbpe_bytelevel_free(spbpe_bytelevel *bl) {
    if (!bl) return;
    free(bl->arena);
    free(bl->off);
    free(bl->kind);
    free(bl->dec);
    sp_big_free(bl->ranks, (bl->ranks_mask + 1) * sizeof *bl->ranks);
    sp_big_free(bl->pairs, bl->pairs ? (bl->pairs_mask + 1) * sizeof *bl->pairs : 0);
    free(bl->byte_pair);
    free(bl->special_arena);
    free(bl->special_off);
    free(bl->special_id);
    free(bl->specials);
    free(bl->special_pair);
    free(bl->special_lens);
    free(bl);
}

/* The pair table: every split of every token into two tokens. */
static int build_pairs(spbpe_bytelevel *bl) {
    size_t cap = 0, count = 0;
    uint64_t *items = NULL;
    for (uint32_t id = 0; id < bl->id_limit; id++) {
        if (bl->kind[id] != 1) continue;
        const uint8_t *t = bl->arena + bl->off[id];
        size_t n = bl->off[id + 1] - bl->off[id];
        for (size_t k = 1; k < n; k++) {
            int32_t left = sp_bl_rank_of(bl, t, k);
            if (left < 0) continue;
            int32_t right = sp_bl_rank_of(bl, t + k, n - k);
            if (right < 0) continue;
            if (sp_reserve((void **)&items, &cap, count + 1, sizeof *items)) {
                free(items);
                return -1;
            }
            items[count++] = ((uint64_t)left << 21 | (uint64_t)right) << 22 | ((uint64_t)id + 1);
        }
    }
    size_t size = 16;
    while (size < count + count / 2 + 1) size *= 2; /* load at most 2/3 */
    bl->pairs = sp_big_calloc(size * sizeof *bl->pairs);
    if (!bl->pairs) {
        free(items);
        return -1;
    }
    bl->pairs_mask = size - 1;
    for (size_t j = 0; j < count; j++) {
        uint64_t key = items[j] >> 22;
        size_t i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 20) & bl->pairs_mask;
        while (bl->pairs[i]) i = (i + 1) & bl->pairs_mask;
        bl->pairs[i] = items[j];
    }
    free(items);
    return 0;
}

static int build_specials(spbpe_bytelevel *bl, const uint8_t *specials, const size_t *starts, const uint32_t *ids,
                          size_t count, spbpe_error *err) {
    size_t total = starts[count] - starts[0];
    bl->special_count = count;
    bl->special_arena = malloc(total + 1);
    bl->special_off = malloc((count + 1) * sizeof *bl->special_off);
    bl->special_id = malloc((count + 1) * sizeof *bl->special_id);
    bl->special_lens = malloc((count + 1) * sizeof *bl->special_lens);
    bl->special_pair = calloc(65536 / 8, 1);
    size_t size = table_size(count);
    bl->specials = calloc(size, sizeof *bl->specials);
    if (!bl->special_arena || !bl->special_off || !bl->special_id || !bl->special_lens || !bl->special_pair ||
        !bl->specials)
        return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    bl->specials_mask = size - 1;
    if (total) memcpy(bl->special_arena, specials + starts[0], total);
    for (size_t k = 0; k <= count; k++) bl->special_off[k] = (uint32_t)(starts[k] - starts[0]);
    for (size_t k = 0; k < count; k++) {
        const uint8_t *s = bl->special_arena + bl->special_off[k];
        size_t n = bl->special_off[k + 1] - bl->special_off[k];
        if (n == 0) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, k, "special token %zu is empty", k);
        if (sp_bl_special_of(bl, s, n) >= 0)
            return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, k, "special token %zu is given twice", k);
        insert_slot(bl->specials, bl->specials_mask, s, n, (int32_t)k);
        bl->special_id[k] = (int32_t)ids[k];
        bl->special_first[s[0]] = 1;
        if (n == 1) bl->special_has_len1 = 1;
        else bl->special_pair[(s[0] << 8 | s[1]) >> 3] |= (uint8_t)(1u << (s[1] & 7));
        if (n > bl->special_max_len) bl->special_max_len = n;
        size_t j = 0;
        while (j < bl->special_len_count && bl->special_lens[j] != n) j++;
        if (j == bl->special_len_count) bl->special_lens[bl->special_len_count++] = (uint32_t)n;
    }
    bl->special_one_first = -1;
    for (int c = 0; c < 256; c++)
        if (bl->special_first[c]) bl->special_one_first = bl->special_one_first == -1 ? c : -2;
    if (bl->special_one_first < 0) bl->special_one_first = -1;
    /* longest first: at one position, the longest special wins */
    for (size_t a = 1; a < bl->special_len_count; a++)
        for (size_t b = a; b > 0 && bl->special_lens[b] > bl->special_lens[b - 1]; b--) {
            uint32_t t = bl->special_lens[b];
            bl->special_lens[b] = bl->special_lens[b - 1];
            bl->special_lens[b - 1] = t;
        }
    return SPBPE_OK;
}

static int check_starts(const size_t *starts, size_t count, const char *what, spbpe_error *err) {
    for (size_t i = 0; i < count; i++)
        if (starts[i + 1] < starts[i])
            return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, i, "%s starts must not decrease (item %zu)", what, i);
    if (starts[count] - starts[0] > SP_MAX_INPUT)
        return sp_fail(err, SPBPE_ERR_LIMIT, 0, "%s take more than %zu bytes", what, (size_t)SP_MAX_INPUT);
    return SPBPE_OK;
}

static int build(spbpe_bytelevel *bl, const uint8_t *tokens, const size_t *starts, const uint32_t *ranks,
                 size_t count, const uint8_t *specials, const size_t *special_starts, const uint32_t *special_ids,
                 size_t special_count, spbpe_error *err) {
    int st;
    if ((st = check_starts(starts, count, "token", err)) || (st = check_starts(special_starts, special_count, "special token", err)))
        return st;
    uint32_t limit = 0;
    for (size_t i = 0; i < count; i++) {
        if (ranks[i] >= SP_BL_MAX_ID)
            return sp_fail(err, SPBPE_ERR_UNSUPPORTED, i, "rank %u is too large (spbpe takes ranks below %u)",
                           (unsigned)ranks[i], (unsigned)SP_BL_MAX_ID);
        if (ranks[i] + 1 > limit) limit = ranks[i] + 1;
    }
    for (size_t k = 0; k < special_count; k++) {
        if (special_ids[k] >= SP_BL_MAX_ID)
            return sp_fail(err, SPBPE_ERR_UNSUPPORTED, k, "special token value %u is too large (spbpe takes values below %u)",
                           (unsigned)special_ids[k], (unsigned)SP_BL_MAX_ID);
        if (special_ids[k] + 1 > limit) limit = special_ids[k] + 1;
    }
    bl->id_limit = limit;
    bl->rank_count = count;
    bl->kind = calloc((size_t)limit + 1, 1);
    bl->off = calloc((size_t)limit + 2, sizeof *bl->off);
    size_t size = table_size(count);
    bl->ranks = sp_big_calloc(size * sizeof *bl->ranks);
    if (bl->ranks) bl->ranks_mask = size - 1;
    if (!bl->kind || !bl->off || !bl->ranks) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    /* lengths by id, then offsets, then bytes: the arena in id order */
    for (size_t i = 0; i < count; i++) {
        if (bl->kind[ranks[i]])
            return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, i,
                           "rank %u is given to two tokens (duplicate token indices in the mergeable ranks)",
                           (unsigned)ranks[i]);
        bl->kind[ranks[i]] = 1;
        bl->off[ranks[i] + 1] = (uint32_t)(starts[i + 1] - starts[i]);
    }
    for (size_t k = 0; k < special_count; k++)
        if (!bl->kind[special_ids[k]]) {
            bl->kind[special_ids[k]] = 2;
            bl->off[special_ids[k] + 1] = (uint32_t)(special_starts[k + 1] - special_starts[k]);
        }
    for (uint32_t id = 0; id < limit; id++) bl->off[id + 1] += bl->off[id];
    /* padded so decode may copy 16 bytes from any token's start */
    bl->arena = calloc((size_t)bl->off[limit] + 16, 1);
    if (!bl->arena) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    for (size_t i = 0; i < count; i++)
        if (starts[i + 1] > starts[i])
            memcpy(bl->arena + bl->off[ranks[i]], tokens + starts[i], starts[i + 1] - starts[i]);
    for (size_t k = 0; k < special_count; k++)
        if (bl->kind[special_ids[k]] == 2 && special_starts[k + 1] > special_starts[k])
            memcpy(bl->arena + bl->off[special_ids[k]], specials + special_starts[k],
                   special_starts[k + 1] - special_starts[k]);
    st = sp_bl_decode_table(bl, err);
    if (st) return st;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *t = bl->arena + bl->off[ranks[i]];
        size_t n = starts[i + 1] - starts[i];
        if (sp_bl_rank_of(bl, t, n) >= 0)
            return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, i, "token %zu is given twice", i);
        insert_slot(bl->ranks, bl->ranks_mask, t, n, (int32_t)ranks[i]);
    }
    int all_bytes = 1;
    for (int b = 0; b < 256; b++) {
        uint8_t c = (uint8_t)b;
        bl->byte_rank[b] = sp_bl_rank_of(bl, &c, 1);
        if (bl->byte_rank[b] < 0) all_bytes = 0;
    }
    bl->byte_pair = malloc(65536 * sizeof *bl->byte_pair);
    if (!bl->byte_pair) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    for (unsigned ab = 0; ab < 65536; ab++) {
        uint8_t two[2] = {(uint8_t)(ab >> 8), (uint8_t)ab};
        bl->byte_pair[ab] = sp_bl_rank_of(bl, two, 2);
    }
    if (all_bytes && build_pairs(bl)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    return build_specials(bl, specials, special_starts, special_ids, special_count, err);
}

SP_API spbpe_bytelevel *spbpe_bytelevel_new(const uint8_t *tokens, const size_t *starts, const uint32_t *ranks,
                                            size_t count, const uint8_t *specials, const size_t *special_starts,
                                            const uint32_t *special_ids, size_t special_count, int pretok,
                                            spbpe_error *err) {
    sp_clear_error(err);
    if (!starts || (count && (!ranks || (!tokens && starts[count] > starts[0]))) || !special_starts ||
        (special_count && (!special_ids || !specials))) {
        sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
        return NULL;
    }
    if (pretok < 0 || pretok > 4) {
        sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "unknown pre-tokenizer %d", pretok);
        return NULL;
    }
    spbpe_bytelevel *bl = calloc(1, sizeof *bl);
    if (!bl) {
        sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
        return NULL;
    }
    bl->generation = next_generation() | ((uint64_t)1 << 63);
    bl->pretok = pretok;
    if (build(bl, tokens, starts, ranks, count, specials, special_starts, special_ids, special_count, err)) {
        spbpe_bytelevel_free(bl);
        return NULL;
    }
    return bl;
}

SP_API uint32_t spbpe_bytelevel_id_limit(const spbpe_bytelevel *bl) { return bl ? bl->id_limit : 0; }

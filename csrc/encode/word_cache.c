/*
 * word_cache.c - a per-workspace memo of BPE results for short segments.
 *
 * When a model's vocabulary cannot merge across the point before a run of
 * U+2581 (see model.c, fast_words), BPE over a sentence equals BPE over each
 * segment separately, so the token lengths and ids of a segment depend only
 * on its bytes and can be reused.  The cache belongs to one workspace (one
 * thread) and remembers which model (by generation id) filled it.
 *
 * Layout for few cache misses per lookup: an open-addressing slot array
 * whose 16-byte slots hold the hash, the key length, the token count and an
 * offset into one arena where the key bytes are followed by the (length, id)
 * pairs.  The slot array starts small and grows fourfold whenever it is
 * half full (each slot keeps the hash bits that place it), so the memory
 * first zeroed and then kept follows the words met.  Memory is bounded:
 * once full it stops taking new segments (frequent words come early), and
 * starts over only after many misses in a row, when the text has clearly
 * moved on to other words.
 *
 * In front of it sits a small direct-mapped first level whose 64-byte slots
 * hold short segments and their tokens inline: frequent words then cost one
 * cache line instead of a probe into megabytes of slots and arena.
 *
 * The slots and the arena are sp_big_calloc blocks (huge pages where the
 * system gives them): a lookup lands anywhere in 8 MB of slots, and with
 * 4 KB pages nearly every one also missed the TLB (a loop of byte-level
 * encode_ordinary ran 2-7% faster, 11 of 12 A/B pairs).
 */
#include <stdlib.h>
#include <string.h>

#include "encode/encode.h"

#define CACHE_MAX_ENTRIES (SP_CACHE_SLOTS / 2)
#define CACHE_MAX_ARENA ((size_t)24 << 20)

static size_t align4(size_t n) { return (n + 3) & ~(size_t)3; }

void sp_cache_reset(sp_word_cache *c, uint64_t generation) {
    c->generation = generation;
    c->count = 0;
    c->arena_len = 0;
    c->misses_when_full = 0;
    if (c->slots) memset(c->slots, 0, (c->slots_mask + 1) * sizeof *c->slots);
    if (c->l1) memset(c->l1, 0, SP_L1_SLOTS * sizeof *c->l1);
}

/* A slot changes hands only after several lookups of other segments
 * missed it in a row, so a rare word does not push out a frequent one. */
#define SP_L1_PATIENCE 4

static void l1_install(sp_word_cache *c, const uint8_t *key, size_t n, uint32_t h32, size_t h_index,
                       const int32_t *toks, size_t count) {
    if (!c->l1 || n > SP_L1_KEY || count > SP_L1_TOKENS) return;
    sp_l1_slot *s = &c->l1[h_index & (SP_L1_SLOTS - 1)];
    if (s->hash && ++s->misses < SP_L1_PATIENCE) return;
    s->misses = 0;
    s->hash = h32;
    s->key_len = (uint8_t)n;
    s->tok_count = (uint8_t)count;
    memcpy(s->key, key, n);
    memcpy(s->toks, toks, 2 * count * sizeof *toks);
}

void sp_cache_release(sp_word_cache *c) {
    if (c->slots) sp_big_free(c->slots, (c->slots_mask + 1) * sizeof *c->slots);
    free(c->l1);
    sp_big_free(c->arena, c->arena_cap);
    memset(c, 0, sizeof *c);
}

const int32_t *sp_cache_find(sp_word_cache *c, const uint8_t *key, size_t n, uint64_t h, size_t *count) {
    if (!c->slots) return NULL;
    uint32_t h32 = (uint32_t)(h >> 32) | 1u; /* never 0: 0 marks an empty slot */
    sp_l1_slot *fast = &c->l1[(h >> 20) & (SP_L1_SLOTS - 1)];
    if (fast->hash == h32 && fast->key_len == n && sp_bytes_equal(fast->key, key, n)) {
        fast->misses = 0;
        *count = fast->tok_count;
        return fast->toks;
    }
    for (size_t i = (size_t)h & c->slots_mask;; i = (i + 1) & c->slots_mask) {
        const sp_cache_slot *s = &c->slots[i];
        if (!s->hash) return NULL;
        if (s->hash == h32 && s->key_len == n && sp_bytes_equal(c->arena + s->off, key, n)) {
            const int32_t *toks = (const int32_t *)(c->arena + s->off + align4(n));
            *count = s->tok_count;
            l1_install(c, key, n, h32, (size_t)(h >> 20), toks, s->tok_count);
            return toks;
        }
    }
}

/* Move every slot into a table of `slots` slots (more than twice the
 * entries); -1, the old table kept, if memory ran out. */
static int grow_slots(sp_word_cache *c, size_t slots) {
    sp_cache_slot *bigger = sp_big_calloc(slots * sizeof *bigger);
    if (!bigger) return -1;
    size_t mask = slots - 1;
    for (size_t j = 0; j <= c->slots_mask; j++) {
        if (!c->slots[j].hash) continue;
        size_t i = c->slots[j].hash_low & mask;
        while (bigger[i].hash) i = (i + 1) & mask;
        bigger[i] = c->slots[j];
    }
    sp_big_free(c->slots, (c->slots_mask + 1) * sizeof *c->slots);
    c->slots = bigger;
    c->slots_mask = mask;
    return 0;
}

/* toks holds count (length, id) pairs.  Returns 0, or -1 if memory ran out
 * (the cache is then left empty but valid). */
int sp_cache_put(sp_word_cache *c, const uint8_t *key, size_t n, uint64_t h, const int32_t *toks, size_t count) {
    if (n > 0xFFFF || count > 0xFFFF) return 0;
    if (!c->slots) {
        c->slots = sp_big_calloc(SP_CACHE_FIRST_SLOTS * sizeof *c->slots);
        c->slots_mask = SP_CACHE_FIRST_SLOTS - 1;
        c->l1 = calloc(SP_L1_SLOTS, sizeof *c->l1);
        if (!c->slots || !c->l1) {
            if (c->slots) sp_big_free(c->slots, SP_CACHE_FIRST_SLOTS * sizeof *c->slots);
            free(c->l1);
            c->slots = NULL;
            c->l1 = NULL;
            return -1;
        }
    }
    /* at most half full, so probes stay short and always end */
    if (2 * (c->count + 1) > c->slots_mask + 1 && c->slots_mask + 1 < SP_CACHE_SLOTS) {
        size_t slots = 4 * (c->slots_mask + 1);
        if (grow_slots(c, slots < SP_CACHE_SLOTS ? slots : SP_CACHE_SLOTS)) return 0; /* not stored */
    }
    size_t need = align4(n) + 2 * count * sizeof(int32_t);
    if (c->count >= CACHE_MAX_ENTRIES || c->arena_len + need > CACHE_MAX_ARENA) {
        if (++c->misses_when_full < 4 * (size_t)CACHE_MAX_ENTRIES) return 0;
        sp_cache_reset(c, c->generation);
    }
    if (sp_big_grow((void **)&c->arena, &c->arena_cap, c->arena_len + need)) {
        sp_cache_reset(c, c->generation);
        return -1;
    }
    uint8_t *dst = c->arena + c->arena_len;
    memcpy(dst, key, n);
    memcpy(dst + align4(n), toks, 2 * count * sizeof *toks);
    size_t i = (size_t)h & c->slots_mask;
    while (c->slots[i].hash) i = (i + 1) & c->slots_mask;
    sp_cache_slot *s = &c->slots[i];
    s->hash = (uint32_t)(h >> 32) | 1u;
    s->hash_low = (uint32_t)h;
    s->off = (uint32_t)c->arena_len;
    s->key_len = (uint16_t)n;
    s->tok_count = (uint16_t)count;
    c->arena_len += need;
    c->count++;
    l1_install(c, key, n, s->hash, (size_t)(h >> 20), toks, count);
    return 0;
}

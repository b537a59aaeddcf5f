/*
 * merge_small.c - byte pair merging of short chunks by scanning arrays:
 * one chunk of up to SP_BL_SMALL_CHUNK bytes at a time (sp_bl_merge_small),
 * or chunks of up to SP_BL_QUEUED_CHUNK bytes several in turns
 * (sp_bl_merge_queued).
 *
 * The scan is tiktoken's loop on arrays: each part's rank and neighbours
 * and the rank of each adjacent pair; merge the pair of lowest rank
 * (leftmost on ties), look up the two pairs it changes, repeat until no
 * pair is a token.  The two lookups go to the pair table (megabytes), so
 * on text the cache has not seen, a chunk mostly waits for memory: about
 * one miss per merge, one after another.
 *
 * sp_bl_merge_queued hides that wait.  It keeps LANES chunks in flight and
 * gives each one step in turn: a step finishes the lookups the previous
 * step asked for (their table lines prefetched then, and arrived while the
 * other lanes worked), merges once, and prefetches the next lookups.  Each
 * chunk goes through exactly the steps it would alone, so the result is
 * the same; only the order of memory accesses across chunks changes.
 * Before merging, a queued chunk is looked up as a whole (tiktoken returns
 * a chunk that is a token as that token), in two steps the same way: its
 * slot in the rank table, then the candidate token's decode record.
 */
#include <string.h>

#include "bytelevel/bytelevel.h"

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define LANE_SSE2 1
#else
#define LANE_SSE2 0
#endif
/* AVX2 where the compiler can target it for one function and the CPU has
 * it (checked once per chunk): eight ranks an instruction, with a real
 * signed minimum. */
#if LANE_SSE2 && (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define LANE_AVX2 1
#define AVX2_TARGET __attribute__((target("avx2")))
#else
#define LANE_AVX2 0
#endif

#define SMALL SP_BL_QUEUED_CHUNK /* the longest chunk either way */
/* rank[] holds each pair's rank and place in one value, rank << 8 | i
 * (ranks are below SP_BL_MAX_ID, places below 256): the lowest value is
 * the lowest rank at its leftmost place, so one pass of minimums finds
 * both, ties included.  NO_RANK, "no pair", is above every such value and
 * keeps them all positive for the signed compares of SSE2 and AVX2. */
#define NO_RANK INT32_MAX
_Static_assert(((uint64_t)SP_BL_MAX_ID << 8) <= (uint64_t)INT32_MAX, "a rank and its place fit an int32");
/* Chunks in flight in sp_bl_merge_queued: enough that a lane's lookups
 * (an L3 or memory round trip) arrive while the others take a step. */
#define LANES 8

enum { ASK_WHOLE, CHECK_WHOLE, MERGING };

/* Part i starts at byte i, so byte offsets index every array; a part
 * merged into its left neighbour stays in them, dead (rank NO_RANK), and
 * the live parts are linked through next/prev.  A merge then writes a few
 * entries instead of moving the arrays' tails. */
#define NONE 0xFF
typedef struct small_merge {
    const uint8_t *s;
    uint32_t n;                /* bytes */
    int stage;                 /* for queued chunks: ASK_WHOLE, CHECK_WHOLE, then MERGING */
    int avx2;                  /* lowest_pair may use AVX2 */
    int32_t rank[SMALL + 8];   /* pair_value of live part i and the next live part together, else
                                  NO_RANK; NO_RANK past the end up to a multiple of 8 */
    int32_t id[SMALL];         /* rank of live part i (-1: a byte without one) */
    uint8_t next[SMALL], prev[SMALL]; /* live neighbours, NONE at the ends */
    uint32_t waiting;          /* pair lookups asked for and not finished yet */
    uint32_t wait_at[2];       /* ... which rank[] each fills */
    uint64_t wait_key[2];
    size_t wait_slot[2];
    size_t whole_slot;         /* the whole chunk's rank-table slot, then its candidate token */
    uint32_t whole_hash;
} small_merge;

_Static_assert(SMALL < NONE, "part indices fit a byte, below NONE");

/* The rank[] value of a pair at place i whose rank is r (-1: no token). */
static inline int32_t pair_value(int32_t r, uint32_t i) { return r < 0 ? NO_RANK : (int32_t)((uint32_t)r << 8 | i); }

static void start_merge(small_merge *w, const spbpe_bytelevel *bl) {
    const uint8_t *s = w->s;
    uint32_t n = w->n;
    w->waiting = 0;
    w->stage = MERGING;
    for (uint32_t i = 0; i + 1 < n; i++) {
        w->id[i] = bl->byte_rank[s[i]];
        w->next[i] = (uint8_t)(i + 1);
        w->prev[i + 1] = (uint8_t)i;
        w->rank[i] = pair_value(bl->byte_pair[s[i] << 8 | s[i + 1]], i);
    }
    w->id[n - 1] = bl->byte_rank[s[n - 1]];
    w->next[n - 1] = NONE;
    w->prev[0] = NONE;
    for (uint32_t i = n - 1; i < n + 7; i++) w->rank[i] = NO_RANK;
#if LANE_AVX2
    w->avx2 = __builtin_cpu_supports("avx2");
#else
    w->avx2 = 0;
#endif
}

/* Ask for the rank of live part i and the next live part j together:
 * through the pair table (its line prefetched, the probe left to the next
 * merge_step), or, without one, by their bytes at once. */
static inline void ask_pair(small_merge *w, const spbpe_bytelevel *bl, uint32_t i, uint32_t j) {
    int32_t left = w->id[i], right = w->id[j];
    if (bl->pairs && left >= 0 && right >= 0) {
        uint64_t key = sp_bl_pair_key(left, right);
        size_t slot = sp_bl_pair_slot(bl, key);
#if defined(__GNUC__) || defined(__clang__)
        __builtin_prefetch(&bl->pairs[slot]);
#endif
        w->rank[i] = NO_RANK; /* until merge_step finishes the lookup */
        w->wait_at[w->waiting] = i;
        w->wait_key[w->waiting] = key;
        w->wait_slot[w->waiting] = slot;
        w->waiting++;
        return;
    }
    uint32_t end = w->next[j] == NONE ? w->n : w->next[j];
    w->rank[i] = pair_value(sp_bl_rank_of(bl, w->s + i, end - i), i);
}

#if LANE_AVX2
/* lowest_pair eight at a time (rank is NO_RANK up to a multiple of 8). */
AVX2_TARGET static int32_t lowest_pair_avx2(const int32_t *rank, uint32_t count) {
    __m256i low = _mm256_set1_epi32(NO_RANK);
    for (uint32_t i = 0; i < count; i += 8) low = _mm256_min_epi32(low, _mm256_loadu_si256((const __m256i *)(rank + i)));
    __m128i m = _mm_min_epi32(_mm256_castsi256_si128(low), _mm256_extracti128_si256(low, 1));
    m = _mm_min_epi32(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(1, 0, 3, 2)));
    m = _mm_min_epi32(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(m);
}
#endif

#if LANE_SSE2
/* The lower of a and b in each lane (SSE2 has no signed 32-bit minimum). */
static inline __m128i lower_of(__m128i a, __m128i b) {
    __m128i lt = _mm_cmplt_epi32(a, b);
    return _mm_or_si128(_mm_and_si128(lt, a), _mm_andnot_si128(lt, b));
}
#endif

/* The lowest of rank[0 .. count) (count >= 1): the lowest pair, leftmost
 * on ties, or NO_RANK when there is none.  With SSE2, four at a time (rank
 * is NO_RANK up to a multiple of 4); the plain loop is the same answer. */
static inline int32_t lowest_pair(const int32_t *rank, uint32_t count) {
#if LANE_SSE2
    __m128i low = _mm_set1_epi32(NO_RANK);
    for (uint32_t i = 0; i < count; i += 4) low = lower_of(_mm_loadu_si128((const __m128i *)(rank + i)), low);
    low = lower_of(_mm_shuffle_epi32(low, _MM_SHUFFLE(1, 0, 3, 2)), low);
    low = lower_of(_mm_shuffle_epi32(low, _MM_SHUFFLE(2, 3, 0, 1)), low);
    return _mm_cvtsi128_si32(low);
#else
    int32_t low = NO_RANK;
    for (uint32_t i = 0; i < count; i++) low = rank[i] < low ? rank[i] : low;
    return low;
#endif
}

/* One merge, its lookups asked for; 0 when no pair merges (done).  The
 * lookups the previous merge asked for are finished here, but their ranks
 * are stored only after the scan: a vector load over a rank stored just
 * before waits until the store reaches the cache (a wider load cannot take
 * it from the store buffer).  Until then their places hold NO_RANK,
 * written when they were asked for, a turn earlier. */
static inline int merge_step(small_merge *w, const spbpe_bytelevel *bl) {
    int32_t *rank = w->rank;
#if LANE_AVX2
    int32_t lowest = w->avx2 ? lowest_pair_avx2(rank, w->n - 1) : lowest_pair(rank, w->n - 1);
#else
    int32_t lowest = lowest_pair(rank, w->n - 1);
#endif
    for (uint32_t k = 0; k < w->waiting; k++) {
        int32_t v = pair_value(sp_bl_pair_probe(bl, w->wait_key[k], w->wait_slot[k]), w->wait_at[k]);
        rank[w->wait_at[k]] = v;
        lowest = v < lowest ? v : lowest;
    }
    w->waiting = 0;
    if (lowest == NO_RANK) return 0;
    uint32_t at = (uint32_t)lowest & 0xFF;
    int32_t best = lowest >> 8;
    uint32_t gone = w->next[at], after = w->next[gone], before = w->prev[at];
    w->id[at] = best;
    rank[gone] = NO_RANK;
    w->next[at] = (uint8_t)after;
    if (after != NONE) {
        w->prev[after] = (uint8_t)at;
        ask_pair(w, bl, at, after);
    } else {
        rank[at] = NO_RANK;
    }
    if (before != NONE) ask_pair(w, bl, before, at);
    return 1;
}

/* Copy the live parts' ranks to out; their count. */
static uint32_t live_ranks(const small_merge *w, int32_t *out) {
    uint32_t m = 0;
    for (uint32_t i = 0; i != NONE; i = w->next[i]) out[m++] = w->id[i];
    return m;
}

int64_t sp_bl_merge_small(const spbpe_bytelevel *bl, const uint8_t *s, size_t n, int32_t *out, spbpe_error *err) {
    small_merge w;
    w.s = s;
    w.n = (uint32_t)n;
    start_merge(&w, bl);
    while (merge_step(&w, bl)) continue;
    for (uint32_t i = 0; i != NONE; i = w.next[i])
        if (w.id[i] < 0)
            return -sp_fail(err, SPBPE_ERR_MODEL_FORMAT, i,
                            "byte 0x%02x has no rank in the mergeable ranks, so text containing it cannot be encoded",
                            (unsigned)s[i]);
    return (int64_t)live_ranks(&w, out);
}

/* ---------------------------------------------------------------- queued */

static void start_queued(small_merge *w, const spbpe_bytelevel *bl, const sp_bl_queued *q) {
    w->s = q->s;
    w->n = q->n;
    uint64_t h = sp_hash_bytes(q->s, q->n); /* as sp_bl_rank_of */
    w->whole_hash = (uint32_t)(h >> 32) | 1u;
    w->whole_slot = (size_t)h & bl->ranks_mask;
    w->stage = ASK_WHOLE;
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(&bl->ranks[w->whole_slot]);
#endif
}

/* The chunk is the token `rank`: one live part. */
static void whole_token(small_merge *w, int32_t rank) {
    w->id[0] = rank;
    w->next[0] = NONE;
}

/* One step of a queued chunk; 0 when it is done (its ranks in w->id). */
static int queued_step(small_merge *w, const spbpe_bytelevel *bl) {
    switch (w->stage) {
    case ASK_WHOLE:
        for (size_t i = w->whole_slot;; i = (i + 1) & bl->ranks_mask) {
            const sp_bl_slot *slot = &bl->ranks[i];
            if (!slot->hash) break; /* not a token */
            if (slot->hash == w->whole_hash) {
                w->whole_slot = (size_t)(uint32_t)slot->id; /* now the candidate token */
#if defined(__GNUC__) || defined(__clang__)
                __builtin_prefetch(bl->dec + w->whole_slot * SP_BL_DEC_SIZE);
#endif
                w->stage = CHECK_WHOLE;
                return 1;
            }
        }
        start_merge(w, bl);
        return merge_step(w, bl);
    case CHECK_WHOLE: {
        const uint8_t *rec = bl->dec + w->whole_slot * SP_BL_DEC_SIZE;
        if (w->n <= SP_BL_DEC_INLINE && rec[SP_BL_DEC_SIZE - 1] == w->n + 1 && memcmp(rec, w->s, w->n) == 0) {
            whole_token(w, (int32_t)w->whole_slot);
            return 0;
        }
        /* a longer token, or another token with the same hash bits: the full lookup */
        int32_t r = sp_bl_rank_of(bl, w->s, w->n);
        if (r >= 0) {
            whole_token(w, r);
            return 0;
        }
        start_merge(w, bl);
        return merge_step(w, bl);
    }
    default:
        return merge_step(w, bl);
    }
}

void sp_bl_merge_queued(const spbpe_bytelevel *bl, sp_bl_queued *q, size_t count, int32_t *ids) {
    small_merge lanes[LANES];
    small_merge *lane[LANES]; /* the busy ones first; a finished lane swaps pointers, not its arrays */
    size_t job[LANES], next = 0, busy = 0;
    for (size_t l = 0; l < LANES; l++) lane[l] = &lanes[l];
    while (busy < LANES && next < count) {
        start_queued(lane[busy], bl, &q[next]);
        job[busy++] = next++;
    }
    while (busy) {
        for (size_t l = 0; l < busy;) {
            small_merge *w = lane[l];
            if (queued_step(w, bl)) {
                l++;
                continue;
            }
            sp_bl_queued *done = &q[job[l]];
            done->got = live_ranks(w, ids + done->at);
            if (next < count) {
                start_queued(w, bl, &q[next]);
                job[l++] = next++;
            } else { /* the last busy lane takes this one's place */
                busy--;
                lane[l] = lane[busy];
                lane[busy] = w;
                job[l] = job[busy];
            }
        }
    }
}

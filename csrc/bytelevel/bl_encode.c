/*
 * bl_encode.c - byte-level BPE encode and decode of one text (tiktoken's
 * CoreBPE encode_native / encode_ordinary / decode_bytes).
 *
 * Encode: when the caller's special modes disallow some special token and
 * the text holds one, nothing is encoded and the leftmost is reported
 * (tiktoken raises).  Otherwise the text is cut at the allowed special
 * tokens (special_scan.c); each stretch between them is pre-tokenized on
 * its own (its end is the end of text for `\s+(?!\S)` and `\s++$`), by the
 * table's built-in pre-tokenizer (pretok.c) or by the caller's chunks from
 * any other pattern.  Each chunk becomes one rank when its bytes are a
 * token, else the ranks byte_merge.c finds.  A chunk's ranks depend only
 * on its bytes, so they are kept in the workspace's word cache
 * (encode/word_cache.c), keyed by the table's generation; its first level
 * is probed inline (l1_hit), and a chunk of up to 8 bytes is hashed and
 * compared as one word (short_word).  `reference_path` skips the cache and
 * runs tiktoken's plain merge on every chunk: the twin the tests compare.
 *
 * Ids out never outnumber input bytes (every token and special is at least
 * one byte), so the output buffer is sized once per call.
 */
#include <stdlib.h>
#include <string.h>

#include "bytelevel/bytelevel.h"
#include "bytelevel/pretok.h"

/* Chunks longer than this are merged without the cache: they are rare,
 * and a long key would fill the arena for one use. */
#define CACHE_MAX_CHUNK 256

/* Chunks that missed the cache wait here, up to this many, to be merged
 * in turns (merge_small.c's sp_bl_merge_queued). */
#define QUEUE 32

typedef struct bl_encoder {
    const spbpe_bytelevel *bl;
    spbpe_workspace *ws;
    int reference;
    size_t count;            /* ids written to ws->ids, counting the room held for queued chunks */
    spbpe_error *err;
    int may_queue;           /* not the reference path, and the table has a pair table */
    size_t queued;
    sp_bl_queued queue[QUEUE];
} bl_encoder;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define BL_LITTLE_ENDIAN 1
#else
#define BL_LITTLE_ENDIAN 0
#endif

/* The n bytes (1..8) at s as a little-endian word, zero above them.  With
 * room >= 8 (8 bytes may be read from s) on a little-endian machine it is
 * one load and a mask, without the branches on n that a byte-exact read
 * takes; otherwise the bytes one by one (the same value). */
static inline uint64_t short_word(const uint8_t *s, size_t n, size_t room) {
    uint64_t w = 0;
    if (BL_LITTLE_ENDIAN && room >= 8) {
        memcpy(&w, s, 8);
        return w & (~(uint64_t)0 >> (64 - 8 * n));
    }
    for (size_t i = 0; i < n; i++) w |= (uint64_t)s[i] << (8 * i);
    return w;
}

/* The hash a chunk's cache entry is keyed by, or 0 when the chunk is not
 * cached (one byte: its rank is a table load; too long: see above).  room
 * is how many bytes may be read from s (>= n).  A chunk of up to 8 bytes
 * (most are) is hashed from its short_word with one multiply; this
 * engine's cache entries are keyed by this hash alone (the cache is reset
 * when another model, the SentencePiece engine's included, fills it). */
static inline uint64_t chunk_hash(const uint8_t *s, size_t n, size_t room) {
    if (n < 2 || n > CACHE_MAX_CHUNK) return 0;
    if (n <= 8) return sp_hash_mix(short_word(s, n, room) ^ 0x8ebc6af09c88c6e3ULL, 0xe7037ed1a0b428dbULL ^ (uint64_t)n);
    return sp_hash_bytes(s, n);
}

/* Put chunk s[0..n) (hash h) and its ranks in the word cache. */
static int remember(bl_encoder *e, const uint8_t *s, size_t n, uint64_t h, const int32_t *ranks, size_t m) {
    spbpe_workspace *ws = e->ws;
    if (sp_reserve((void **)&ws->seg_toks, &ws->seg_toks_cap, 2 * m, sizeof *ws->seg_toks))
        return sp_fail(e->err, SPBPE_ERR_NOMEM, 0, "out of memory");
    for (size_t i = 0; i < m; i++) {
        ws->seg_toks[2 * i] = 0;
        ws->seg_toks[2 * i + 1] = ranks[i];
    }
    if (sp_cache_put(&ws->cache, s, n, h, ws->seg_toks, m)) return sp_fail(e->err, SPBPE_ERR_NOMEM, 0, "out of memory");
    return SPBPE_OK;
}

/* Merge the queued chunks, each into the room held for it, remember them,
 * and close the gaps their room left: the ids after each move down to
 * follow its ranks. */
static int flush_queue(bl_encoder *e) {
    size_t count = e->queued;
    if (!count) return SPBPE_OK;
    e->queued = 0;
    sp_bl_queued *q = e->queue;
    int32_t *ids = e->ws->ids;
    sp_bl_merge_queued(e->bl, q, count, ids);
    for (size_t k = 0; k < count; k++) {
        int st = remember(e, q[k].s, q[k].n, q[k].hash, ids + q[k].at, q[k].got);
        if (st) return st;
    }
    size_t to = q[0].at;
    for (size_t k = 0; k < count; k++) {
        memmove(ids + to, ids + q[k].at, q[k].got * sizeof *ids);
        to += q[k].got;
        size_t from = (size_t)q[k].at + q[k].n, end = k + 1 < count ? q[k + 1].at : e->count;
        memmove(ids + to, ids + from, (end - from) * sizeof *ids);
        to += end - from;
    }
    e->count = to;
    return SPBPE_OK;
}

/* Hold room for a chunk of 2..SP_BL_QUEUED_CHUNK bytes that missed the cache
 * (ranks never outnumber bytes) and queue it; merge the queue when full. */
static int enqueue(bl_encoder *e, const uint8_t *s, size_t n, uint64_t h) {
    sp_bl_queued *q = &e->queue[e->queued++];
    q->s = s;
    q->n = (uint32_t)n;
    q->at = (uint32_t)e->count;
    q->got = 0;
    q->hash = h;
    e->count += n;
    return e->queued == QUEUE ? flush_queue(e) : SPBPE_OK;
}

/* Encode one chunk; h is chunk_hash(s, n, room) (unused on the reference path). */
static int encode_chunk(bl_encoder *e, const uint8_t *s, size_t n, uint64_t h) {
    if (!n) return SPBPE_OK; /* an empty match of a custom pattern (tiktoken would panic) */
    const spbpe_bytelevel *bl = e->bl;
    spbpe_workspace *ws = e->ws;
    int32_t *out = ws->ids + e->count;
    if (e->reference) {
        int32_t r = sp_bl_rank_of(bl, s, n);
        if (r >= 0) {
            out[0] = r;
            e->count++;
            return SPBPE_OK;
        }
        int64_t m = sp_bl_merge(bl, s, n, 1, ws, out, e->err);
        if (m < 0) return (int)-m;
        e->count += (size_t)m;
        return SPBPE_OK;
    }
    if (n == 1 && bl->byte_rank[s[0]] >= 0) {
        out[0] = bl->byte_rank[s[0]];
        e->count++;
        return SPBPE_OK;
    }
    if (h) {
        size_t got;
        const int32_t *toks = sp_cache_find(&ws->cache, s, n, h, &got); /* the second level: l1_hit missed */
        if (toks) {
            for (size_t i = 0; i < got; i++) out[i] = toks[2 * i + 1];
            e->count += got;
            return SPBPE_OK;
        }
    }
    if (h && e->may_queue && n <= SP_BL_QUEUED_CHUNK) return enqueue(e, s, n, h);
    int32_t r = sp_bl_rank_of(bl, s, n);
    int64_t m = 1;
    if (r >= 0) out[0] = r;
    else if ((m = sp_bl_merge(bl, s, n, 0, ws, out, e->err)) < 0)
        return (int)-m;
    if (h) {
        int st = remember(e, s, n, h, out, (size_t)m);
        if (st) return st;
    }
    e->count += (size_t)m;
    return SPBPE_OK;
}

/* The first level of the word cache (encode/word_cache.c's sp_cache_find,
 * its first probe, inline here): when chunk s[0..n), hash h (nonzero),
 * room bytes readable from s, is in its direct-mapped slot, append its
 * ranks and return 1; else 0, and encode_chunk does the full lookup.  Most
 * chunks of a warm cache end here, without the two calls. */
static inline int l1_hit(bl_encoder *e, const uint8_t *s, size_t n, uint64_t h, size_t room) {
    sp_l1_slot *fast = e->ws->cache.l1;
    if (!fast) return 0;
    fast += (h >> 20) & (SP_L1_SLOTS - 1);
    if (fast->hash != ((uint32_t)(h >> 32) | 1u) || fast->key_len != n) return 0;
    _Static_assert(SP_L1_KEY >= 8, "8 bytes may be read from a first-level key");
    if (n <= 8 ? short_word(fast->key, n, SP_L1_KEY) != short_word(s, n, room) : !sp_bytes_equal(fast->key, s, n))
        return 0;
    fast->misses = 0;
    int32_t *out = e->ws->ids + e->count;
    /* all SP_L1_TOKENS ranks, without a loop exit that depends on the
     * count (the buffer has room: sp_bl_encode); the count says how many */
    for (size_t i = 0; i < SP_L1_TOKENS; i++) out[i] = fast->toks[2 * i + 1];
    e->count += fast->tok_count;
    return 1;
}

/* Pre-tokenize text[0..n) with the table's built-in pattern and encode
 * every chunk.  The pre-tokenizer runs AHEAD chunks in front of the
 * encoder, hashing each chunk and prefetching its word-cache slot, and
 * HALF chunks later its entry, so a multilingual text's cache misses (its
 * distinct chunks outgrow the CPU caches) overlap instead of coming one
 * after another.  The order of the output does not change. */
static int encode_stretch(bl_encoder *e, const uint8_t *text, size_t n) {
    enum { AHEAD = 8, HALF = 4 }; /* chunks found ahead of the one encoded; its entry is prefetched HALF ahead */
    size_t begin[AHEAD], end[AHEAD];
    uint64_t hash[AHEAD];
    const sp_word_cache *cache = &e->ws->cache;
    sp_pretok_kind kind = (sp_pretok_kind)e->bl->pretok;
    int cached = !e->reference;
    size_t pos = 0, found = 0, done = 0; /* chunks found, and encoded, so far: chunk i is in slot i % AHEAD */
    for (;;) {
        while (pos < n && found - done < AHEAD) {
            size_t stop = sp_pretok_next(kind, text, n, pos);
            if (stop <= pos || stop > n) return sp_fail(e->err, SPBPE_ERR_INTERNAL, pos, "pre-tokenizer did not advance");
            size_t r = found++ % AHEAD;
            begin[r] = pos;
            end[r] = stop;
            hash[r] = cached ? chunk_hash(text + pos, stop - pos, n - pos) : 0;
            sp_cache_prefetch(cache, hash[r]);
            pos = stop;
        }
        if (done == found) return SPBPE_OK;
        if (done + HALF < found) sp_cache_prefetch_entry(cache, hash[(done + HALF) % AHEAD]);
        size_t r = done++ % AHEAD;
        if (hash[r]) {
            if (l1_hit(e, text + begin[r], end[r] - begin[r], hash[r], n - begin[r])) continue;
        } else if (end[r] - begin[r] == 1 && e->bl->byte_rank[text[begin[r]]] >= 0) {
            e->ws->ids[e->count++] = e->bl->byte_rank[text[begin[r]]];
            continue;
        }
        int st = encode_chunk(e, text + begin[r], end[r] - begin[r], hash[r]);
        if (st) return st;
    }
}

static int emit_special(bl_encoder *e, int32_t k) {
    e->ws->ids[e->count++] = e->bl->special_id[k];
    return SPBPE_OK;
}

static int encode_with_chunks(bl_encoder *e, const uint8_t *text, size_t len, const uint32_t *chunks, size_t count) {
    size_t prev_end = 0;
    for (size_t i = 0; i < count; i++) {
        int special = (chunks[2 * i] & SP_BL_SPECIAL_BIT) != 0;
        size_t a = chunks[2 * i] & ~SP_BL_SPECIAL_BIT, b = chunks[2 * i + 1];
        /* in order and disjoint: then ids never outnumber the text's bytes */
        if (a < prev_end || a > b || b > len)
            return sp_fail(e->err, SPBPE_ERR_INVALID_ARGUMENT, i,
                           "chunk %zu [%zu, %zu) is outside the text or overlaps the one before", i, a, b);
        prev_end = b;
        int st;
        if (special) {
            int32_t k = sp_bl_special_of(e->bl, text + a, b - a);
            if (k < 0) return sp_fail(e->err, SPBPE_ERR_INVALID_ARGUMENT, i, "chunk %zu is not a special token", i);
            st = emit_special(e, k);
        } else {
            st = encode_chunk(e, text + a, b - a, e->reference ? 0 : chunk_hash(text + a, b - a, len - a));
        }
        if (st) return st;
    }
    return SPBPE_OK;
}

static int has_mode(const spbpe_bytelevel *bl, const uint8_t *modes, int mode) {
    if (!modes) return 0;
    for (size_t k = 0; k < bl->special_count; k++)
        if (modes[k] == mode) return 1;
    return 0;
}

int sp_bl_encode(const spbpe_bytelevel *bl, const uint8_t *text, size_t len, const spbpe_bytelevel_options *opt,
                 spbpe_workspace *ws, spbpe_bytelevel_ids *out, spbpe_error *err) {
    out->ids = NULL;
    out->count = 0;
    out->disallowed = -1;
    out->disallowed_at = 0;
    if (len > SP_MAX_INPUT)
        return sp_fail(err, SPBPE_ERR_LIMIT, 0, "text of %zu bytes is larger than %zu", len, (size_t)SP_MAX_INPUT);
    /* + SP_L1_TOKENS: l1_hit copies a whole first-level slot's ranks */
    if (sp_reserve((void **)&ws->ids, &ws->ids_cap, len + 1 + SP_L1_TOKENS, sizeof *ws->ids))
        return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    if (ws->cache.generation != bl->generation) sp_cache_reset(&ws->cache, bl->generation);
    bl_encoder e;
    e.bl = bl;
    e.ws = ws;
    e.reference = opt && opt->reference_path;
    e.count = 0;
    e.err = err;
    e.may_queue = !e.reference && bl->pairs;
    e.queued = 0;
    const uint8_t *modes = opt ? opt->special_modes : NULL;
    int st;
    if (opt && opt->chunks) {
        st = encode_with_chunks(&e, text, len, opt->chunks, opt->chunk_count);
    } else {
        if (!bl->pretok) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "this table has no pre-tokenizer: pass chunks");
        if (has_mode(bl, modes, SP_BL_DISALLOWED)) {
            int32_t k;
            size_t at = sp_bl_find_special(bl, modes, SP_BL_DISALLOWED, text, len, 0, &k);
            if (k >= 0) {
                out->disallowed = k;
                out->disallowed_at = at;
                return SPBPE_OK;
            }
        }
        if (!has_mode(bl, modes, SP_BL_ALLOWED)) modes = NULL;
        size_t start = 0;
        for (;;) {
            int32_t k;
            size_t at = sp_bl_find_special(bl, modes, SP_BL_ALLOWED, text, len, start, &k);
            if ((st = encode_stretch(&e, text + start, at - start))) break;
            if (k < 0) break;
            emit_special(&e, k);
            start = at + (bl->special_off[k + 1] - bl->special_off[k]);
        }
    }
    if (!st) st = flush_queue(&e);
    if (st) return st;
    out->ids = ws->ids;
    out->count = e.count;
    return SPBPE_OK;
}

SP_API int spbpe_bytelevel_builtin_pretok(void) { return 1; }

SP_API int spbpe_bytelevel_encode(const spbpe_bytelevel *bl, const uint8_t *text, size_t len,
                                  const spbpe_bytelevel_options *options, spbpe_workspace *ws, spbpe_bytelevel_ids *out,
                                  spbpe_error *err) {
    sp_clear_error(err);
    if (!bl || !ws || !out || (!text && len)) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    return sp_bl_encode(bl, text ? text : (const uint8_t *)"", len, options, ws, out, err);
}

/* ---------------------------------------------------------------- decode */

int sp_bl_decode_table(spbpe_bytelevel *bl, spbpe_error *err) {
    uint32_t limit = bl->id_limit;
    bl->dec = calloc((size_t)limit + 1, SP_BL_DEC_SIZE);
    if (!bl->dec) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    for (uint32_t id = 0; id < limit; id++) {
        uint8_t *rec = bl->dec + (size_t)id * SP_BL_DEC_SIZE;
        uint32_t off = bl->off[id], n = bl->off[id + 1] - off;
        if (!bl->kind[id]) continue;
        if (n <= SP_BL_DEC_INLINE) {
            if (n) memcpy(rec, bl->arena + off, n);
            rec[SP_BL_DEC_SIZE - 1] = (uint8_t)(n + 1);
        } else {
            memcpy(rec, &off, 4);
            memcpy(rec + 4, &n, 4);
            rec[SP_BL_DEC_SIZE - 1] = SP_BL_DEC_LONG;
        }
    }
    return SPBPE_OK;
}

static int no_token(const int32_t *ids, size_t i, spbpe_error *err) {
    return sp_fail(err, SPBPE_ERR_OUT_OF_RANGE, i, "token %ld is not in the vocabulary", (long)ids[i]);
}

/* One pass: each id's record (one cache line) gives a short token's bytes
 * and length, copied with one fixed 16-byte move (the buffer keeps 16
 * bytes of slack), or where a long one's bytes are (it was two loads from
 * two tables: 1.1-1.5x slower; prefetching records ahead gained nothing
 * measurable).  Room is reserved for about four bytes an id and grown when
 * the text needs more, so no first pass over the ids is needed to size
 * the buffer. */
int sp_bl_decode_append(const spbpe_bytelevel *bl, const int32_t *ids, size_t count, uint8_t **buf, size_t *len,
                        size_t *cap, spbpe_error *err) {
    if (sp_reserve((void **)buf, cap, *len + 4 * count + 64, 1)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    const uint8_t *dec = bl->dec;
    uint32_t limit = bl->id_limit;
    size_t at = *len;
    uint8_t *out = *buf;
    size_t room = *cap - 16; /* bytes that may be written before the slack */
    for (size_t i = 0; i < count; i++) {
        uint32_t id = (uint32_t)ids[i];
        if (SP_UNLIKELY(id >= limit)) return no_token(ids, i, err);
        const uint8_t *rec = dec + (size_t)id * SP_BL_DEC_SIZE;
        unsigned tag = rec[SP_BL_DEC_SIZE - 1];
        if (SP_UNLIKELY(tag - 1u >= SP_BL_DEC_INLINE + 1u || at + SP_BL_DEC_INLINE > room)) {
            if (!tag) return no_token(ids, i, err);
            uint32_t off = 0, n = tag - 1u;
            const uint8_t *src = rec;
            if (tag == SP_BL_DEC_LONG) {
                memcpy(&off, rec, 4);
                memcpy(&n, rec + 4, 4);
                src = bl->arena + off;
            }
            if (at + n > room) {
                if (sp_reserve((void **)buf, cap, at + n + 4 * (count - i) + 64, 1))
                    return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
                out = *buf;
                room = *cap - 16;
            }
            memcpy(out + at, src, n);
            at += n;
            continue;
        }
        memcpy(out + at, rec, 16);
        at += tag - 1u;
    }
    *len = at;
    return SPBPE_OK;
}

SP_API int spbpe_bytelevel_decode(const spbpe_bytelevel *bl, const int32_t *ids, size_t count, spbpe_workspace *ws,
                                  spbpe_decoded *out, spbpe_error *err) {
    sp_clear_error(err);
    if (!bl || !ws || !out || (!ids && count)) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    ws->out_len = 0;
    int st = sp_bl_decode_append(bl, ids, count, &ws->out, &ws->out_len, &ws->out_cap, err);
    if (st) return st;
    out->text = ws->out;
    out->len = ws->out_len;
    return SPBPE_OK;
}

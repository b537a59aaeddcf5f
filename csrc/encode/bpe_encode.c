/*
 * bpe_encode.c - sentencepiece's BPE encoder (bpe_model.cc SampleEncode and
 * sentencepiece_processor.cc PopulateSentencePieceText), byte for byte.
 *
 * The normalized text is split into initial symbols (one UTF-8 character,
 * or one frozen user-defined match).  Every adjacent pair whose
 * concatenation is a normal-map piece goes on a max-heap ordered by the
 * piece's score (in sentencepiece's order of score bits, sp_merge_key), ties
 * broken by the smaller left symbol index.  Popped
 * entries whose symbols changed since the push are stale and skipped; the
 * rest merge the right symbol into the left one and push the two new
 * neighbour pairs.  Merged UNUSED pieces are split back into the halves
 * recorded when they were pushed (last push wins, as in sentencepiece).
 * Characters outside the vocabulary become byte pieces (byte_fallback) or
 * one <unk> per run.  Heap operations are O(log n), so encode is O(n log n).
 *
 * Shortcuts, all exact and all off under `reference_path`: for a fast_words
 * model (model.c) the text is encoded word by word, a word being a segment
 * that starts before a run of U+2581, with each word's result kept in the
 * workspace's word cache (word_cache.c); long segments are first cut
 * wherever no piece holds the characters on both sides (char_pairs.c); and
 * "do these two pieces merge" is answered by id from the workspace's pair
 * memo (pair_memo.c) instead of by hashing their bytes.  Which shortcut a
 * piece of text takes depends on its size, decided in sp_strategy alone.
 */
#include <stdlib.h>
#include <string.h>

#include "encode/encode.h"
#include "unigram/unigram.h"

/* ----------------------------------------------------------------- heap */

static inline int higher(const sp_agenda_item *a, const sp_agenda_item *b) {
    return a->key > b->key || (a->key == b->key && a->left < b->left);
}

static void heap_push(sp_agenda_item *h, size_t *n, sp_agenda_item item) {
    size_t i = (*n)++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!higher(&item, &h[parent])) break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = item;
}

static sp_agenda_item heap_pop(sp_agenda_item *h, size_t *n) {
    sp_agenda_item top = h[0];
    sp_agenda_item last = h[--(*n)];
    size_t i = 0, count = *n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= count) break;
        if (c + 1 < count && higher(&h[c + 1], &h[c])) c++;
        if (!higher(&h[c], &last)) break;
        h[i] = h[c];
        i = c;
    }
    if (count) h[i] = last;
    return top;
}

/* ------------------------------------------------------------- merging */

typedef struct encoder {
    const spbpe_model *m;
    const uint8_t *text;
    sp_symbol *sym;
    sp_agenda_item *heap;
    size_t heap_len;
    uint64_t *rev;           /* UNUSED splits: rev[id] = left length + 1, 0 = none */
    int32_t *touched;        /* ids set in rev during this call (in ws->stack's tail) */
    size_t touched_len;
    int reference;           /* string lookups only: the plain algorithm */
    sp_pair_memo *memo;      /* NULL: every pair is a string lookup */
    uint64_t steps;          /* heap pushes + pops (spbpe_encoding.merge_steps) */
} encoder;

/* The piece the neighbours sym[left] and sym[right] merge into, or -1. */
static inline int32_t pair_merge(encoder *e, const sp_symbol *l, const sp_symbol *r) {
    if (l->frozen || r->frozen) return -1;
    uint32_t size = l->len + r->len;
    /* Two pieces' bytes are their ids' strings, so the memo answers by id;
     * symbols outside the vocabulary ask the string table. */
    if (e->reference) return sp_lookup_normal(e->m, e->text + l->start, size);
    if (l->id >= 0 && r->id >= 0 && e->memo)
        return sp_pair_memo_merge(e->memo, e->m, l->id, r->id, e->text + l->start, size);
    if ((l->id < 0 || r->id < 0) && e->m->closed_chars)
        return -1; /* a symbol outside the vocabulary never merges in such a model */
    return sp_lookup_normal(e->m, e->text + l->start, size);
}

static void maybe_push(encoder *e, int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const sp_symbol *l = &e->sym[left], *r = &e->sym[right];
    int32_t merged = pair_merge(e, l, r);
    if (merged < 0) return;
    sp_agenda_item it = {.key = e->m->merge_key[merged], .left = left, .right = right, .size = l->len + r->len,
                         .merged = merged};
    heap_push(e->heap, &e->heap_len, it);
    e->steps++;
    if (SP_UNLIKELY(e->m->type[merged] == SPBPE_PIECE_UNUSED)) {
        if (!e->rev[merged]) e->touched[e->touched_len++] = merged;
        e->rev[merged] = (uint64_t)l->len + 1;
    }
}

/* ------------------------------------------------------ strategy by size */

/* The size thresholds of the shortcuts, used only by sp_strategy below
 * (and as the bounds of the buffers they size). */
#define SP_CUT_MIN_SEGMENT 40    /* longer word-split segments are cut first */
#define SP_CACHE_MAX_SEGMENT 128 /* longer units are not cached */
#define SP_SMALL_WORD 16         /* cached segments of more symbols use the heap */

typedef enum {
    SP_USE_CACHE,  /* hash the text and reuse (or record) its tokens in the word cache */
    SP_CUT_FIRST,  /* cut where no piece holds the characters on both sides, then ask for each unit */
    SP_NO_CACHE,   /* merge without the cache */
    SP_MERGE_SCAN, /* merge by scanning the current pairs (merge_small) */
    SP_MERGE_HEAP  /* merge with the heap (run_merges) */
} sp_strategy_kind;

typedef enum {
    SP_SIZE_SEGMENT, /* bytes of a segment from the split before U+2581 runs */
    SP_SIZE_UNIT,    /* bytes of a unit cut out of a longer segment */
    SP_SIZE_SYMBOLS  /* initial symbols of a segment that goes to the cache */
} sp_size_of;

/* The one place that chooses the strategy by size, as tiktoken's
 * byte_pair_encode does; every choice gives the same tokens, only the work
 * differs.  On the word-split path (fast_words models, no dropout) it is
 * asked up to three times, each with what is known by then:
 *  - a segment of at most 40 bytes (nearly every word) goes to the word
 *    cache whole; a longer one (runs without spaces: CJK, code, URLs) is
 *    first cut at the points no merge can cross (char_pairs.c), since a
 *    long key is rarely seen twice and its merges stay local anyway;
 *  - a unit so cut is cached up to 128 bytes (a key's bound in the cache
 *    and in seg_toks) and merged without the cache beyond;
 *  - a cached segment of at most 16 initial symbols merges by scanning its
 *    few pairs, which beats heap pushes and pops at that size; a longer one
 *    uses the heap, which keeps the merge loop O(n log n).
 * The plain path (reference_path, dropout, models without fast_words)
 * asks nothing: one uncached heap merge over the whole text. */
static inline sp_strategy_kind sp_strategy(sp_size_of what, size_t size) {
    switch (what) {
    case SP_SIZE_SEGMENT: return size <= SP_CUT_MIN_SEGMENT ? SP_USE_CACHE : SP_CUT_FIRST;
    case SP_SIZE_UNIT: return size <= SP_CACHE_MAX_SEGMENT ? SP_USE_CACHE : SP_NO_CACHE;
    case SP_SIZE_SYMBOLS: return size <= SP_SMALL_WORD ? SP_MERGE_SCAN : SP_MERGE_HEAP;
    }
    return SP_MERGE_HEAP;
}

/* run_merges for a short word of a model without UNUSED pieces, with no
 * dropout: the same choice at every step (the best score, then the leftmost
 * pair), found by scanning the few current pairs, which beats heap pushes
 * and pops at this size.  Symbols stay packed in sym[0..count); returns the
 * new count and links them in order. */
static int32_t merge_small(encoder *e, int32_t count) {
    sp_symbol *sym = e->sym;
    const uint32_t *keys = e->m->merge_key;
    int32_t merged[SP_SMALL_WORD];
    for (int32_t i = 0; i + 1 < count; i++) merged[i] = pair_merge(e, &sym[i], &sym[i + 1]);
    e->steps += (uint64_t)count;
    for (;;) {
        int32_t best = -1;
        for (int32_t i = 0; i + 1 < count; i++)
            if (merged[i] >= 0 && (best < 0 || keys[merged[i]] > keys[merged[best]])) best = i;
        if (best < 0) break;
        sym[best].len += sym[best + 1].len;
        sym[best].id = merged[best];
        for (int32_t i = best + 1; i + 1 < count; i++) {
            sym[i] = sym[i + 1];
            merged[i] = merged[i + 1];
        }
        count--;
        if (best > 0) merged[best - 1] = pair_merge(e, &sym[best - 1], &sym[best]);
        if (best + 1 < count) merged[best] = pair_merge(e, &sym[best], &sym[best + 1]);
        e->steps += 2;
    }
    for (int32_t i = 0; i < count; i++) {
        sym[i].prev = i - 1;
        sym[i].next = i + 1 < count ? i + 1 : -1;
    }
    return count;
}

/* splitmix64: a tiny, seedable generator local to the call. */
static inline double next_uniform(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

typedef struct emitter {
    const spbpe_model *m;
    const uint8_t *text;
    const uint32_t *align;
    spbpe_workspace *ws;
    size_t count;
    int prev_is_unk;
    int spans;               /* record normalized and original spans */
} emitter;

static void emit(emitter *o, uint32_t b, uint32_t len, int32_t id) {
    spbpe_workspace *ws = o->ws;
    int is_unk = id < 0;
    if (SP_LIKELY(!is_unk && !o->spans)) {
        ws->ids[o->count++] = id;
        o->prev_is_unk = 0;
        return;
    }
    uint32_t e = b + len;
    uint32_t ob = o->spans ? o->align[b] : 0, oe = o->spans ? o->align[e] : 0;
    if (is_unk && o->m->info.byte_fallback) {
        for (uint32_t i = 0; i < len; i++) {
            size_t k = o->count++;
            ws->ids[k] = o->m->byte_id[o->text[b + i]];
            if (o->spans) {
                ws->nb[k] = b + i;
                ws->ne[k] = b + i + 1;
                ws->ob[k] = ob;
                ws->oe[k] = (i + 1 == len) ? oe : ob;
            }
        }
    } else if (is_unk && o->prev_is_unk && o->count > 0) {
        if (o->spans) {
            ws->ne[o->count - 1] = e;
            ws->oe[o->count - 1] = oe;
        }
    } else {
        size_t k = o->count++;
        ws->ids[k] = is_unk ? o->m->unk_index : id;
        if (o->spans) {
            ws->nb[k] = b;
            ws->ne[k] = e;
            ws->ob[k] = ob;
            ws->oe[k] = oe;
        }
    }
    o->prev_is_unk = is_unk;
}

/* emit() with the common case inline: a known piece, no spans. */
static inline void emit_id(emitter *o, uint32_t b, uint32_t len, int32_t id) {
    if (SP_LIKELY(id >= 0 && !o->spans)) {
        o->ws->ids[o->count++] = id;
        o->prev_is_unk = 0;
    } else {
        emit(o, b, len, id);
    }
}

/* Emit symbol [start, start+len) with normal-map id `id`, splitting UNUSED
 * pieces back into the halves recorded for them.  An UNUSED piece with no
 * recorded halves (a single character: no merge made it) is unknown, as in
 * sentencepiece, whose resegmentation finds no entry for it.  rev may be
 * NULL when no UNUSED piece was merged. */
static void resegment(emitter *o, const uint64_t *rev, int32_t *stack, uint32_t start, uint32_t len, int32_t id) {
    size_t top = 0;
    stack[top++] = (int32_t)start;
    stack[top++] = (int32_t)len;
    int first = 1;
    while (top) {
        uint32_t l = (uint32_t)stack[--top];
        uint32_t s = (uint32_t)stack[--top];
        int32_t pid = first ? id : sp_lookup_normal(o->m, o->text + s, l);
        first = 0;
        if (pid >= 0 && o->m->type[pid] == SPBPE_PIECE_UNUSED) {
            if (!rev || !rev[pid]) {
                emit(o, s, l, -1);
                continue;
            }
            uint32_t split = (uint32_t)(rev[pid] - 1);
            stack[top++] = (int32_t)(s + split);
            stack[top++] = (int32_t)(l - split);
            stack[top++] = (int32_t)s;
            stack[top++] = (int32_t)split;
            continue;
        }
        emit(o, s, l, pid);
    }
}

/* Initial symbols of t[from, to): user-defined matches (frozen) or single
 * characters.  Returns the number of symbols. */
static int32_t init_symbols(const spbpe_model *m, const uint8_t *t, size_t from, size_t to, sp_symbol *sym,
                            int reference) {
    int32_t count = 0;
    int has_udef = m->info.has_user_defined;
    for (size_t i = from; i < to;) {
        sp_symbol *s = &sym[count];
        size_t l = has_udef ? sp_udef_match(m, t + i, to - i) : 0;
        if (l) {
            s->frozen = 1;
            s->id = sp_lookup_normal(m, t + i, l);
        } else {
            s->frozen = 0;
            l = sp_utf8_char_len(t + i, to - i);
            s->id = reference ? sp_lookup_normal(m, t + i, l) : sp_char_id(m, t + i, l);
        }
        s->start = (uint32_t)i;
        s->len = (uint32_t)l;
        s->prev = count - 1;
        s->next = count + 1;
        count++;
        i += l;
    }
    sym[count - 1].next = -1;
    return count;
}

static void run_merges(encoder *e, int32_t count, double alpha, uint64_t *rng) {
    sp_symbol *sym = e->sym;
    e->heap_len = 0;
    for (int32_t i = 1; i < count; i++) maybe_push(e, i - 1, i);
    while (e->heap_len) {
        sp_agenda_item top = heap_pop(e->heap, &e->heap_len);
        e->steps++;
        sp_symbol *l = &sym[top.left], *r = &sym[top.right];
        if (l->len == 0 || r->len == 0 || l->len + r->len != top.size) continue;
        if (alpha > 0.0 && (alpha >= 1.0 || next_uniform(rng) < alpha)) continue;
        l->len += r->len;
        l->id = top.merged;
        l->next = r->next;
        if (r->next >= 0) sym[r->next].prev = top.left;
        r->len = 0;
        maybe_push(e, l->prev, top.left);
        maybe_push(e, top.left, l->next);
    }
}

/* Encode t[from, to) as one BPE unit and emit its tokens; with the word
 * cache, reuse or record the segment's (length, id) pairs. */
static void encode_segment(encoder *e, emitter *o, size_t from, size_t to, int cached, uint64_t h, double alpha,
                          uint64_t *rng) {
    spbpe_workspace *ws = o->ws;
    size_t n = to - from;
    if (cached) {
        size_t count;
        const int32_t *toks = sp_cache_find(&ws->cache, e->text + from, n, h, &count);
        if (toks) {
            uint32_t pos = (uint32_t)from;
            for (size_t k = 0; k < count; k++) {
                emit_id(o, pos, (uint32_t)toks[2 * k], toks[2 * k + 1]);
                pos += (uint32_t)toks[2 * k];
            }
            return;
        }
    }
    int32_t count = init_symbols(e->m, e->text, from, to, e->sym, e->reference);
    if (cached && sp_strategy(SP_SIZE_SYMBOLS, (size_t)count) == SP_MERGE_SCAN) /* no UNUSED pieces, no dropout */
        merge_small(e, count);
    else
        run_merges(e, count, alpha, rng);
    const sp_symbol *sym = e->sym;
    if (cached) {
        size_t k = 0;
        for (int32_t i = 0; i >= 0; i = sym[i].next) {
            ws->seg_toks[2 * k] = (int32_t)sym[i].len;
            ws->seg_toks[2 * k + 1] = sym[i].id;
            k++;
            emit(o, sym[i].start, sym[i].len, sym[i].id);
        }
        /* Out of memory growing the cache only loses the entry: the
         * segment is encoded again when it comes back. */
        (void)sp_cache_put(&ws->cache, e->text + from, n, h, ws->seg_toks, k);
        return;
    }
    const uint64_t *rev = e->touched_len ? ws->rev : NULL;
    int has_unused = e->m->info.has_unused;
    for (int32_t i = 0; i >= 0; i = sym[i].next) {
        if (SP_UNLIKELY(has_unused))
            resegment(o, rev, ws->stack, sym[i].start, sym[i].len, sym[i].id);
        else
            emit(o, sym[i].start, sym[i].len, sym[i].id);
    }
}

/* sp_char_id of a well-formed character whose code point is known. */
static inline int32_t char_id_of(const spbpe_model *m, const uint8_t *p, size_t l, uint32_t cp) {
    if (cp < 0x80) return m->ascii_id[cp];
    if (cp < 0x10000) return m->bmp_id[cp];
    return sp_lookup_normal(m, p, l);
}

/* Encode the unit t[from, to) of `chars` characters, the last being cp. */
static inline void encode_unit(encoder *e, emitter *o, size_t from, size_t to, size_t chars, uint32_t cp) {
    const uint8_t *t = e->text;
    size_t n = to - from;
    if (chars == 1) { /* nothing to merge */
        emit_id(o, (uint32_t)from, (uint32_t)n, char_id_of(e->m, t + from, n, cp));
        return;
    }
    uint64_t unused_rng = 0;
    int cached = sp_strategy(SP_SIZE_UNIT, n) == SP_USE_CACHE;
    encode_segment(e, o, from, to, cached, cached ? sp_hash_bytes(t + from, n) : 0, 0.0, &unused_rng);
}

/* Encode the segment t[from, to) as the units between the points where no
 * merge can cross. */
static void encode_cut_segment(encoder *e, emitter *o, size_t from, size_t to) {
    const uint8_t *t = e->text;
    const sp_char_pairs *pairs = &e->m->char_pairs;
    size_t unit = from, chars = 0;
    uint32_t prev = 0;
    for (size_t i = from; i < to;) {
        size_t l = sp_utf8_char_len(t + i, to - i);
        uint32_t c = sp_utf8_wellformed_cp(t + i, l);
        if (i > unit && !sp_char_pairs_join(pairs, prev, c)) {
            encode_unit(e, o, unit, i, chars, prev);
            unit = i;
            chars = 0;
        }
        chars++;
        prev = c;
        i += l;
    }
    encode_unit(e, o, unit, to, chars, prev);
}

SP_API int spbpe_encode(const spbpe_model *m, const uint8_t *text, size_t len, const spbpe_encode_options *opt,
                        spbpe_workspace *ws, spbpe_encoding *out, spbpe_error *err) {
    sp_clear_error(err);
    if (!m || !ws || !out || (!text && len)) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    memset(out, 0, sizeof *out);
    if (m->info.model_type != 2) return sp_unigram_encode(m, text, len, opt, ws, out, err); /* unigram, char, word */
    int spans = opt && opt->with_offsets;
    int fast = m->fast_words && !(opt && (opt->alpha > 0.0 || opt->reference_path));
    int want = (spans ? SP_NORM_ALIGN : 0) | (fast ? SP_NORM_STARTS : 0);
    int st = sp_normalize_ex(&m->normalizer, text ? text : (const uint8_t *)"", len, &ws->norm, want, err);
    if (st) return st;
    const uint8_t *t = ws->norm.text;
    size_t n = ws->norm.len;
    out->normalized = t;
    out->normalized_len = n;
    if (n == 0) return SPBPE_OK;
    if (sp_workspace_grow(ws, m, n) ||
        sp_reserve((void **)&ws->seg_toks, &ws->seg_toks_cap, 2 * SP_CACHE_MAX_SEGMENT, sizeof *ws->seg_toks))
        return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory encoding %zu bytes", n);

    double alpha = opt ? opt->alpha : 0.0;
    uint64_t rng = opt ? opt->seed : 0;
    int reference = opt && opt->reference_path;
    sp_pair_memo *memo = NULL;
    if (!reference && m->piece_count < SP_MEMO_ID_LIMIT) {
        if (sp_pair_memo_prepare(&ws->memo, m)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
        memo = &ws->memo;
    }
    encoder e = {
        .m = m,
        .text = t,
        .sym = ws->sym,
        .heap = ws->heap,
        .rev = ws->rev,
        .touched = ws->stack + 2 * n + 2,
        .reference = reference,
        .memo = memo,
    };
    emitter o = {.m = m, .text = t, .align = ws->norm.align, .ws = ws, .spans = spans};

    if (fast) {
        /* Segments start before each run of U+2581 that follows another
         * character; no merge crosses such a point for this model. */
        if (ws->cache.generation != m->generation) sp_cache_reset(&ws->cache, m->generation);
        /* First the segment starts, then the segments, hashing and
         * prefetching the cache slot of one a few places ahead so its
         * memory arrives while the current one is encoded. */
        uint32_t *starts = ws->norm.starts;
        size_t count = ws->norm.starts_len; /* the identity normalizer found them on its way */
        if (!count) {
            starts = ws->seg_starts;
            starts[count++] = 0;
            for (size_t i = 1; i + 3 <= n; i++) {
                const uint8_t *hit = memchr(t + i, SP_SPACE_LEAD, n - 2 - i);
                if (!hit) break;
                i = (size_t)(hit - t);
                if (!sp_is_space_symbol(t + i) || (i >= 3 && sp_is_space_symbol(t + i - 3))) continue;
                starts[count++] = (uint32_t)i;
            }
        }
        starts[count] = (uint32_t)n;
        enum { AHEAD = 8, HALF = 4, RING = 16 }; /* RING > AHEAD: a hash is used before its slot is reused */
        uint64_t hashes[RING];
        for (size_t k = 0; k < count + AHEAD; k++) {
            if (k < count) {
                size_t seg_len = starts[k + 1] - starts[k];
                int whole = sp_strategy(SP_SIZE_SEGMENT, seg_len) == SP_USE_CACHE;
                uint64_t h = whole ? sp_hash_bytes(t + starts[k], seg_len) : 0;
                hashes[k % RING] = h;
                sp_cache_prefetch(&ws->cache, h);
            }
            if (k >= HALF && k - HALF < count) sp_cache_prefetch_entry(&ws->cache, hashes[(k - HALF) % RING]);
            if (k >= AHEAD) {
                size_t j = k - AHEAD;
                size_t seg_len = starts[j + 1] - starts[j];
                if (sp_strategy(SP_SIZE_SEGMENT, seg_len) == SP_USE_CACHE)
                    encode_segment(&e, &o, starts[j], starts[j + 1], 1, hashes[j % RING], 0.0, &rng);
                else
                    encode_cut_segment(&e, &o, starts[j], starts[j + 1]);
            }
        }
    } else {
        encode_segment(&e, &o, 0, n, 0, 0, alpha, &rng);
        for (size_t k = 0; k < e.touched_len; k++) ws->rev[e.touched[k]] = 0;
    }

    out->ids = ws->ids;
    out->count = o.count;
    out->merge_steps = e.steps;
    if (opt && opt->with_offsets) {
        out->norm_begin = ws->nb;
        out->norm_end = ws->ne;
        out->orig_begin = ws->ob;
        out->orig_end = ws->oe;
    }
    return SPBPE_OK;
}

SP_API int64_t spbpe_encode_to(const spbpe_model *m, const uint8_t *text, size_t len, spbpe_workspace *ws,
                               int32_t *dst, size_t cap, spbpe_error *err) {
    spbpe_encoding enc;
    int st = spbpe_encode(m, text, len, NULL, ws, &enc, err);
    if (st) return -(int64_t)st;
    if (enc.count > cap)
        return -(int64_t)sp_fail(err, SPBPE_ERR_LIMIT, 0, "%zu ids do not fit in room for %zu", enc.count, cap);
    if (enc.count) {
        if (!dst) return -(int64_t)sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
        memcpy(dst, enc.ids, enc.count * sizeof *dst);
    }
    return (int64_t)enc.count;
}

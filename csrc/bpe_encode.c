/*
 * bpe_encode.c - sentencepiece's BPE encoder (bpe_model.cc SampleEncode and
 * sentencepiece_processor.cc PopulateSentencePieceText), byte for byte.
 *
 * The normalized text is split into initial symbols (one UTF-8 character,
 * or one frozen user-defined match).  Every adjacent pair whose
 * concatenation is a normal-map piece goes on a max-heap ordered by the
 * piece's float score, ties broken by the smaller left symbol index.  Popped
 * entries whose symbols changed since the push are stale and skipped; the
 * rest merge the right symbol into the left one and push the two new
 * neighbour pairs.  Merged UNUSED pieces are split back into the halves
 * recorded when they were pushed (last push wins, as in sentencepiece).
 * Characters outside the vocabulary become byte pieces (byte_fallback) or
 * one <unk> per run.  Heap operations are O(log n), so encode is O(n log n).
 */
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* ------------------------------------------------------------ workspace */

SP_API spbpe_workspace *spbpe_workspace_new(void) { return calloc(1, sizeof(spbpe_workspace)); }

SP_API void spbpe_workspace_free(spbpe_workspace *ws) {
    if (!ws) return;
    sp_normbuf_release(&ws->norm);
    sp_normbuf_release(&ws->denorm);
    free(ws->sym);
    free(ws->heap);
    free(ws->ids);
    free(ws->nb);
    free(ws->ne);
    free(ws->ob);
    free(ws->oe);
    free(ws->stack);
    free(ws->rev);
    free(ws->out);
    free(ws);
}

SP_API int spbpe_normalize(const spbpe_model *m, const uint8_t *text, size_t len, spbpe_workspace *ws,
                           spbpe_normalized *out, spbpe_error *err) {
    sp_clear_error(err);
    if (!m || !ws || !out || (!text && len)) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    int st = sp_normalize(&m->normalizer, text, len, &ws->norm, err);
    if (st) return st;
    out->text = ws->norm.text;
    out->len = ws->norm.len;
    out->norm_to_orig = ws->norm.align;
    out->norm_to_orig_count = ws->norm.align_len;
    return SPBPE_OK;
}

/* ----------------------------------------------------------------- heap */

static inline int higher(const sp_agenda_item *a, const sp_agenda_item *b) {
    return a->score > b->score || (a->score == b->score && a->left < b->left);
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
} encoder;

static void maybe_push(encoder *e, int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const sp_symbol *l = &e->sym[left], *r = &e->sym[right];
    if (l->frozen || r->frozen) return;
    uint32_t size = l->len + r->len;
    int32_t merged;
    if (l->id >= 0 && r->id >= 0 && size <= SP_PAIR_MAX_BYTES)
        merged = sp_pair_lookup(e->m, l->id, r->id);
    else
        merged = sp_lookup_normal(e->m, e->text + l->start, size);
    if (merged < 0) return;
    sp_agenda_item it = {e->m->score[merged], left, right, size, merged};
    heap_push(e->heap, &e->heap_len, it);
    if (SP_UNLIKELY(e->m->type[merged] == SPBPE_PIECE_UNUSED)) {
        if (!e->rev[merged]) e->touched[e->touched_len++] = merged;
        e->rev[merged] = (uint64_t)l->len + 1;
    }
}

/* splitmix64: a tiny, seedable generator local to the call. */
static inline double next_uniform(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

static int grow_workspace(spbpe_workspace *ws, const spbpe_model *m, size_t n) {
    /* n = normalized length: at most n symbols, at most n output tokens, and
     * at most 3n heap entries alive (n - 1 initial pairs + 2 per merge). */
    if (sp_reserve((void **)&ws->sym, &ws->sym_cap, n, sizeof *ws->sym)) return -1;
    if (sp_reserve((void **)&ws->heap, &ws->heap_cap, 3 * n + 1, sizeof *ws->heap)) return -1;
    if (sp_reserve((void **)&ws->ids, &ws->ids_cap, n, sizeof *ws->ids)) return -1;
    size_t cap = ws->span_cap;
    if (sp_reserve((void **)&ws->nb, &cap, n, sizeof(uint32_t))) return -1;
    cap = ws->span_cap;
    if (sp_reserve((void **)&ws->ne, &cap, n, sizeof(uint32_t))) return -1;
    cap = ws->span_cap;
    if (sp_reserve((void **)&ws->ob, &cap, n, sizeof(uint32_t))) return -1;
    cap = ws->span_cap;
    if (sp_reserve((void **)&ws->oe, &cap, n, sizeof(uint32_t))) return -1;
    ws->span_cap = cap;
    /* stack: resegmentation work items (2 per level) + touched UNUSED ids */
    if (sp_reserve((void **)&ws->stack, &ws->stack_cap, 2 * n + 2 + (m->info.has_unused ? (size_t)m->piece_count : 0),
                   sizeof *ws->stack))
        return -1;
    if (m->info.has_unused && ws->rev_cap < (size_t)m->piece_count) {
        free(ws->rev);
        ws->rev = calloc((size_t)m->piece_count, sizeof *ws->rev);
        if (!ws->rev) {
            ws->rev_cap = 0;
            return -1;
        }
        ws->rev_cap = (size_t)m->piece_count;
    }
    return 0;
}

typedef struct emitter {
    const spbpe_model *m;
    const uint8_t *text;
    const uint32_t *align;
    spbpe_workspace *ws;
    size_t count;
    int prev_is_unk;
} emitter;

static void emit(emitter *o, uint32_t b, uint32_t len, int32_t id) {
    spbpe_workspace *ws = o->ws;
    uint32_t e = b + len;
    uint32_t ob = o->align[b], oe = o->align[e];
    int is_unk = id < 0;
    if (is_unk && o->m->info.byte_fallback) {
        for (uint32_t i = 0; i < len; i++) {
            size_t k = o->count++;
            ws->ids[k] = o->m->byte_id[o->text[b + i]];
            ws->nb[k] = b + i;
            ws->ne[k] = b + i + 1;
            ws->ob[k] = ob;
            ws->oe[k] = (i + 1 == len) ? oe : ob;
        }
    } else if (is_unk && o->prev_is_unk && o->count > 0) {
        ws->ne[o->count - 1] = e;
        ws->oe[o->count - 1] = oe;
    } else {
        size_t k = o->count++;
        ws->ids[k] = is_unk ? o->m->unk_index : id;
        ws->nb[k] = b;
        ws->ne[k] = e;
        ws->ob[k] = ob;
        ws->oe[k] = oe;
    }
    o->prev_is_unk = is_unk;
}

/* Emit symbol [start, start+len) with normal-map id `id`, splitting UNUSED
 * pieces back into the halves recorded for them. */
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
        if (pid >= 0 && o->m->type[pid] == SPBPE_PIECE_UNUSED && rev && rev[pid]) {
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

SP_API int spbpe_encode(const spbpe_model *m, const uint8_t *text, size_t len, const spbpe_encode_options *opt,
                        spbpe_workspace *ws, spbpe_encoding *out, spbpe_error *err) {
    sp_clear_error(err);
    if (!m || !ws || !out || (!text && len)) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    memset(out, 0, sizeof *out);
    int st = sp_normalize(&m->normalizer, text ? text : (const uint8_t *)"", len, &ws->norm, err);
    if (st) return st;
    const uint8_t *t = ws->norm.text;
    size_t n = ws->norm.len;
    out->normalized = t;
    out->normalized_len = n;
    if (n == 0) return SPBPE_OK;
    if (grow_workspace(ws, m, n)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory encoding %zu bytes", n);

    /* Initial symbols. */
    sp_symbol *sym = ws->sym;
    int32_t count = 0;
    int has_udef = m->info.has_user_defined;
    for (size_t i = 0; i < n;) {
        sp_symbol *s = &sym[count];
        size_t l = has_udef ? sp_udef_match(m, t + i, n - i) : 0;
        s->frozen = l > 0;
        if (!l) l = sp_utf8_char_len(t + i, n - i);
        s->start = (uint32_t)i;
        s->len = (uint32_t)l;
        s->prev = count - 1;
        s->next = count + 1;
        s->id = (l == 1 && t[i] < 128) ? m->ascii_id[t[i]] : sp_lookup_normal(m, t + i, l);
        count++;
        i += l;
    }
    sym[count - 1].next = -1;

    encoder e = {m, t, sym, ws->heap, 0, ws->rev, ws->stack + 2 * n + 2, 0};
    for (int32_t i = 1; i < count; i++) maybe_push(&e, i - 1, i);

    double alpha = opt ? opt->alpha : 0.0;
    uint64_t rng = opt ? opt->seed : 0;
    while (e.heap_len) {
        sp_agenda_item top = heap_pop(e.heap, &e.heap_len);
        sp_symbol *l = &sym[top.left], *r = &sym[top.right];
        if (l->len == 0 || r->len == 0 || l->len + r->len != top.size) continue;
        if (alpha > 0.0 && (alpha >= 1.0 || next_uniform(&rng) < alpha)) continue;
        l->len += r->len;
        l->id = top.merged;
        l->next = r->next;
        if (r->next >= 0) sym[r->next].prev = top.left;
        r->len = 0;
        maybe_push(&e, l->prev, top.left);
        maybe_push(&e, top.left, l->next);
    }

    emitter o = {m, t, ws->norm.align, ws, 0, 0};
    const uint64_t *rev = e.touched_len ? ws->rev : NULL;
    for (int32_t i = 0; i >= 0; i = sym[i].next) {
        if (SP_UNLIKELY(rev != NULL))
            resegment(&o, rev, ws->stack, sym[i].start, sym[i].len, sym[i].id);
        else
            emit(&o, sym[i].start, sym[i].len, sym[i].id);
    }
    for (size_t k = 0; k < e.touched_len; k++) ws->rev[e.touched[k]] = 0;

    out->ids = ws->ids;
    out->count = o.count;
    if (opt && opt->with_offsets) {
        out->norm_begin = ws->nb;
        out->norm_end = ws->ne;
        out->orig_begin = ws->ob;
        out->orig_end = ws->oe;
    }
    return SPBPE_OK;
}

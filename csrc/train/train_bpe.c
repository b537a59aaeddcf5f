/*
 * train_bpe.c - the BPE merge loop and the final vocabulary of
 * sentencepiece 0.2.3 (bpe_model_trainer.cc), exact and incremental.
 *
 * State (sp_merger):
 *   slots[] every distinct word as slots (symbol id, word count, pair with
 *           the next live slot), each word followed by SP_SLOT_WORD_END; a
 *           merged-away slot holds SP_SLOT_MERGED.  Keeping the count and
 *           the pair beside the symbol saves a cache miss and a hash lookup
 *           per occurrence.
 *   syms[]  symbols: the kept characters, one UNK symbol (U+2585, never
 *           paired), then every valid pair symbol ever created, identified
 *           by (left, right).  A pair symbol keeps its UTF-8 string, its
 *           length in code points, `freq` and `pos` (slots of its left
 *           half, in the order they were recorded).
 *   pairs   hash (left, right) -> pair symbol, or SP_NO_PAIR (negative
 *           cache of IsValidSentencePiece).
 *   queue   lazy priority queue (train_queue.c) of (freq snapshot, symbol),
 *           ordered by freq desc, code points asc, bytes asc.
 *
 * Invariants: a live pair's freq is exactly the weighted number of current
 * adjacencies (overlaps included); every change of freq during a merge puts
 * the pair on the pending list, and after the merge each pending pair is
 * pushed with its current freq, so the top entry whose snapshot equals the
 * current freq is the true maximum.  slots[i].pair is exact for every live
 * slot whose next live slot is a symbol and SP_NO_PAIR otherwise, so a slot
 * recorded in pos is still an occurrence iff slots[slot].pair is that pair
 * (symbols only grow, so a stale slot can never become valid again).
 * Within one word the positions of a pair are recorded left to right, as
 * sentencepiece's ordered position set visits them; across words the
 * order is immaterial.
 *
 * Selection follows sentencepiece exactly: a popped pair whose string was
 * already accepted (same string reached through another split, e.g. aa+a vs
 * a+aa) is dropped without using a slot; positions are merged in recorded
 * order; pairs whose count fell to 0 stay queued and fill the vocabulary in
 * (code points, bytes) order when nothing positive is left.
 */
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

/* Named sentinels.  A slot's symbol is a symbol id (>= 0) or one of: */
#define SP_SLOT_MERGED (-1)     /* merged into the live slot on its left */
#define SP_SLOT_WORD_END (-2)   /* the separator after every word */
/* A pair that is not a symbol (a half is not one, or the joined piece is
 * invalid: the pair map's negative cache). */
#define SP_NO_PAIR (-1)
/* new_sym and get_pair: out of memory (never a symbol id, nor SP_NO_PAIR). */
#define SP_SYM_NOMEM (-2)
#define PREFETCH_AHEAD 12

#if defined(__GNUC__) || defined(__clang__)
#define SP_PREFETCH(p) __builtin_prefetch(p)
#else
#define SP_PREFETCH(p) ((void)0)
#endif

typedef struct sp_word_slot {
    int32_t sym;          /* symbol, SP_SLOT_MERGED or SP_SLOT_WORD_END */
    uint32_t count;       /* count of the word this slot belongs to */
    int32_t pair;         /* pair symbol of (sym, next live slot), SP_NO_PAIR
                             when either is not a symbol or the pair is invalid */
} sp_word_slot;

/* Words counted 2^32-1 times or more (TSV input) keep their count in a
 * side table, so the common slot stays 12 bytes. */
#define SP_WIDE_COUNT UINT32_MAX

typedef struct sp_wide_word {
    size_t first, last;   /* the word's slots, its SP_SLOT_WORD_END included */
    int64_t count;
} sp_wide_word;

typedef struct sp_pair_slot {
    uint64_t key;         /* (left << 32 | right) + 1, 0 = empty */
    int32_t sym;          /* pair symbol or SP_NO_PAIR */
} sp_pair_slot;

/* (left, right) -> pair symbol, open addressing. */
typedef struct sp_pair_map {
    sp_pair_slot *slots;  /* key and value in one cache line per probe */
    size_t mask, used;
} sp_pair_map;

/* The merge loop's state. */
typedef struct sp_merger {
    spbpe_trainer *trainer;
    sp_sym *syms;
    size_t nsyms, syms_bytes;   /* syms is an sp_big_calloc block of syms_bytes */
    uint8_t *arena;
    size_t arena_len, arena_cap;
    sp_pair_map pairs;
    sp_queue queue;
    int32_t *pending;     /* symbols whose freq changed during this merge */
    size_t npending, pending_cap;
    sp_word_slot *slots;  /* every word's slots, back to back */
    size_t nslots, slots_cap;
    sp_wide_word *wide;   /* words with SP_WIDE_COUNT slots, by ascending slots */
    size_t nwide, wide_cap;
    sp_pospool pool;      /* storage of the position lists */
} sp_merger;

/* The count of the word slot i belongs to. */
static inline int64_t slot_count(const sp_merger *c, size_t i) {
    if (SP_LIKELY(c->slots[i].count != SP_WIDE_COUNT)) return c->slots[i].count;
    size_t lo = 0, hi = c->nwide;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (i < c->wide[mid].first) hi = mid;
        else if (i > c->wide[mid].last) lo = mid + 1;
        else return c->wide[mid].count;
    }
    return SP_WIDE_COUNT; /* unreachable: every SP_WIDE_COUNT slot is in a range */
}

/* ------------------------------------------------------------- pair map */

/* Both ids must reach the slot bits: a multiply alone leaves the low
 * slot bits to the right id, and pairs sharing a right half cluster. */
static size_t pair_map_hash(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k;
}

static int pair_map_grow(sp_pair_map *m) {
    size_t ns = m->slots ? (m->mask + 1) * 2 : 1 << 16;
    sp_pair_slot *k = sp_big_calloc(ns * sizeof *k);
    if (!k) return -1;
    for (size_t i = 0; m->slots && i <= m->mask; i++) {
        if (!m->slots[i].key) continue;
        size_t h = pair_map_hash(m->slots[i].key) & (ns - 1);
        while (k[h].key) h = (h + 1) & (ns - 1);
        k[h] = m->slots[i];
    }
    if (m->slots) sp_big_free(m->slots, (m->mask + 1) * sizeof *m->slots);
    m->slots = k;
    m->mask = ns - 1;
    return 0;
}

/* Slot of key in the map (found or where it would go). */
static size_t pair_map_slot(const sp_pair_map *m, uint64_t key) {
    size_t h = pair_map_hash(key) & m->mask;
    while (m->slots[h].key && m->slots[h].key != key) h = (h + 1) & m->mask;
    return h;
}

/* -------------------------------------------------------------- symbols */

/* A symbol whose string is already at arena[off, off + len). */
static int32_t new_sym(sp_merger *c, int32_t left, int32_t right, uint64_t off, size_t len, uint32_t nchars,
                       sp_vsum vs) {
    if (c->nsyms >= INT32_MAX - 1 || len > UINT32_MAX || off > UINT32_MAX - len || nchars > UINT16_MAX) return SP_SYM_NOMEM;
    if ((c->nsyms + 1) * sizeof *c->syms > c->syms_bytes &&
        sp_big_grow((void **)&c->syms, &c->syms_bytes, (c->nsyms + 1) * sizeof *c->syms))
        return SP_SYM_NOMEM;
    const uint8_t *p = c->arena + off;
    uint64_t prefix = 0;
    for (size_t i = 0; i < 8; i++) prefix = prefix << 8 | (i < len ? p[i] : 0);
    c->syms[c->nsyms] = (sp_sym){
        .left = left,
        .right = right,
        .off = (uint32_t)off,
        .len = (uint32_t)len,
        .nchars = (uint16_t)nchars,
        .vflags = vs.flags,
        .script_in = vs.script_in,
        .script_out = vs.script_out,
        .prefix = prefix,
        .inheap = -1,
    };
    return (int32_t)c->nsyms++;
}

/* GetPairSymbol: the pair symbol of (l, r), creating it when the joined
 * piece is valid.  Returns the id, SP_NO_PAIR, or SP_SYM_NOMEM. */
static int32_t get_pair(sp_merger *c, int32_t l, int32_t r) {
    if (c->syms[l].unk || c->syms[r].unk) return SP_NO_PAIR;
    uint64_t key = (((uint64_t)(uint32_t)l << 32) | (uint32_t)r) + 1;
    size_t h = pair_map_slot(&c->pairs, key);
    if (c->pairs.slots[h].key) return c->pairs.slots[h].sym;
    const sp_sym *a = &c->syms[l], *b = &c->syms[r];
    int32_t v = SP_NO_PAIR;
    uint32_t nchars = (uint32_t)a->nchars + b->nchars;
    sp_vsum va = {.flags = a->vflags, .script_in = a->script_in, .script_out = a->script_out};
    sp_vsum vb = {.flags = b->vflags, .script_in = b->script_in, .script_out = b->script_out};
    /* IsValidSentencePiece of the joined piece, from what the halves know */
    if (sp_vsum_join_valid(&c->trainer->valid, va, vb, nchars)) {
        size_t la = a->len, lb = b->len;
        uint64_t aoff = a->off, boff = b->off;
        if (sp_reserve_inline((void **)&c->arena, &c->arena_cap, c->arena_len + la + lb, 1)) return SP_SYM_NOMEM;
        /* Join in place at the arena end, then adopt it as the string. */
        memcpy(c->arena + c->arena_len, c->arena + aoff, la);
        memcpy(c->arena + c->arena_len + la, c->arena + boff, lb);
        c->arena_len += la + lb;
        v = new_sym(c, l, r, c->arena_len - la - lb, la + lb, nchars, sp_vsum_join(va, vb));
        if (v < 0) return SP_SYM_NOMEM;
    }
    if ((c->pairs.used + 1) * 2 > c->pairs.mask + 1) {
        if (pair_map_grow(&c->pairs)) return SP_SYM_NOMEM;
        h = pair_map_slot(&c->pairs, key);
    }
    c->pairs.slots[h].key = key;
    c->pairs.slots[h].sym = v;
    c->pairs.used++;
    return v;
}

static int add_pending(sp_merger *c, int32_t s) {
    if (c->syms[s].pending) return 0;
    if (sp_reserve_inline((void **)&c->pending, &c->pending_cap, c->npending + 1, sizeof *c->pending)) return -1;
    c->syms[s].pending = 1;
    c->pending[c->npending++] = s;
    return 0;
}

/* AddNewPair: a new adjacency (slot i, slot j) in word w. */
static int add_adjacency(sp_merger *c, size_t i, size_t j, int64_t count) {
    int32_t p = get_pair(c, c->slots[i].sym, c->slots[j].sym);
    if (p == SP_SYM_NOMEM) return -1;
    c->slots[i].pair = p;
    if (p < 0 || c->syms[p].accepted) return 0;
    sp_sym *y = &c->syms[p];
    if (y->npos == y->cappos) {
        if (y->cappos > UINT32_MAX / 2) return -1;
        uint32_t nc = y->cappos ? y->cappos * 2 : 4;
        uint32_t *np = sp_pospool_grow(&c->pool, y->pos, y->npos, y->cappos, nc);
        if (!np) return -1;
        y->pos = np;
        y->cappos = nc;
    }
    y->pos[y->npos++] = (uint32_t)i;
    y->freq += count;
    return add_pending(c, p);
}

/* ResetFreq: the adjacency (slot i, its next live slot) disappears. */
static int remove_adjacency(sp_merger *c, size_t i, int64_t count, int32_t best) {
    int32_t p = c->slots[i].pair;
    if (p < 0 || p == best || c->syms[p].accepted) return 0;
    c->syms[p].freq -= count;
    return add_pending(c, p);
}

static void drop_positions(sp_merger *c, sp_sym *y) {
    sp_pospool_free(&c->pool, y->pos, y->cappos);
    y->pos = NULL;
    y->npos = y->cappos = 0;
}

/* ------------------------------------------------------------ the steps */

/* Symbols for the kept characters (ids 0..len-1 in final order), the UNK
 * symbol, and the slots from the word table with rare characters as UNK. */
static int build_words(sp_merger *c, const sp_charset *cs, spbpe_error *err) {
    spbpe_trainer *t = c->trainer;
    for (size_t i = 0; i < cs->len + 1; i++) {
        uint32_t cp = i < cs->len ? cs->cps[i] : SP_UNK_CHAR;
        if (sp_reserve_inline((void **)&c->arena, &c->arena_cap, c->arena_len + 4, 1)) goto oom;
        size_t l = sp_utf8_encode(cp, c->arena + c->arena_len);
        if (new_sym(c, -1, -1, c->arena_len, l, 1, sp_vsum_char(&t->valid, cp)) < 0) goto oom;
        c->arena_len += l;
    }
    int32_t unk = (int32_t)cs->len;
    c->syms[unk].unk = 1;
    size_t total = 0;
    for (size_t w = 0; w < t->words.len; w++) total += t->words.words[w].len + 1; /* bytes bound chars */
    if (total > UINT32_MAX - 1)
        return sp_fail(err, SPBPE_ERR_LIMIT, 0, "the distinct words hold more than 2^32 characters");
    c->slots = sp_big_calloc(total * sizeof *c->slots);
    c->slots_cap = total;
    if (!c->slots) goto oom;
    /* Symbol of each BMP code point (id + 1, 0 = not kept): text is mostly BMP. */
    int32_t *bmp_sym = calloc(0x10000, sizeof *bmp_sym);
    if (!bmp_sym) goto oom;
    for (size_t i = 0; i < cs->len; i++)
        if (cs->cps[i] < 0x10000) bmp_sym[cs->cps[i]] = (int32_t)i + 1;
    size_t k = 0;
    for (size_t w = 0; w < t->words.len; w++) {
        const sp_word *wd = &t->words.words[w];
        const uint8_t *s = t->words.arena + wd->off;
        uint32_t cnt = (uint32_t)wd->count;
        if (wd->count >= (int64_t)SP_WIDE_COUNT) {
            if (sp_reserve((void **)&c->wide, &c->wide_cap, c->nwide + 1, sizeof *c->wide)) {
                free(bmp_sym);
                goto oom;
            }
            /* .last is set after the word */
            c->wide[c->nwide++] = (sp_wide_word){.first = k, .last = k, .count = wd->count};
            cnt = SP_WIDE_COUNT;
        }
        for (size_t i = 0; i < wd->len;) {
            size_t l;
            uint32_t cp = sp_utf8_decode(s + i, wd->len - i, &l);
            i += l;
            int32_t id = cp < 0x10000 ? bmp_sym[cp] - 1 : sp_charset_find(cs, cp);
            c->slots[k++] = (sp_word_slot){.sym = id >= 0 ? id : unk, .count = cnt, .pair = SP_NO_PAIR};
        }
        c->slots[k++] = (sp_word_slot){.sym = SP_SLOT_WORD_END, .count = cnt, .pair = SP_NO_PAIR};
        if (cnt == SP_WIDE_COUNT) c->wide[c->nwide - 1].last = k - 1;
    }
    free(bmp_sym);
    c->nslots = k;
    return SPBPE_OK;
oom:
    return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory building words");
}

/* InitSymbolsAndBigrams: every adjacency of the words, in word order. */
static int init_pairs(sp_merger *c) {
    if (pair_map_grow(&c->pairs)) return -1;
    for (size_t i = 0; i + 1 < c->nslots; i++) {
        if (c->slots[i].sym < 0 || c->slots[i + 1].sym < 0) continue;
        if (add_adjacency(c, i, i + 1, slot_count(c, i))) return -1;
    }
    for (size_t k = 0; k < c->npending; k++) c->syms[c->pending[k]].pending = 0;
    for (size_t k = 0; k < c->npending; k++)
        if (sp_queue_push(&c->queue, c->syms, c->arena, c->pending[k])) return -1;
    c->npending = 0;
    return 0;
}

static size_t next_slot(const sp_merger *c, size_t i) {
    size_t j = i + 1;
    while (c->slots[j].sym == SP_SLOT_MERGED) j++;
    return j; /* the slots end with SP_SLOT_WORD_END, so this stops */
}

/* AcceptSymbol: merge every recorded occurrence of best, left to right in
 * recorded order, updating the neighbours' counts. */
static int merge(sp_merger *c, int32_t best) {
    sp_sym *b = &c->syms[best];
    uint32_t *pos = b->pos;
    uint32_t npos = b->npos;
    for (uint32_t k = 0; k < npos; k++) {
        size_t l = pos[k];
        if (k + PREFETCH_AHEAD < npos) SP_PREFETCH(&c->slots[pos[k + PREFETCH_AHEAD]]);
        /* Still an occurrence iff slot l and its next live slot form best. */
        if (c->slots[l].pair != best) continue;
        size_t r = next_slot(c, l);
        int64_t count = slot_count(c, l);
        size_t nx = next_slot(c, r);
        int has_next = c->slots[nx].sym >= 0;
        size_t pv = l;
        int has_prev = 0;
        while (pv > 0) {
            pv--;
            if (c->slots[pv].sym == SP_SLOT_MERGED) continue;
            has_prev = c->slots[pv].sym >= 0;
            break;
        }
        if (has_prev && remove_adjacency(c, pv, count, best)) return -1;
        if (has_next && remove_adjacency(c, r, count, best)) return -1;
        c->slots[l].sym = best;
        c->slots[l].pair = SP_NO_PAIR;
        c->slots[r].sym = SP_SLOT_MERGED;
        c->slots[r].pair = SP_NO_PAIR;
        if (has_prev && add_adjacency(c, pv, l, count)) return -1;
        if (has_next && add_adjacency(c, l, nx, count)) return -1;
        b = &c->syms[best]; /* syms may have moved */
    }
    return 0;
}

/* Accepted strings, to drop a pair whose string is already a piece. */
typedef struct sp_strset {
    int32_t *slots;       /* symbol id + 1, 0 = empty */
    size_t mask, used;
} sp_strset;

static int strset_insert(sp_merger *c, sp_strset *s, int32_t id) {
    if ((s->used + 1) * 2 > (s->slots ? s->mask + 1 : 0)) {
        size_t ns = s->slots ? (s->mask + 1) * 2 : 1024;
        int32_t *sl = calloc(ns, sizeof *sl);
        if (!sl) return -1;
        for (size_t i = 0; s->slots && i <= s->mask; i++) {
            if (!s->slots[i]) continue;
            const sp_sym *y = &c->syms[s->slots[i] - 1];
            size_t h = sp_hash_bytes(c->arena + y->off, y->len) & (ns - 1);
            while (sl[h]) h = (h + 1) & (ns - 1);
            sl[h] = s->slots[i];
        }
        free(s->slots);
        s->slots = sl;
        s->mask = ns - 1;
    }
    const sp_sym *x = &c->syms[id];
    size_t h = sp_hash_bytes(c->arena + x->off, x->len) & s->mask;
    while (s->slots[h]) {
        const sp_sym *y = &c->syms[s->slots[h] - 1];
        if (y->len == x->len && memcmp(c->arena + y->off, c->arena + x->off, x->len) == 0) return 1;
        h = (h + 1) & s->mask;
    }
    s->slots[h] = id + 1;
    s->used++;
    return 0;
}

/* The main loop; fills merged[0..*nmerged) and, when freqs is not NULL, the
 * count each merge had when it was chosen. */
static int merge_loop(sp_merger *c, size_t max_merges, int32_t *merged, int64_t *freqs, size_t *nmerged,
                      spbpe_error *err) {
    sp_strset dup = {0};
    size_t n = 0;
    int st = SPBPE_OK;
    int tail = 0;
    atomic_store_explicit(&c->trainer->merges_target, max_merges, memory_order_relaxed);
    while (n < max_merges) {
        int32_t best = -1;
        sp_qentry e;
        int got;
        while ((got = sp_queue_pop(&c->queue, c->syms, c->arena, &e)) > 0) {
            sp_sym *y = &c->syms[e.sym];
            if (y->accepted || e.freq != y->inheap) continue; /* superseded entry */
            if (y->freq == e.freq) {
                best = e.sym;
                break;
            }
            /* The entry was an upper bound (counts fell since): requeue. */
            y->inheap = -1;
            if (y->freq > 0 && sp_queue_push(&c->queue, c->syms, c->arena, e.sym)) goto oom;
        }
        if (got < 0) goto oom;
        if (best < 0) {
            /* Nothing positive is left: sentencepiece keeps taking the pairs
             * whose count fell to 0, ordered by (code points, bytes). */
            if (tail) break; /* "No valid symbol found" */
            tail = 1;
            size_t m = 0;
            if (sp_reserve_inline((void **)&c->pending, &c->pending_cap, c->nsyms, sizeof *c->pending)) goto oom;
            for (size_t i = 0; i < c->nsyms; i++)
                if (c->syms[i].left >= 0 && !c->syms[i].accepted) c->pending[m++] = (int32_t)i;
            if (sp_queue_build(&c->queue, c->syms, c->arena, c->pending, m)) goto oom;
            continue;
        }
        int d = strset_insert(c, &dup, best);
        if (d < 0) goto oom;
        c->syms[best].accepted = 1;
        if (d) {
            drop_positions(c, &c->syms[best]);
            continue;
        }
        if (freqs) freqs[n] = c->syms[best].freq;
        merged[n++] = best;
        atomic_store_explicit(&c->trainer->merges_done, n, memory_order_relaxed);
        if (merge(c, best)) goto oom;
        drop_positions(c, &c->syms[best]);
        for (size_t k = 0; k < c->npending; k++) {
            sp_sym *y = &c->syms[c->pending[k]];
            y->pending = 0;
            if (y->accepted) continue;
            if (y->freq == 0) drop_positions(c, y);
            else if (y->freq > y->inheap && sp_queue_push(&c->queue, c->syms, c->arena, c->pending[k])) goto oom;
        }
        c->npending = 0;
    }
    *nmerged = n;
    goto out;
oom:
    st = sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory in the merge loop");
out:
    free(dup.slots);
    return st;
}

static void merger_release(sp_merger *c) {
    for (size_t i = 0; i < c->nsyms; i++) sp_pospool_free(&c->pool, c->syms[i].pos, c->syms[i].cappos);
    sp_pospool_release(&c->pool);
    sp_big_free(c->syms, c->syms_bytes);
    free(c->arena);
    if (c->pairs.slots) sp_big_free(c->pairs.slots, (c->pairs.mask + 1) * sizeof *c->pairs.slots);
    sp_queue_release(&c->queue);
    free(c->pending);
    sp_big_free(c->slots, c->slots_cap * sizeof *c->slots);
    free(c->wide);
}

SP_API int spbpe_trainer_train(spbpe_trainer *t, spbpe_error *err) {
    sp_clear_error(err);
    if (!t) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "trainer is NULL");
    if (t->trained) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "the trainer has already trained");
    t->trained = 1;
    if (sp_feeders_merge(t)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory merging word tables");
    if (t->model_type == 1) return sp_unigram_train(t, err);
    if (t->words.len == 0) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "no sentences to train on");
    sp_charset cs;
    int st = sp_char_coverage(t, &cs, err);
    if (st) return st;
    if (t->model_type != 2) { /* word or char: no merges */
        st = t->model_type == 3 ? sp_train_word(t, &cs, err) : sp_train_char(t, &cs, err);
        sp_charset_release(&cs);
        return st;
    }
    sp_merger c;
    memset(&c, 0, sizeof c);
    c.trainer = t;
    if (sp_queue_init(&c.queue)) {
        sp_charset_release(&cs);
        return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    }
    uint8_t *bmp_script = malloc(0x10000); /* validity checks of new pairs look scripts up here */
    if (bmp_script) sp_script_fill_bmp(bmp_script);
    t->valid.bmp_script = bmp_script;
    /* auto_character_coverage: characters take no slots up front. */
    size_t max_merges = (size_t)t->vocab_size - t->meta_count - (t->auto_coverage ? 0 : cs.len);
    int32_t *final = malloc((max_merges + cs.len + 1) * sizeof *final);
    int64_t *freqs = t->auto_coverage ? malloc((max_merges + 1) * sizeof *freqs) : NULL;
    size_t nmerged = 0;
    if (!final || (t->auto_coverage && !freqs)) {
        st = sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
        goto out;
    }
    st = build_words(&c, &cs, err);
    if (st) goto out;
    if (init_pairs(&c)) {
        st = sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory counting pairs");
        goto out;
    }
    st = merge_loop(&c, max_merges, final, freqs, &nmerged, err);
    if (st) goto out;
    if (t->auto_coverage) {
        int32_t *merged = malloc((nmerged + 1) * sizeof *merged);
        size_t nfinal = 0;
        if (!merged) {
            st = sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
            goto out;
        }
        memcpy(merged, final, nmerged * sizeof *merged);
        st = sp_auto_coverage_select(&cs, c.syms, c.arena, merged, freqs, nmerged, max_merges, final, &nfinal, err);
        free(merged);
        if (!st) st = sp_assemble(t, c.syms, c.arena, final, nfinal, err);
        goto out;
    }
    for (size_t i = 0; i < cs.len; i++) final[nmerged + i] = (int32_t)i; /* chars are symbols 0..len-1 */
    st = sp_assemble(t, c.syms, c.arena, final, nmerged + cs.len, err);
out:
    t->valid.bmp_script = NULL;
    free(bmp_script);
    free(final);
    free(freqs);
    merger_release(&c);
    sp_charset_release(&cs);
    return st;
}

SP_API int spbpe_trainer_progress(const spbpe_trainer *t, uint64_t *merges_done, uint64_t *merges_target) {
    if (!t || !merges_done || !merges_target) return SPBPE_ERR_INVALID_ARGUMENT;
    /* The const is for callers; atomic loads of C11 take a non-const pointer. */
    spbpe_trainer *m = (spbpe_trainer *)(uintptr_t)t;
    *merges_done = atomic_load_explicit(&m->merges_done, memory_order_relaxed);
    *merges_target = atomic_load_explicit(&m->merges_target, memory_order_relaxed);
    return SPBPE_OK;
}

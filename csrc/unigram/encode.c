/*
 * encode.c - encode for unigram (model_type 1), word (3) and char (4)
 * models: what spbpe_encode dispatches to for every non-BPE model.
 *
 * Unigram: sentencepiece 0.2.3 encodes with EncodeOptimized, a Viterbi
 * over positions that never stores the lattice (viterbi.c).
 *
 * Fast paths: a model whose pieces allow a word cut (trie.c) is encoded
 * word by word through the workspace's word cache, exact as explained at
 * local_segment below.  A word the cache does not hold (Japanese has no
 * spaces: a "word" is a sentence), and the whole text of a model with no
 * cut, go to sp_viterbi_chars (viterbi.c), positions in characters and
 * pieces found by walking the character trie (chars.c: a step per
 * character, not per byte).  The text is normalized with the
 * normalizer's plain-unit shortcuts.  reference_path runs none of these:
 * the normalizer's general step, then the plain whole-sentence Viterbi by
 * bytes with pieces found by hashing every prefix and scored from their
 * types (step_score, viterbi.c) instead of a trie and the scores its units hold.
 *
 * Char model: one user-defined match or one character per token; word
 * model: sentencepiece's SplitIntoWords (a word starts at each U+2581); each
 * token is looked up as PieceToId does (any type, else unk).
 *
 * Sampling (options->sample) goes to the lattice (sample.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "unigram/emit.h"

static int grow_best(sp_uni_scratch *s, size_t n) {
    if (n + 1 <= s->best_cap && n + 1 <= s->chr_cap) return 0;
    size_t cap = s->chr_cap;
    if (sp_reserve((void **)&s->chr_id, &cap, n + 1, sizeof *s->chr_id)) return -1;
    cap = s->chr_cap;
    if (sp_reserve((void **)&s->chr_off, &cap, n + 1, sizeof *s->chr_off)) return -1;
    s->chr_cap = cap;
    return sp_reserve((void **)&s->best, &s->best_cap, n + 1, sizeof *s->best);
}

/* ------------------------------------------------------------ word cache
 *
 * With a word cut (unigram.h), the Viterbi path passes through every cut,
 * so each word's path depends only on its bytes and on best[] at its start
 * (x, the float score of the path so far).  It depends on x only through
 * rounding: sentencepiece sums in float, and two candidates whose real
 * sums differ by less than the rounding error of adding x may compare
 * either way (equal real sums, e.g. ". .." against ".. .", do flip).
 *
 * So a word is first segmented in double from 0 (local_segment), recording
 * at each position on its path the gap between the winner and the runner-
 * up.  Each float step rounds by at most 2^-24 of |x| + (its local sum),
 * every computed best[] stays within len * 2^-23 (|x| + len * score_bound)
 * of x + its real value (a chosen candidate is within the error of the
 * true best, chosen or not), and so a position whose gap exceeds twice
 * that is decided as in real arithmetic.  The word's cache entry keeps its
 * tokens and the largest |x| for which every gap on its path is that wide;
 * below it, the cached tokens are sentencepiece's and x advances by adding
 * their scores in order, exactly the float sums sentencepiece makes along
 * that path.  Above it (near-ties) the word is segmented in float from
 * the true x, as the whole-sentence Viterbi would.
 *
 * The rebase (viterbi.c) fits in: at a word start no candidate lies
 * beyond it, so a rebase there just sets x = 0, which encode_word does
 * first.  Inside a word, best[] at each position stays within the same
 * error of x + its local value, so when |x| + (the largest |local value|)
 * + that error stays below 1e5 no rebase can happen inside the word; the
 * cache entry's bound on |x| includes that too, and above it the word
 * goes to sp_viterbi_chars, which rebases as the wheel does. */

#define SP_UNI_CACHE_MAX 64 /* longer words are not cached */

/* A cache entry holds `count` = T + 1 pairs of int32 for a word of T
 * tokens: toks[0] the bits of the float bound on |x| (above), toks[1] 1
 * when no token is unknown (so emitting is copying ids), then the T ids,
 * then the bits of the T float scores the tokens add.  A token's length is
 * its piece's (one character for an unknown one). */
enum { SP_UNI_PLAIN = 1 };

/* Segment t[a, b) in double from 0 into a cache entry (above); returns
 * its count. */
static size_t local_segment(const spbpe_model *m, const uint8_t *t, size_t a, size_t b, int32_t *toks) {
    const sp_unigram *u = m->uni;
    const sp_da_unit *units = u->trie.units;
    size_t len = b - a;
    double best[SP_UNI_CACHE_MAX + 1], second[SP_UNI_CACHE_MAX + 1];
    int32_t start[SP_UNI_CACHE_MAX + 1], bid[SP_UNI_CACHE_MAX + 1];
    float bscore[SP_UNI_CACHE_MAX + 1];
    for (size_t i = 0; i <= len; i++) {
        best[i] = 0.0;
        second[i] = -INFINITY;
        start[i] = -1;
        bid[i] = -1;
        bscore[i] = 0.0f;
    }
    const uint8_t *w = t + a;
    for (size_t at = 0; at < len;) {
        size_t mblen = sp_utf8_char_len(w + at, len - at);
        int single = 0;
        uint32_t node = 0;
        for (size_t k = at; k <= len;) {
            int32_t id;
            size_t e;
            float sc;
            uint32_t child = k < len ? (uint32_t)units[node].base + w[k] : 0;
            if (k < len && units[child].check == (int32_t)node) {
                node = child;
                k++;
                id = units[node].value;
                if (id < 0) continue;
                e = k;
                sc = units[node].score;
                if (e - at == mblen) single = 1;
            } else if (!single) {
                id = m->unk_index;
                e = at + mblen;
                sc = u->unk_score;
                k = len + 1; /* last offer from this start */
            } else {
                break;
            }
            double cand = (double)sc + best[at];
            if (start[e] == -1 || cand > best[e]) {
                if (start[e] != -1) second[e] = best[e];
                best[e] = cand;
                start[e] = (int32_t)at;
                bid[e] = id;
                bscore[e] = sc;
            } else if (cand > second[e]) {
                second[e] = cand;
            }
        }
        at += mblen;
    }
    double gap = INFINITY, reach = 0.0;
    size_t count = 0;
    for (size_t e = len; e > 0; e = (size_t)start[e]) {
        double g = best[e] - second[e];
        gap = g < gap ? g : gap;
        count++;
    }
    for (size_t e = 1; e < len; e++) /* every position a rebase could be decided at */
        if (start[e] != -1 && fabs(best[e]) > reach) reach = fabs(best[e]);
    int32_t flags = SP_UNI_PLAIN;
    size_t i = count;
    for (size_t e = len; e > 0; e = (size_t)start[e]) {
        i--;
        int32_t id = bid[e];
        if (id < 0 || m->type[id] == SPBPE_PIECE_UNKNOWN) flags = 0;
        toks[2 + i] = id;
        memcpy(&toks[2 + count + i], &bscore[e], sizeof(float));
    }
    double sum_bound = (double)len * u->score_bound;
    double slack = 1e-6 * (1.0 + sum_bound); /* the double sums' own rounding, generously */
    double xmax = (gap - slack) / (2.0 * (double)len * 0x1p-23) - sum_bound;
    /* no rebase inside the word: |x| + reach + the float error < 1e5 */
    double no_rebase = (double)SP_UNI_REBASE - reach - (double)len * 0x1p-23 * ((double)SP_UNI_REBASE + sum_bound) - slack;
    xmax = no_rebase < xmax ? no_rebase : xmax;
    float f = xmax > 0.0 ? (float)xmax : -1.0f;
    if ((double)f > xmax && xmax > 0.0) f = nextafterf(f, 0.0f);
    memcpy(&toks[0], &f, sizeof f);
    toks[1] = flags;
    return count + 1;
}

/* The tokens of one cached word t[from, end), if valid at x: emitted, x
 * advanced by adding their scores in order (sentencepiece's float sums
 * along that path). */
static int replay(const spbpe_model *m, const int32_t *toks, size_t count, uint32_t from, uint32_t end, float *x,
                  sp_uemit *o) {
    float xmax;
    memcpy(&xmax, &toks[0], sizeof xmax);
    if (!(fabsf(*x) < xmax)) return 0;
    size_t n = count - 1;
    const int32_t *ids = toks + 2;
    float sum = *x;
    if (SP_LIKELY((toks[1] & SP_UNI_PLAIN) && !o->spans)) {
        int32_t *dst = o->ids + o->count;
        for (size_t i = 0; i < n; i++) {
            float sc;
            memcpy(&sc, &ids[n + i], sizeof sc);
            sum = sc + sum;
            dst[i] = ids[i];
        }
        *x = sum;
        o->count += n;
        o->prev_unk = 0;
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        float sc;
        memcpy(&sc, &ids[n + i], sizeof sc);
        sum = sc + sum;
    }
    *x = sum;
    for (size_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        uint32_t l = id < 0 || m->type[id] == SPBPE_PIECE_UNKNOWN ? (uint32_t)sp_utf8_char_len(o->text + from, end - from)
                                                                  : (uint32_t)sp_piece_len(m, id);
        sp_uemit_token(o, from, l, id);
        from += l;
    }
    return 1;
}

/* One word t[a, b) of the cut sentence, x the path score at a, h the
 * hash of its bytes (0 when too long to cache). */
static float encode_word(const spbpe_model *m, sp_uni_scratch *s, sp_word_cache *c, const uint8_t *t, size_t a,
                         size_t b, uint64_t h, float x, int32_t *stack, sp_uemit *o) {
    size_t len = b - a;
    if (SP_UNLIKELY(x < -SP_UNI_REBASE || x > SP_UNI_REBASE)) x = 0.0f; /* the rebase at the word start */
    if (h) {
        size_t count;
        const int32_t *toks = sp_cache_find(c, t + a, len, h, &count);
        if (toks && replay(m, toks, count, (uint32_t)a, (uint32_t)b, &x, o)) return x;
        if (!toks) {
            int32_t fresh[2 * (SP_UNI_CACHE_MAX + 1)];
            count = local_segment(m, t, a, b, fresh);
            (void)sp_cache_put(c, t + a, len, h, fresh, count); /* out of memory: just not cached */
            if (replay(m, fresh, count, (uint32_t)a, (uint32_t)b, &x, o)) return x;
        }
    }
    uint32_t nc = sp_viterbi_chars(m, s, t, a, b, x);
    sp_emit_chars(s, nc, m->unk_index, stack, o);
    return s->best[nc].score;
}

/* The word starts of t[0, n) into starts (room for n + 3): where a
 * U+2581 starts a character, as the Viterbi steps.  When the normalizer
 * says the text is whole characters, every byte E2 starts one and a scan
 * for E2 finds them; else stepping by characters: ASCII bytes are found
 * eight at a time (the first byte >= 0x80 ends a run, and it starts a
 * character since ASCII bytes are whole characters); each other character
 * is checked for U+2581.  Returns the count; starts[count] = n. */
static size_t word_starts(const uint8_t *t, size_t n, int cut, int whole_chars, uint32_t *starts) {
    size_t count = 0;
    starts[count++] = 0;
    if (whole_chars) {
        /* Every byte E2 starts a character: look for them, eight bytes at
         * a time where the compiler allows (the flags of a zero-byte test
         * are checked one by one). */
        size_t at = 0;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
        for (; at + 8 <= n; at += 8) {
            uint64_t w;
            memcpy(&w, t + at, 8);
            w ^= 0xE2 * ones;
            for (uint64_t z = (w - ones) & ~w & highs; z; z &= z - 1) {
                size_t p = at + ((size_t)__builtin_ctzll(z) >> 3);
                if (t[p] == 0xE2 && n - p >= 3 && t[p + 1] == 0x96 && t[p + 2] == 0x81) {
                    size_t cut_at = cut == SP_UNI_CUT_BEFORE ? p : p + 3;
                    if (cut_at > starts[count - 1] && cut_at < n) starts[count++] = (uint32_t)cut_at;
                }
            }
        }
#endif
        for (size_t p = at; p < n; p++) {
            if (t[p] == 0xE2 && n - p >= 3 && t[p + 1] == 0x96 && t[p + 2] == 0x81) {
                size_t cut_at = cut == SP_UNI_CUT_BEFORE ? p : p + 3;
                if (cut_at > starts[count - 1] && cut_at < n) starts[count++] = (uint32_t)cut_at;
            }
        }
        starts[count] = (uint32_t)n;
        return count;
    }
    for (size_t at = 0; at < n;) {
        if (at + 8 <= n) {
            uint64_t w;
            memcpy(&w, t + at, 8);
            uint64_t high = w & 0x8080808080808080ULL;
            if (!high) {
                at += 8;
                continue;
            }
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            at += (size_t)__builtin_ctzll(high) >> 3; /* the first byte >= 0x80 */
#else
            while (t[at] < 0x80) at++;
#endif
        } else if (t[at] < 0x80) {
            at++;
            continue;
        }
        /* then non-ASCII characters up to the next ASCII byte */
        do {
            uint8_t c = t[at];
            if (c == 0xE2 && n - at >= 3 && t[at + 1] == 0x96 && t[at + 2] == 0x81) {
                size_t cut_at = cut == SP_UNI_CUT_BEFORE ? at : at + 3;
                if (cut_at > starts[count - 1] && cut_at < n) starts[count++] = (uint32_t)cut_at;
                at += 3;
                continue;
            }
            size_t l = (size_t)1 + (c >= 0xC0) + (c >= 0xE0) + (c >= 0xF0); /* OneCharLen, then clipped */
            at += l < n - at ? l : n - at;
        } while (at < n && t[at] >= 0x80);
    }
    starts[count] = (uint32_t)n;
    return count;
}

/* Encode t[0, n): word by word with the cache when the model has a word
 * cut, else (and under reference) one Viterbi over the whole sentence. */
static void viterbi_encode(const spbpe_model *m, spbpe_workspace *ws, sp_uni_scratch *s, const uint8_t *t, size_t n,
                           int reference, sp_uemit *o) {
    int cut = m->uni->cut;
    if (reference) {
        sp_viterbi_bytes(m, s, t, 0, n, 0.0f);
        sp_emit_bytes(s, 0, n, ws->stack, o);
        return;
    }
    if (cut == SP_UNI_CUT_NONE) {
        sp_emit_chars(s, sp_viterbi_chars(m, s, t, 0, n, 0.0f), m->unk_index, ws->stack, o);
        return;
    }
    sp_word_cache *c = &ws->cache;
    if (c->generation != m->generation) sp_cache_reset(c, m->generation);
    uint32_t *starts = ws->seg_starts;
    size_t count = word_starts(t, n, cut, ws->norm.whole_chars && !reference, starts);
    /* Then the words, hashing and prefetching the cache slot of one a few
     * places ahead so its memory arrives while the current one is encoded
     * (as bpe_encode.c does). */
    enum { AHEAD = 8, HALF = 4, RING = 16 };
    uint64_t hashes[RING];
    float x = 0.0f;
    for (size_t k = 0; k < count + AHEAD; k++) {
        if (k < count) {
            size_t len = starts[k + 1] - starts[k];
            uint64_t h = len <= SP_UNI_CACHE_MAX ? sp_hash_bytes(t + starts[k], len) | 1u : 0;
            hashes[k % RING] = h;
            sp_cache_prefetch(c, h);
        }
        if (k >= HALF && k - HALF < count) sp_cache_prefetch_entry(c, hashes[(k - HALF) % RING]);
        if (k >= AHEAD) {
            size_t j = k - AHEAD;
            x = encode_word(m, s, c, t, starts[j], starts[j + 1], hashes[j % RING], x, ws->stack, o);
        }
    }
}

static int32_t piece_to_id(const spbpe_model *m, const uint8_t *p, size_t n) {
    int32_t id = sp_lookup(m, p, n);
    return id >= 0 ? id : m->unk_index;
}

static void char_encode(const spbpe_model *m, const uint8_t *t, size_t n, sp_uemit *o) {
    for (size_t i = 0; i < n;) {
        size_t l = m->info.has_user_defined ? sp_udef_match(m, t + i, n - i) : 0;
        if (!l) l = sp_utf8_char_len(t + i, n - i);
        sp_uemit_token(o, (uint32_t)i, (uint32_t)l, piece_to_id(m, t + i, l));
        i += l;
    }
}

/* SplitIntoWords(text) with its defaults (whitespace as prefix, no
 * whitespace-only pieces): a word starts at 0 and at every U+2581. */
static void word_encode(const spbpe_model *m, const uint8_t *t, size_t n, sp_uemit *o) {
    size_t word = 0;
    for (size_t i = 0; i < n;) {
        size_t l = sp_utf8_char_len(t + i, n - i);
        if (i > 0 && l == 3 && sp_is_space_symbol(t + i)) {
            sp_uemit_token(o, (uint32_t)word, (uint32_t)(i - word), piece_to_id(m, t + word, i - word));
            word = i;
        }
        i += l;
    }
    sp_uemit_token(o, (uint32_t)word, (uint32_t)(n - word), piece_to_id(m, t + word, n - word));
}

int sp_unigram_sample(const spbpe_model *m, sp_uni_scratch *s, const uint8_t *t, size_t n,
                      const spbpe_encode_options *opt, sp_uemit *o, spbpe_error *err);

int sp_unigram_encode(const spbpe_model *m, const uint8_t *text, size_t len, const spbpe_encode_options *opt,
                      spbpe_workspace *ws, spbpe_encoding *out, spbpe_error *err) {
    int spans = opt && opt->with_offsets;
    int sample = opt && opt->sample && opt->nbest_size != 0 && opt->nbest_size != 1; /* 0, 1: plain encode */
    int type = m->info.model_type;
    if (sample && type != 1)
        return sp_fail(err, SPBPE_ERR_UNSUPPORTED, 0, "SampleEncode is not available for the current model.");
    int want = (spans ? SP_NORM_ALIGN : 0) | (opt && opt->reference_path ? SP_NORM_REFERENCE : 0);
    int st = sp_normalize_ex(&m->normalizer, text ? text : (const uint8_t *)"", len, &ws->norm, want, err);
    if (st) return st;
    const uint8_t *t = ws->norm.text;
    size_t n = ws->norm.len;
    out->normalized = t;
    out->normalized_len = n;
    if (n == 0) return SPBPE_OK;
    if (sp_workspace_grow(ws, m, n)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory encoding %zu bytes", n);
    sp_uemit o = {.m = m, .text = t, .align = ws->norm.align, .ids = ws->ids, .nb = ws->nb, .ne = ws->ne,
                  .ob = ws->ob, .oe = ws->oe, .spans = spans};
    if (type == 4) {
        char_encode(m, t, n, &o);
    } else if (type == 3) {
        word_encode(m, t, n, &o);
    } else {
        sp_uni_scratch *s = sp_uni_scratch_get(ws);
        if (!s || grow_best(s, n)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory encoding %zu bytes", n);
        if (sample) {
            if ((st = sp_unigram_sample(m, s, t, n, opt, &o, err))) return st;
        } else {
            viterbi_encode(m, ws, s, t, n, opt && opt->reference_path, &o);
        }
    }
    if (o.bad) return sp_fail(err, SPBPE_ERR_UNSUPPORTED, 0, "all normalized characters are not consumed.");
    out->ids = ws->ids;
    out->count = o.count;
    if (spans) {
        out->norm_begin = ws->nb;
        out->norm_end = ws->ne;
        out->orig_begin = ws->ob;
        out->orig_end = ws->oe;
    }
    return SPBPE_OK;
}

/* Plain encode of the normalized text in ws->norm into o (NBestEncode with
 * nbest_size 1, and SampleEncodeAndScore's helpers). */
int sp_unigram_best_path(const spbpe_model *m, spbpe_workspace *ws, sp_uemit *o) {
    size_t n = ws->norm.len;
    sp_uni_scratch *s = sp_uni_scratch_get(ws);
    if (!s || grow_best(s, n) || sp_workspace_grow(ws, m, n)) return SPBPE_ERR_NOMEM;
    viterbi_encode(m, ws, s, ws->norm.text, n, 0, o);
    return SPBPE_OK;
}

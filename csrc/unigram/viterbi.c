/*
 * viterbi.c - the unigram Viterbi encode over one span of normalized text,
 * in its plain form by bytes (sp_viterbi_bytes, the reference twin) and
 * its fast form by characters (sp_viterbi_chars), and turning the best
 * path into tokens.
 *
 * sentencepiece 0.2.3 encodes with EncodeOptimized
 * (unigram_model.cc), a Viterbi over byte positions that never stores the
 * lattice.  For each character start s (left to right), the trie walk from
 * s finds every normal-map piece that is a prefix of the rest, shortest
 * first; UNUSED pieces are skipped; a piece ending at byte e offers
 * best[s] + score to best[e], taken only if e has no candidate yet or the
 * offer is strictly larger, so ties keep the earliest start; the unknown
 * offer (min_score - 10) follows where no piece covers exactly the first
 * character.  Backtracking from the end gives the pieces.
 *
 * The arithmetic is what the 0.2.3 wheel's machine code does (read from
 * its disassembly: addss/comiss, no x87, no FMA): float sums, a
 * USER_DEFINED piece scoring sp_uni_udef_score(bytes), and one thing the
 * source at HEAD does not show: before the offers from s, when best[s] is
 * outside [-1e5, 1e5] (SP_UNI_REBASE), it is subtracted in float from
 * best[s] and from every later position that already has a candidate
 * (only positions up to the furthest end offered so far can).  Summing
 * -10 a token, that first happens after some ten thousand tokens, which
 * is why lines and short documents matched without it and documents of a
 * thousand lines did not.
 */
#include <math.h>

#include "unigram/emit.h"

/* The score a token adds to its path in EncodeOptimized (bytes = its
 * length); the trie's units hold the same for its pieces. */
static inline float step_score(const spbpe_model *m, int32_t id, size_t bytes) {
    if (id < 0) return m->uni->unk_score; /* no unknown piece in the model */
    if (m->type[id] == SPBPE_PIECE_USER_DEFINED) return sp_uni_udef_score(bytes);
    if (m->type[id] == SPBPE_PIECE_UNKNOWN) return m->uni->unk_score;
    return m->score[id];
}

/* Offer `cand` for the piece t[at, k) to position k: taken when k has none
 * yet or the offer is strictly larger, so ties keep the earliest start. */
static inline void offer(sp_ubest *best, size_t at, size_t k, int32_t id, float cand) {
    sp_ubest *to = &best[k];
    if (to->start == -1 || cand > to->score) {
        to->score = cand;
        to->start = (int32_t)at;
        to->id = id;
    }
}

/* EncodeOptimized over t[a, b), with best[a] = x, in its plain form (the
 * twin of sp_viterbi_chars): positions are bytes, the pieces from each
 * character start are found by hashing every prefix up to the longest
 * piece and scored with step_score, shortest first.  Fills s->best for
 * (a, b] and returns best[b] (rebased as the wheel does, see the top). */
float sp_viterbi_bytes(const spbpe_model *m, sp_uni_scratch *s, const uint8_t *t, size_t a, size_t b, float x) {
    const sp_unigram *u = m->uni;
    const float unk_score = u->unk_score;
    const int32_t unk = m->unk_index;
    sp_ubest *best = s->best;
    for (size_t i = a; i <= b; i++) best[i] = (sp_ubest){0.0f, -1, -1};
    best[a].score = x;
    size_t reach = a; /* the furthest position offered a candidate */
    for (size_t at = a; at < b;) {
        float here = best[at].score;
        if (here < -SP_UNI_REBASE || here > SP_UNI_REBASE) {
            for (size_t i = at + 1; i <= reach; i++)
                if (best[i].start != -1) best[i].score -= here;
            best[at].score = 0.0f;
            here = 0.0f;
        }
        size_t mblen = sp_utf8_char_len(t + at, b - at);
        size_t end = at; /* the furthest piece end from here */
        int single = 0;
        for (size_t k = at + 1; k <= b && k - at <= u->max_piece_len; k++) {
            int32_t id = sp_lookup_normal(m, t + at, k - at);
            if (id < 0 || m->type[id] == SPBPE_PIECE_UNUSED) continue;
            offer(best, at, k, id, step_score(m, id, k - at) + here);
            end = k;
            if (k - at == mblen) single = 1;
        }
        if (!single) {
            offer(best, at, at + mblen, unk, unk_score + here);
            end = at + mblen > end ? at + mblen : end;
        }
        reach = end > reach ? end : reach;
        at += mblen;
    }
    return best[b].score;
}

/* Emit the best path of t[a, b) found by sp_viterbi_bytes.  `stack` has room
 * for b - a entries. */
void sp_emit_bytes(const sp_uni_scratch *s, size_t a, size_t b, int32_t *stack, sp_uemit *o) {
    const sp_ubest *best = s->best;
    size_t top = 0;
    for (size_t e = b; e > a; e = (size_t)best[e].start) stack[top++] = (int32_t)e;
    size_t from = a;
    while (top) {
        size_t e = (size_t)stack[--top];
        sp_uemit_token(o, (uint32_t)from, (uint32_t)(e - from), best[e].id);
        from = e;
    }
}

/* EncodeOptimized over t[a, b) by characters (the fast form of
 * sp_viterbi_bytes, same offers in the same order): the characters' ids and
 * offsets first (chars.c), then best[] per character, the pieces from each
 * start found by walking the character trie, which holds their scores.
 * Returns the number of characters; best[chars].score is the path score. */
uint32_t sp_viterbi_chars(const spbpe_model *m, sp_uni_scratch *s, const uint8_t *t, size_t a, size_t b, float x) {
    const sp_unigram *u = m->uni;
    const sp_uchars *uc = &u->chars;
    const sp_da_unit *units = uc->trie.units;
    const float unk_score = u->unk_score;
    const int32_t unk = m->unk_index;
    uint32_t *cid = s->chr_id, *coff = s->chr_off;
    uint32_t nc = 0;
    for (size_t i = a; i < b;) {
        uint8_t b0 = t[i];
        size_t l;
        uint32_t id;
        if (b0 >= 0xE0 && b0 < 0xF0 && b - i >= 3 && ((t[i + 1] ^ 0x80) | (t[i + 2] ^ 0x80)) < 0x40) {
            id = uc->blocks[uc->three[(b0 & 0x0F) << 6 | (t[i + 1] & 0x3F)] + (t[i + 2] & 0x3F)]; /* kana, CJK */
            l = 3;
        } else if (b0 < 0x80) {
            id = uc->one[b0];
            l = 1;
        } else {
            l = sp_utf8_char_len(t + i, b - i);
            id = sp_uchar_id(uc, t + i, l);
        }
        coff[nc] = (uint32_t)i;
        cid[nc++] = id;
        i += l;
    }
    coff[nc] = (uint32_t)b;
    sp_ubest *best = s->best;
    for (uint32_t i = 0; i <= nc; i++) best[i] = (sp_ubest){0.0f, -1, -1};
    best[0].score = x;
    uint32_t reach = 0; /* the furthest position offered a candidate */
    for (uint32_t at = 0; at < nc; at++) {
        float here = best[at].score;
        if (SP_UNLIKELY(fabsf(here) > SP_UNI_REBASE)) { /* (false for NaN, as the two tests) */
            for (uint32_t i = at + 1; i <= reach; i++)
                if (best[i].start != -1) best[i].score -= here;
            best[at].score = 0.0f;
            here = 0.0f;
        }
        /* the first character: a piece of exactly it, else the unknown offer */
        uint32_t node = (uint32_t)units[0].base + cid[at], end = at + 1;
        if (units[node].check != 0) {
            offer(best, at, at + 1, unk, unk_score + here);
        } else {
            int32_t id = units[node].value;
            offer(best, at, at + 1, id < 0 ? unk : id, (id < 0 ? unk_score : units[node].score) + here);
            for (uint32_t k = at + 1; k < nc;) {
                uint32_t child = (uint32_t)units[node].base + cid[k];
                if (units[child].check != (int32_t)node) break;
                node = child;
                k++;
                id = units[node].value;
                if (id < 0) continue;
                offer(best, at, k, id, units[node].score + here);
                end = k;
            }
        }
        reach = end > reach ? end : reach;
    }
    return nc;
}

/* Emit the best path found by sp_viterbi_chars over nc characters.  `stack`
 * has room for nc entries. */
void sp_emit_chars(const sp_uni_scratch *s, uint32_t nc, int32_t unk, int32_t *stack, sp_uemit *o) {
    const sp_ubest *best = s->best;
    const uint32_t *coff = s->chr_off;
    if (!o->spans && !o->m->info.byte_fallback) {
        /* The usual case, no offsets: the ids written from the back, as
         * sp_uemit_token would write them from the front.  The trie holds
         * NORMAL and USER_DEFINED ids only, so a token is unknown exactly
         * when its id is unk, and an unknown token right after another
         * (or after the unknown that ended the words before) merges into
         * it. */
        size_t count = 0;
        for (uint32_t e = nc; e > 0;) {
            uint32_t p = (uint32_t)best[e].start;
            int merged = best[e].id == unk && (p > 0 ? best[p].id == unk : o->prev_unk && o->count > 0);
            count += !merged;
            e = p;
        }
        int32_t *dst = o->ids + o->count + count;
        for (uint32_t e = nc; e > 0;) {
            uint32_t p = (uint32_t)best[e].start;
            int merged = best[e].id == unk && (p > 0 ? best[p].id == unk : o->prev_unk && o->count > 0);
            if (!merged) *--dst = best[e].id;
            e = p;
        }
        if (nc) o->prev_unk = best[nc].id == unk;
        o->count += count;
        return;
    }
    size_t top = 0;
    for (uint32_t e = nc; e > 0; e = (uint32_t)best[e].start) stack[top++] = (int32_t)e;
    uint32_t from = 0;
    while (top) {
        uint32_t e = (uint32_t)stack[--top];
        sp_uemit_token(o, coff[from], coff[e] - coff[from], best[e].id);
        from = e;
    }
}

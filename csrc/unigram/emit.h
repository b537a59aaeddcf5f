/*
 * unigram/emit.h - turning a segmentation into output tokens, as
 * sentencepiece_processor.cc PopulateSentencePieceText does for every model
 * type: an unknown piece becomes its bytes' <0xXX> pieces under
 * byte_fallback (the last one holding the original span), else a run of
 * unknown pieces merges into one token; a CONTROL id is an error (its text
 * would not be consumed).  Spans are in the normalized text (nb/ne) and in
 * the input (ob/oe, through the normalizer's alignment).  The caller sizes
 * the arrays: one token per normalized byte is always enough.
 */
#ifndef SPBPE_UNIGRAM_EMIT_H
#define SPBPE_UNIGRAM_EMIT_H

#include "unigram/unigram.h"

typedef struct sp_uemit {
    const spbpe_model *m;
    const uint8_t *text;     /* normalized */
    const uint32_t *align;   /* normalized -> input offsets, when spans */
    int32_t *ids;
    uint32_t *nb, *ne, *ob, *oe;
    size_t count;
    int prev_unk;
    int spans;
    int bad;                 /* a CONTROL id was emitted */
} sp_uemit;

static inline void sp_uemit_token(sp_uemit *o, uint32_t b, uint32_t len, int32_t id) {
    const spbpe_model *m = o->m;
    int is_unk = id < 0 || m->type[id] == SPBPE_PIECE_UNKNOWN;
    if (SP_LIKELY(!is_unk && !o->spans && m->type[id] != SPBPE_PIECE_CONTROL)) {
        o->ids[o->count++] = id;
        o->prev_unk = 0;
        return;
    }
    if (!is_unk && m->type[id] == SPBPE_PIECE_CONTROL) {
        o->bad = 1;
        return;
    }
    uint32_t e = b + len;
    uint32_t ob = o->spans ? o->align[b] : 0, oe = o->spans ? o->align[e] : 0;
    if (is_unk && m->info.byte_fallback) {
        for (uint32_t i = 0; i < len; i++) {
            size_t k = o->count++;
            o->ids[k] = m->byte_id[o->text[b + i]];
            if (o->spans) {
                o->nb[k] = b + i;
                o->ne[k] = b + i + 1;
                o->ob[k] = ob;
                o->oe[k] = (i + 1 == len) ? oe : ob;
            }
        }
    } else if (is_unk && o->prev_unk && o->count > 0) {
        if (o->spans) {
            o->ne[o->count - 1] = e;
            o->oe[o->count - 1] = oe;
        }
    } else {
        size_t k = o->count++;
        o->ids[k] = is_unk ? m->unk_index : id;
        if (o->spans) {
            o->nb[k] = b;
            o->ne[k] = e;
            o->ob[k] = ob;
            o->oe[k] = oe;
        }
    }
    o->prev_unk = is_unk;
}

/* viterbi.c: EncodeOptimized over t[a, b) from the path score x, by bytes
 * (the plain twin: returns the score at b, s->best by byte) or by
 * characters (returns the number of characters; the score is
 * s->best[that].score); then the best path emitted into o.  `stack` has
 * room for b - a entries. */
float sp_viterbi_bytes(const spbpe_model *m, sp_uni_scratch *s, const uint8_t *t, size_t a, size_t b, float x);
void sp_emit_bytes(const sp_uni_scratch *s, size_t a, size_t b, int32_t *stack, sp_uemit *o);
uint32_t sp_viterbi_chars(const spbpe_model *m, sp_uni_scratch *s, const uint8_t *t, size_t a, size_t b, float x);
void sp_emit_chars(const sp_uni_scratch *s, uint32_t nc, int32_t unk, int32_t *stack, sp_uemit *o);

#endif /* SPBPE_UNIGRAM_EMIT_H */

/*
 * train_vocab.c - the trained vocabulary: meta pieces at their ids, the
 * merged pieces (score -rank) and then the kept characters in the gaps, in
 * sentencepiece's order (or a unigram, word or char trainer's pieces with their scores);
 * duplicate and size checks; the read accessors.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

static int check_out(spbpe_trainer *t, spbpe_error *err);

int sp_trainer_emit(spbpe_trainer *t, const uint8_t *p, size_t len, float score, int type) {
    size_t n = t->out_count;
    if (n == t->out_cap) {
        size_t nc = n ? n * 2 : 64;
        uint64_t *o = realloc(t->out_off, nc * sizeof *o);
        if (!o) return -1;
        t->out_off = o;
        uint32_t *l = realloc(t->out_len, nc * sizeof *l);
        if (!l) return -1;
        t->out_len = l;
        float *s = realloc(t->out_score, nc * sizeof *s);
        if (!s) return -1;
        t->out_score = s;
        int32_t *ty = realloc(t->out_type, nc * sizeof *ty);
        if (!ty) return -1;
        t->out_type = ty;
        t->out_cap = nc;
    }
    if (len > UINT32_MAX) return -1;
    if (sp_reserve((void **)&t->out_arena, &t->out_arena_cap, t->out_arena_len + len, 1)) return -1;
    memcpy(t->out_arena + t->out_arena_len, p, len);
    t->out_off[n] = t->out_arena_len;
    t->out_len[n] = (uint32_t)len;
    t->out_score[n] = score;
    t->out_type[n] = type;
    t->out_arena_len += len;
    t->out_count++;
    return 0;
}

/* The BPE results: final[i] is a symbol, scored -i; laid out back to back
 * for sp_assemble_scored. */
int sp_assemble(spbpe_trainer *t, const sp_sym *syms, const uint8_t *arena, const int32_t *final, size_t nfinal,
                spbpe_error *err) {
    size_t bytes = 0;
    for (size_t i = 0; i < nfinal; i++) bytes += syms[final[i]].len;
    uint8_t *buf = malloc(bytes + 1);
    uint64_t *off = malloc((nfinal + 1) * sizeof *off);
    float *score = malloc((nfinal + 1) * sizeof *score);
    int st;
    if (!buf || !off || !score) {
        st = sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    } else {
        off[0] = 0;
        for (size_t i = 0; i < nfinal; i++) {
            const sp_sym *y = &syms[final[i]];
            memcpy(buf + off[i], arena + y->off, y->len);
            off[i + 1] = off[i] + y->len;
            score[i] = -(float)i;
        }
        st = sp_assemble_scored(t, buf, off, score, nfinal, err);
    }
    free(buf);
    free(off);
    free(score);
    return st;
}

/* Serialize: meta pieces at their ids, the final pieces in the gaps. */
int sp_assemble_scored(spbpe_trainer *t, const uint8_t *arena, const uint64_t *off, const float *score, size_t n,
                       spbpe_error *err) {
    size_t fid = 0, mi = 0;
    for (int32_t id = 0; id < t->vocab_size; id++) {
        if (mi < t->meta_count && t->meta[mi].id == id) {
            const sp_meta *m = &t->meta[mi++];
            if (t->out_count != (size_t)id)
                return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0,
                               "meta piece %.*s (id %d) lies beyond the %zu trained pieces",
                               (int)m->len, (const char *)m->piece, (int)id, t->out_count);
            if (sp_trainer_emit(t, m->piece, m->len, 0.0f, m->type)) goto oom;
        } else if (fid < n) {
            if (sp_trainer_emit(t, arena + off[fid], (size_t)(off[fid + 1] - off[fid]), score[fid], SPBPE_PIECE_NORMAL))
                goto oom;
            fid++;
        }
    }
    if (fid != n)
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "%zu trained pieces did not fit in the vocabulary", n - fid);
    return check_out(t, err);
oom:
    return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
}

int sp_piece_list_add(sp_piece_list *l, const uint8_t *p, size_t n, int64_t count) {
    if (l->len + 1 >= l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 256;
        uint64_t *off = realloc(l->off, nc * sizeof *off);
        if (!off) return -1;
        l->off = off;
        int64_t *c = realloc(l->count, nc * sizeof *c);
        if (!c) return -1;
        l->count = c;
        l->cap = nc;
    }
    if (sp_reserve((void **)&l->arena, &l->arena_cap, l->arena_len + n + 1, 1)) return -1;
    if (l->len == 0) l->off[0] = 0;
    memcpy(l->arena + l->arena_len, p, n);
    l->arena_len += n;
    l->count[l->len] = count;
    l->off[++l->len] = l->arena_len;
    return 0;
}

void sp_piece_list_release(sp_piece_list *l) {
    free(l->arena);
    free(l->off);
    free(l->count);
    memset(l, 0, sizeof *l);
}

int sp_assemble_logfreq(spbpe_trainer *t, const sp_piece_list *l, uint64_t sum, spbpe_error *err) {
    static const uint64_t no_offsets[1] = {0};
    float *score = malloc((l->len + 1) * sizeof *score);
    if (!score) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    const float logsum = logf((float)sum);
    for (size_t i = 0; i < l->len; i++) score[i] = logf((float)l->count[i]) - logsum;
    if (t->use_all_vocab) t->vocab_size = (int32_t)(l->len + t->meta_count);
    int st = sp_assemble_scored(t, l->arena, l->len ? l->off : no_offsets, score, l->len, err);
    free(score);
    return st;
}

/* No duplicate piece, and the size hard_vocab_limit asks for. */
static int check_out(spbpe_trainer *t, spbpe_error *err) {
    /* No piece may appear twice (e.g. a required char that is also a user symbol). */
    size_t ns = 16;
    while (ns < t->out_count * 2 + 2) ns *= 2;
    uint32_t *sl = calloc(ns, sizeof *sl);
    if (!sl) goto oom;
    for (size_t i = 0; i < t->out_count; i++) {
        const uint8_t *p = t->out_arena + t->out_off[i];
        size_t h = sp_hash_bytes(p, t->out_len[i]) & (ns - 1);
        while (sl[h]) {
            size_t j = sl[h] - 1;
            if (t->out_len[j] == t->out_len[i] && memcmp(t->out_arena + t->out_off[j], p, t->out_len[i]) == 0) {
                free(sl);
                return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "%.*s is already defined",
                               (int)t->out_len[i], (const char *)p);
            }
            h = (h + 1) & (ns - 1);
        }
        sl[h] = (uint32_t)(i + 1);
    }
    free(sl);
    if (t->hard_vocab_limit && t->out_count != (size_t)t->vocab_size)
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0,
                       "Vocabulary size too high (%d). Please set it to a value <= %zu.", (int)t->vocab_size,
                       t->out_count);
    return SPBPE_OK;
oom:
    return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
}

/* ------------------------------------------------------------- accessors */

SP_API size_t spbpe_trainer_piece_count(const spbpe_trainer *t) { return t ? t->out_count : 0; }

SP_API const uint8_t *spbpe_trainer_piece(const spbpe_trainer *t, size_t id, size_t *len) {
    if (!t || id >= t->out_count) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = t->out_len[id];
    return t->out_arena + t->out_off[id];
}

SP_API size_t spbpe_trainer_export(const spbpe_trainer *t, const uint8_t **arena, size_t *arena_len,
                                   const uint64_t **off, const uint32_t **len, const float **score,
                                   const int32_t **type) {
    int ok = t && t->out_count;
    if (arena) *arena = ok ? t->out_arena : NULL;
    if (arena_len) *arena_len = ok ? t->out_arena_len : 0;
    if (off) *off = ok ? t->out_off : NULL;
    if (len) *len = ok ? t->out_len : NULL;
    if (score) *score = ok ? t->out_score : NULL;
    if (type) *type = ok ? t->out_type : NULL;
    return ok ? t->out_count : 0;
}

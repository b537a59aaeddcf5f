/*
 * train_write.c - the trained vocabulary as the bytes of its two files.
 *
 * The pieces of a ModelProto are field 1, one length-delimited
 * SentencePiece each: piece (field 1, bytes), score (field 2, float32),
 * and type (field 3, varint) unless it is NORMAL, the default, which
 * sentencepiece's serializer leaves out.  The .vocab file has one line per
 * piece, its score printed with six significant digits as absl::StrCat
 * prints a float.  Building both here saves a Python loop over every piece.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

static size_t put_varint(uint8_t *o, uint64_t v) {
    size_t n = 0;
    while (v >= 0x80) {
        o[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    o[n++] = (uint8_t)v;
    return n;
}

static size_t varint_len(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

SP_API int spbpe_trainer_serialize(spbpe_trainer *t, int with_score, const uint8_t **pieces, size_t *pieces_len,
                                   const uint8_t **vocab, size_t *vocab_len, spbpe_error *err) {
    sp_clear_error(err);
    if (!t || !pieces || !pieces_len || !vocab || !vocab_len)
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    if (!t->out_count) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "the trainer has not trained");
    /* piece: 2 tags + 2 varints + bytes + 4 (score) + 1 tag + 10 (type) bytes at most */
    size_t proto_cap = 0, vocab_cap = 0;
    for (size_t i = 0; i < t->out_count; i++) {
        proto_cap += t->out_len[i] + 40;
        vocab_cap += t->out_len[i] + 40; /* a tab, 6 digits, sign, point, exponent, newline */
    }
    free(t->ser_pieces);
    free(t->ser_vocab);
    t->ser_pieces = malloc(proto_cap);
    t->ser_vocab = malloc(vocab_cap);
    if (!t->ser_pieces || !t->ser_vocab) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory writing the model");
    uint8_t *o = t->ser_pieces, *v = t->ser_vocab;
    size_t k = 0, kv = 0;
    for (size_t i = 0; i < t->out_count; i++) {
        const uint8_t *p = t->out_arena + t->out_off[i];
        size_t n = t->out_len[i];
        int32_t type = t->out_type[i];
        size_t body = 1 + varint_len(n) + n + 5 + (type == SPBPE_PIECE_NORMAL ? 0 : 1 + varint_len((uint64_t)(int64_t)type));
        o[k++] = 0x0a;
        k += put_varint(o + k, body);
        o[k++] = 0x0a;
        k += put_varint(o + k, n);
        memcpy(o + k, p, n);
        k += n;
        o[k++] = 0x15;
        uint32_t bits;
        memcpy(&bits, &t->out_score[i], 4);
        for (int b = 0; b < 4; b++) o[k++] = (uint8_t)(bits >> (8 * b)); /* little-endian on the wire */
        if (type != SPBPE_PIECE_NORMAL) {
            o[k++] = 0x18;
            k += put_varint(o + k, (uint64_t)(int64_t)type);
        }
        memcpy(v + kv, p, n);
        kv += n;
        if (with_score) {
            v[kv++] = '\t';
            int w = snprintf((char *)v + kv, vocab_cap - kv, "%.6g", (double)t->out_score[i]);
            if (w < 0 || (size_t)w >= vocab_cap - kv) return sp_fail(err, SPBPE_ERR_INTERNAL, 0, "score too long");
            kv += (size_t)w;
        }
        v[kv++] = '\n';
    }
    *pieces = t->ser_pieces;
    *pieces_len = k;
    *vocab = t->ser_vocab;
    *vocab_len = kv;
    return SPBPE_OK;
}

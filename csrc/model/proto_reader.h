/*
 * proto_reader.h - the fields of a serialized ModelProto that encoding and
 * decoding need, read straight from protobuf wire format.
 */
#ifndef SPBPE_PROTO_READER_H
#define SPBPE_PROTO_READER_H

#include "common/internal.h"

typedef struct sp_bytes {
    const uint8_t *p;        /* points into the parsed buffer */
    size_t n;
    int present;
} sp_bytes;

typedef struct sp_piece_rec {
    sp_bytes piece;
    float score;
    int type;
} sp_piece_rec;

typedef struct sp_norm_spec {
    int present;
    sp_bytes charsmap;
    int add_dummy_prefix;            /* proto2 defaults: all true */
    int remove_extra_whitespaces;
    int escape_whitespaces;
} sp_norm_spec;

typedef struct sp_model_spec {
    sp_piece_rec *pieces;
    size_t piece_count, piece_cap;
    int model_type;                  /* default UNIGRAM (1) */
    int byte_fallback;
    int treat_whitespace_as_suffix;
    sp_bytes unk_surface, unk_piece, bos_piece, eos_piece, pad_piece;
    sp_norm_spec normalizer;
    sp_norm_spec denormalizer;
} sp_model_spec;

/* Parse; pieces/strings point into buf.  Free with sp_model_spec_release. */
int sp_parse_model_proto(const uint8_t *buf, size_t len, sp_model_spec *spec, spbpe_error *err);
void sp_model_spec_release(sp_model_spec *spec);

#endif

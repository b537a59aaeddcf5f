/*
 * proto_reader.c - a bounds-checked protobuf wire-format reader for the
 * parts of sentencepiece_model.proto that the runtime uses.
 *
 * Protobuf rules kept here: fields come in any order; the last occurrence
 * of a scalar wins; an optional sub-message that occurs twice is merged (we
 * parse both occurrences into the same struct, which is the same thing for
 * the scalar fields we read); unknown fields and fields with an unexpected
 * wire type are skipped; enum values outside the enum are ignored, as
 * proto2 does.  Groups (wire types 3/4) are rejected.
 */
#include <stdlib.h>
#include <string.h>

#include "model/proto_reader.h"

typedef struct reader {
    const uint8_t *base;     /* start of the whole buffer, for error offsets */
    const uint8_t *p, *end;
} reader;

enum { WT_VARINT = 0, WT_FIXED64 = 1, WT_LEN = 2, WT_SGROUP = 3, WT_EGROUP = 4, WT_FIXED32 = 5 };

static int bad(spbpe_error *err, const reader *r, const char *what) {
    return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, (size_t)(r->p - r->base),
                   "model file is not a valid ModelProto: %s at byte %zu", what, (size_t)(r->p - r->base));
}

static int read_varint(reader *r, uint64_t *v) {
    uint64_t x = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (r->p >= r->end) return -1;
        uint8_t b = *r->p++;
        if (shift == 63 && b > 1) return -1;
        x |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

typedef struct field {
    uint32_t number;
    int wire;
    uint64_t varint;         /* WT_VARINT */
    uint32_t fixed32;        /* WT_FIXED32 */
    const uint8_t *data;     /* WT_LEN */
    size_t len;
} field;

/* Read one field; returns 0 on success, 1 at end, or an error status. */
static int next_field(reader *r, field *f, spbpe_error *err) {
    if (r->p >= r->end) return 1;
    uint64_t tag;
    if (read_varint(r, &tag)) return bad(err, r, "truncated field tag");
    if ((tag >> 3) == 0 || (tag >> 3) > 0x1FFFFFFF) return bad(err, r, "invalid field number");
    f->number = (uint32_t)(tag >> 3);
    f->wire = (int)(tag & 7);
    switch (f->wire) {
    case WT_VARINT:
        if (read_varint(r, &f->varint)) return bad(err, r, "truncated varint");
        return 0;
    case WT_FIXED64:
        if (r->end - r->p < 8) return bad(err, r, "truncated fixed64");
        r->p += 8;
        return 0;
    case WT_FIXED32:
        if (r->end - r->p < 4) return bad(err, r, "truncated fixed32");
        f->fixed32 = (uint32_t)r->p[0] | ((uint32_t)r->p[1] << 8) | ((uint32_t)r->p[2] << 16) |
                     ((uint32_t)r->p[3] << 24);
        r->p += 4;
        return 0;
    case WT_LEN: {
        uint64_t n;
        if (read_varint(r, &n)) return bad(err, r, "truncated length");
        if (n > (uint64_t)(r->end - r->p)) return bad(err, r, "length runs past the end of the data");
        f->data = r->p;
        f->len = (size_t)n;
        r->p += n;
        return 0;
    }
    default:
        return bad(err, r, "unsupported wire type (group or invalid)");
    }
}

static void set_bytes(sp_bytes *b, const field *f) {
    b->p = f->data;
    b->n = f->len;
    b->present = 1;
}

static int parse_piece(const uint8_t *base, const uint8_t *data, size_t len, sp_piece_rec *out, spbpe_error *err) {
    reader r = {base, data, data + len};
    field f;
    int st;
    out->piece.p = data;
    out->piece.n = 0;
    out->piece.present = 0;
    out->score = 0.0f;
    out->type = SPBPE_PIECE_NORMAL;
    while ((st = next_field(&r, &f, err)) == 0) {
        if (f.number == 1 && f.wire == WT_LEN) set_bytes(&out->piece, &f);
        else if (f.number == 2 && f.wire == WT_FIXED32) memcpy(&out->score, &f.fixed32, 4);
        else if (f.number == 3 && f.wire == WT_VARINT && f.varint >= 1 && f.varint <= 6) out->type = (int)f.varint;
    }
    return st == 1 ? 0 : st;
}

static int parse_trainer(const uint8_t *base, const uint8_t *data, size_t len, sp_model_spec *s, spbpe_error *err) {
    reader r = {base, data, data + len};
    field f;
    int st;
    while ((st = next_field(&r, &f, err)) == 0) {
        if (f.wire == WT_VARINT) {
            switch (f.number) {
            case 3: if (f.varint >= 1 && f.varint <= 4) s->model_type = (int)f.varint; break;
            case 24: s->treat_whitespace_as_suffix = f.varint != 0; break;
            case 35: s->byte_fallback = f.varint != 0; break;
            default: break;
            }
        } else if (f.wire == WT_LEN) {
            switch (f.number) {
            case 44: set_bytes(&s->unk_surface, &f); break;
            case 45: set_bytes(&s->unk_piece, &f); break;
            case 46: set_bytes(&s->bos_piece, &f); break;
            case 47: set_bytes(&s->eos_piece, &f); break;
            case 48: set_bytes(&s->pad_piece, &f); break;
            default: break;
            }
        }
    }
    return st == 1 ? 0 : st;
}

static int parse_normalizer(const uint8_t *base, const uint8_t *data, size_t len, sp_norm_spec *n, spbpe_error *err) {
    reader r = {base, data, data + len};
    field f;
    int st;
    n->present = 1;
    while ((st = next_field(&r, &f, err)) == 0) {
        if (f.number == 2 && f.wire == WT_LEN) set_bytes(&n->charsmap, &f);
        else if (f.wire == WT_VARINT && f.number == 3) n->add_dummy_prefix = f.varint != 0;
        else if (f.wire == WT_VARINT && f.number == 4) n->remove_extra_whitespaces = f.varint != 0;
        else if (f.wire == WT_VARINT && f.number == 5) n->escape_whitespaces = f.varint != 0;
    }
    return st == 1 ? 0 : st;
}

static void norm_defaults(sp_norm_spec *n) {
    memset(n, 0, sizeof *n);
    n->add_dummy_prefix = n->remove_extra_whitespaces = n->escape_whitespaces = 1;
}

int sp_parse_model_proto(const uint8_t *buf, size_t len, sp_model_spec *s, spbpe_error *err) {
    memset(s, 0, sizeof *s);
    s->model_type = 1;
    norm_defaults(&s->normalizer);
    norm_defaults(&s->denormalizer);
    reader r = {buf, buf, buf + len};
    field f;
    int st;
    while ((st = next_field(&r, &f, err)) == 0) {
        if (f.wire != WT_LEN) continue;
        if (f.number == 1) {
            if (s->piece_count == s->piece_cap &&
                sp_reserve((void **)&s->pieces, &s->piece_cap, s->piece_count + 1, sizeof *s->pieces)) {
                st = sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory reading pieces");
                break;
            }
            if ((st = parse_piece(buf, f.data, f.len, &s->pieces[s->piece_count], err))) break;
            s->piece_count++;
        } else if (f.number == 2) {
            if ((st = parse_trainer(buf, f.data, f.len, s, err))) break;
        } else if (f.number == 3) {
            if ((st = parse_normalizer(buf, f.data, f.len, &s->normalizer, err))) break;
        } else if (f.number == 5) {
            if ((st = parse_normalizer(buf, f.data, f.len, &s->denormalizer, err))) break;
        }
    }
    if (st != 1) {
        sp_model_spec_release(s);
        return st;
    }
    return SPBPE_OK;
}

void sp_model_spec_release(sp_model_spec *s) {
    free(s->pieces);
    s->pieces = NULL;
    s->piece_count = s->piece_cap = 0;
}

/*
 * bpe_decode.c - sentencepiece's Decode (sentencepiece_processor.cc):
 * pieces back to text.
 *
 * Runs of BYTE pieces are gathered and read as UTF-8, each malformed byte
 * becoming U+FFFD; any other piece (CONTROL included) ends a run.  CONTROL
 * pieces print nothing, the unknown piece prints unk_surface, and every
 * U+2581 becomes a space.  The first printed piece loses one leading U+2581
 * (the dummy prefix) while nothing has been printed yet and no dummy space
 * has been removed, which is the state machine below.
 */
#include <string.h>

#include "encode/encode.h"

static const uint8_t REPLACEMENT_CHAR[3] = {0xEF, 0xBF, 0xBD};

/* Output is sized once per call from an exact upper bound, so the loops
 * below copy without capacity checks. */
typedef struct outbuf {
    uint8_t *p;
    size_t len;
} outbuf;

static inline void put(outbuf *o, const uint8_t *s, size_t n) {
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

/* A piece's text with every U+2581 turned into a space. */
static void put_unescaped(outbuf *o, const uint8_t *s, size_t n) {
    size_t run = 0;
    for (size_t i = 0; i + 3 <= n;) {
        const uint8_t *hit = memchr(s + i, SP_SPACE_LEAD, n - 2 - i);
        if (!hit) break;
        i = (size_t)(hit - s);
        if (sp_is_space_symbol(s + i)) {
            put(o, s + run, i - run);
            o->p[o->len++] = ' ';
            i += 3;
            run = i;
        } else {
            i++;
        }
    }
    put(o, s + run, n - run);
}

/* A run of byte pieces read as UTF-8: each malformed byte becomes U+FFFD
 * (at most 3 output bytes per piece).  Characters are copied 4 bytes at a
 * time: the output has 16 bytes of slack. */
static void put_bytes(outbuf *o, const spbpe_model *m, const int32_t *ids, size_t from, size_t to) {
    uint8_t buf[64 + 4];
    size_t i = from;
    while (i < to) {
        /* Decode in chunks; a character never spans more than 4 bytes, so
         * carry the last 3 bytes of a chunk over to the next. */
        size_t k = 0;
        while (i + k < to && k < 64) {
            buf[k] = (uint8_t)m->byte_value[ids[i + k]];
            k++;
        }
        memset(buf + k, 0, 4);
        size_t usable = (i + k < to && k > 3) ? k - 3 : k;
        size_t j = 0;
        while (j < usable) {
            /* Same answer as sp_utf8_valid_char: OneCharLen, then a check. */
            size_t len = sp_utf8_char_len(buf + j, k - j);
            if (sp_utf8_scalar(buf + j, len) != SP_NOT_A_CHAR) {
                memcpy(o->p + o->len, buf + j, 4);
                o->len += len;
                j += len;
            } else {
                put(o, REPLACEMENT_CHAR, 3);
                j += 1;
            }
        }
        i += j;
    }
}

/* The state of the dummy-prefix rule (see the top of this file). */
typedef struct dummy_prefix {
    int is_bos_ws;           /* nothing printed yet, no dummy space removed */
    int bos_ws_seen;         /* the previous piece's leading U+2581 was dropped */
    int strip;               /* the model adds a dummy prefix or trims spaces */
    int rew;                 /* remove_extra_whitespaces */
} dummy_prefix;

static dummy_prefix dummy_prefix_start(const spbpe_model *m) {
    dummy_prefix dp = {
        .is_bos_ws = 1,
        .bos_ws_seen = 0,
        .strip = m->info.add_dummy_prefix || m->info.remove_extra_whitespaces,
        .rew = m->info.remove_extra_whitespaces,
    };
    return dp;
}

/* *bound += n, or SPBPE_ERR_LIMIT if that overflows. */
static int grow_bound(size_t *bound, size_t n, spbpe_error *err) {
    if (*bound + n < *bound) return sp_fail(err, SPBPE_ERR_LIMIT, 0, "decoded text too large");
    *bound += n;
    return SPBPE_OK;
}

/* The workspace's output buffer with room for bound bytes (and a NUL). */
static int start_output(spbpe_workspace *ws, size_t bound, size_t count, outbuf *o, spbpe_error *err) {
    if (sp_reserve((void **)&ws->out, &ws->out_cap, bound + 1, 1))
        return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory decoding %zu pieces", count);
    o->p = ws->out;
    o->len = 0;
    return SPBPE_OK;
}

/* The denormalizer, when the model has one, runs over the printed text. */
static int finish(const spbpe_model *m, spbpe_workspace *ws, const outbuf *o, spbpe_decoded *out, spbpe_error *err) {
    ws->out_len = o->len;
    out->text = ws->out;
    out->len = o->len;
    if (m->info.has_denormalizer) {
        int st = sp_normalize(&m->denormalizer, ws->out, ws->out_len, &ws->denorm, err);
        if (st) return st;
        out->text = ws->denorm.text;
        out->len = ws->denorm.len;
    }
    return SPBPE_OK;
}

/* Above this, the output is sized by an exact first pass instead of
 * count * the longest printed piece. */
#define SP_LOOSE_BOUND_MAX ((size_t)64 << 20)

/* Decoding ids: each id's printed form, kind and leading-U+2581 flag come
 * from one 8-byte descriptor (model.h), and the output is sized from the
 * longest printed piece, so it is one pass with one table read per id. */
static int decode_ids_core(const spbpe_model *m, const int32_t *ids, size_t count, spbpe_workspace *ws,
                           spbpe_decoded *out, spbpe_error *err) {
    size_t per = m->max_print_len, bound;
    if (count <= SP_LOOSE_BOUND_MAX / per) {
        bound = count * per + 16; /* slack: short pieces are copied 16 bytes at a time */
    } else {
        bound = 16;
        for (size_t i = 0; i < count; i++) {
            int32_t id = ids[i];
            if (id < 0 || id >= m->piece_count)
                return sp_fail(err, SPBPE_ERR_OUT_OF_RANGE, i, "piece id is out of range: %d (at index %zu)", (int)id, i);
            uint64_t d = m->print_desc[id];
            size_t n = SP_PRINT_KIND(d) == SP_PRINT_BYTE ? 3 /* up to one U+FFFD */
                       : SP_PRINT_LEN(d) < SP_PRINT_LEN_MAX ? SP_PRINT_LEN(d) : m->text_off[id + 1] - m->text_off[id];
            if (grow_bound(&bound, n, err)) return SPBPE_ERR_LIMIT;
        }
    }
    outbuf o;
    int st = start_output(ws, bound, count, &o, err);
    if (st) return st;
    size_t byte_start = 0;
    dummy_prefix dp = dummy_prefix_start(m);
    const uint64_t *desc = m->print_desc;
    for (size_t i = 0; i < count; i++) {
        int32_t id = ids[i];
        if (SP_UNLIKELY(id < 0 || id >= m->piece_count))
            return sp_fail(err, SPBPE_ERR_OUT_OF_RANGE, i, "piece id is out of range: %d (at index %zu)", (int)id, i);
        uint64_t d = desc[id];
        unsigned kind = SP_PRINT_KIND(d);
        if (kind == SP_PRINT_BYTE) continue;
        if (byte_start < i) put_bytes(&o, m, ids, byte_start, i);
        if (dp.bos_ws_seen || o.len > 0) dp.is_bos_ws = 0;
        byte_start = i + 1;
        if (SP_LIKELY(kind == SP_PRINT_TEXT)) {
            /* The dummy prefix: one leading U+2581 goes, printed as nothing. */
            int stripped = dp.is_bos_ws && dp.strip && SP_PRINT_LEAD_SPACE(d);
            dp.bos_ws_seen = stripped && !dp.rew;
            size_t from = SP_PRINT_OFFSET(d) + (size_t)stripped, n = SP_PRINT_LEN(d);
            if (SP_LIKELY(n <= 16)) {
                /* The arena and the output both have 16 bytes of slack. */
                memcpy(o.p + o.len, m->text_arena + from, 16);
                o.len += n - (size_t)stripped;
            } else {
                n = m->text_off[id + 1] - from; /* the length field may be saturated */
                put(&o, m->text_arena + from, n);
            }
        } else {
            if (kind == SP_PRINT_UNKNOWN) put(&o, m->unk_surface, m->unk_surface_len);
            dp.bos_ws_seen = 0; /* CONTROL prints nothing */
        }
    }
    if (byte_start < count) put_bytes(&o, m, ids, byte_start, count);
    return finish(m, ws, &o, out, err);
}

/* Decoding pieces: pieces[i], lens[i] are the strings; ids[i] their ids
 * (or -1 for a string that is in no table when no unk exists). */
static int decode_pieces_core(const spbpe_model *m, const uint8_t *const *pieces, const size_t *lens,
                              const int32_t *ids, size_t count, spbpe_workspace *ws, spbpe_decoded *out,
                              spbpe_error *err) {
    size_t bound = 16;
    for (size_t i = 0; i < count; i++) {
        int32_t id = ids[i];
        int type = id >= 0 ? m->type[id] : SPBPE_PIECE_UNKNOWN;
        size_t n = lens[i];
        if (type == SPBPE_PIECE_BYTE) n = 3;
        else if (type == SPBPE_PIECE_UNKNOWN && m->unk_surface_len > n) n = m->unk_surface_len;
        if (grow_bound(&bound, n, err)) return SPBPE_ERR_LIMIT;
    }
    outbuf o;
    int st = start_output(ws, bound, count, &o, err);
    if (st) return st;
    size_t byte_start = 0;
    dummy_prefix dp = dummy_prefix_start(m);
    for (size_t i = 0; i < count; i++) {
        int32_t id = ids[i];
        int type = id >= 0 ? m->type[id] : SPBPE_PIECE_UNKNOWN;
        if (type == SPBPE_PIECE_BYTE) continue;
        if (byte_start < i) put_bytes(&o, m, ids, byte_start, i);
        if (dp.bos_ws_seen || o.len > 0) dp.is_bos_ws = 0;
        byte_start = i + 1;
        if (type == SPBPE_PIECE_NORMAL || type == SPBPE_PIECE_USER_DEFINED || type == SPBPE_PIECE_UNUSED) {
            const uint8_t *p = pieces[i];
            size_t n = lens[i];
            int stripped = dp.is_bos_ws && dp.strip && n >= 3 && sp_is_space_symbol(p);
            dp.bos_ws_seen = stripped && !dp.rew;
            put_unescaped(&o, p + 3 * stripped, n - 3 * stripped);
        } else if (type == SPBPE_PIECE_UNKNOWN) {
            /* The unknown piece prints unk_surface; any other string that
             * mapped to it prints as it is. */
            if (id >= 0 && lens[i] == sp_piece_len(m, id) && memcmp(pieces[i], sp_piece_ptr(m, id), lens[i]) == 0)
                put(&o, m->unk_surface, m->unk_surface_len);
            else
                put(&o, pieces[i], lens[i]);
            dp.bos_ws_seen = 0;
        } else { /* CONTROL prints nothing */
            dp.bos_ws_seen = 0;
        }
    }
    if (byte_start < count) put_bytes(&o, m, ids, byte_start, count);
    return finish(m, ws, &o, out, err);
}

/* Piece pointer arrays live in the workspace's symbol buffer, reused. */
static int piece_arrays(spbpe_workspace *ws, size_t count, const uint8_t ***pp, size_t **lp, int32_t **ip) {
    size_t per = sizeof(uint8_t *) + sizeof(size_t) + sizeof(int32_t);
    size_t need = (count * per + sizeof(sp_symbol) - 1) / sizeof(sp_symbol) + 1;
    if (sp_reserve((void **)&ws->sym, &ws->sym_cap, need, sizeof(sp_symbol))) return -1;
    uint8_t *base = (uint8_t *)ws->sym;
    *pp = (const uint8_t **)base;
    *lp = (size_t *)(base + count * sizeof(uint8_t *));
    *ip = (int32_t *)(base + count * (sizeof(uint8_t *) + sizeof(size_t)));
    return 0;
}

SP_API int spbpe_decode_ids(const spbpe_model *m, const int32_t *ids, size_t count, spbpe_workspace *ws,
                            spbpe_decoded *out, spbpe_error *err) {
    sp_clear_error(err);
    if (!m || !ws || !out || (!ids && count)) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    return decode_ids_core(m, ids, count, ws, out, err); /* checks the id range */
}

SP_API int spbpe_decode_pieces(const spbpe_model *m, const uint8_t *pieces, const size_t *lengths, size_t count,
                               spbpe_workspace *ws, spbpe_decoded *out, spbpe_error *err) {
    sp_clear_error(err);
    if (!m || !ws || !out || (count && (!lengths || !pieces)))
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    const uint8_t **pp;
    size_t *lp;
    int32_t *ip;
    if (piece_arrays(ws, count, &pp, &lp, &ip)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory decoding");
    size_t off = 0;
    for (size_t i = 0; i < count; i++) {
        pp[i] = pieces + off;
        lp[i] = lengths[i];
        off += lengths[i];
        int32_t id = sp_lookup(m, pp[i], lp[i]);
        ip[i] = id >= 0 ? id : m->unk_index;
    }
    return decode_pieces_core(m, pp, lp, ip, count, ws, out, err);
}

SP_API int64_t spbpe_decode_to(const spbpe_model *m, const int32_t *ids, size_t count, spbpe_workspace *ws,
                               uint8_t *dst, size_t cap, spbpe_error *err) {
    spbpe_decoded dec;
    int st = spbpe_decode_ids(m, ids, count, ws, &dec, err);
    if (st) return -(int64_t)st;
    if (dec.len > cap)
        return -(int64_t)sp_fail(err, SPBPE_ERR_LIMIT, 0, "%zu bytes of text do not fit in room for %zu", dec.len, cap);
    if (dec.len) {
        if (!dst) return -(int64_t)sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
        memcpy(dst, dec.text, dec.len);
    }
    return (int64_t)dec.len;
}

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

#include "model.h"

static const uint8_t SPACE_SYMBOL[3] = {0xE2, 0x96, 0x81};
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
        const uint8_t *hit = memchr(s + i, 0xE2, n - 2 - i);
        if (!hit) break;
        i = (size_t)(hit - s);
        if (memcmp(s + i, SPACE_SYMBOL, 3) == 0) {
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
 * (at most 3 output bytes per piece). */
static void put_bytes(outbuf *o, const spbpe_model *m, const int32_t *ids, size_t from, size_t to) {
    uint8_t buf[64];
    size_t i = from;
    while (i < to) {
        /* Decode in chunks; a character never spans more than 4 bytes, so
         * carry the last 3 bytes of a chunk over to the next. */
        size_t k = 0;
        while (i + k < to && k < sizeof buf) {
            buf[k] = (uint8_t)m->byte_value[ids[i + k]];
            k++;
        }
        size_t usable = (i + k < to && k > 3) ? k - 3 : k;
        size_t j = 0;
        while (j < usable) {
            size_t len;
            if (sp_utf8_valid_char(buf + j, k - j, &len)) {
                put(o, buf + j, len);
                j += len;
            } else {
                put(o, REPLACEMENT_CHAR, 3);
                j += 1;
            }
        }
        i += j;
    }
}

/* pieces[i], lens[i] are the piece strings; ids[i] their ids (or -1 for a
 * string that is in no table and no unk exists).  pieces == NULL means the
 * pieces are the vocabulary's own (decoding ids): their printed forms are
 * precomputed and copied as they are. */
static int decode_core(const spbpe_model *m, const uint8_t *const *pieces, const size_t *lens, const int32_t *ids,
                       size_t count, spbpe_workspace *ws, spbpe_decoded *out, spbpe_error *err) {
    size_t bound = 16; /* slack: short pieces are copied 16 bytes at a time */
    for (size_t i = 0; i < count; i++) {
        int32_t id = ids[i];
        if (!pieces && (id < 0 || id >= m->piece_count))
            return sp_fail(err, SPBPE_ERR_OUT_OF_RANGE, i, "piece id is out of range: %d (at index %zu)", (int)id, i);
        int type = id >= 0 ? m->type[id] : SPBPE_PIECE_UNKNOWN;
        size_t n = pieces ? lens[i] : m->text_off[id + 1] - m->text_off[id];
        if (type == SPBPE_PIECE_BYTE) n = 3;
        else if (type == SPBPE_PIECE_UNKNOWN && m->unk_surface_len > n) n = m->unk_surface_len;
        if (bound + n < bound) return sp_fail(err, SPBPE_ERR_LIMIT, 0, "decoded text too large");
        bound += n;
    }
    if (sp_reserve((void **)&ws->out, &ws->out_cap, bound + 1, 1))
        return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory decoding %zu pieces", count);
    outbuf o = {ws->out, 0};
    size_t byte_start = 0;
    int is_bos_ws = 1, bos_ws_seen = 0;
    int strip = m->info.add_dummy_prefix || m->info.remove_extra_whitespaces;
    int rew = m->info.remove_extra_whitespaces;
    for (size_t i = 0; i < count; i++) {
        int32_t id = ids[i];
        int type = id >= 0 ? m->type[id] : SPBPE_PIECE_UNKNOWN;
        if (type == SPBPE_PIECE_BYTE) continue;
        if (byte_start < i) put_bytes(&o, m, ids, byte_start, i);
        if (bos_ws_seen || o.len > 0) is_bos_ws = 0;
        byte_start = i + 1;
        if (type == SPBPE_PIECE_NORMAL || type == SPBPE_PIECE_USER_DEFINED || type == SPBPE_PIECE_UNUSED) {
            /* The dummy prefix: one leading U+2581 goes, printed as nothing. */
            const uint8_t *p = pieces ? pieces[i] : sp_piece_ptr(m, id);
            size_t n = pieces ? lens[i] : sp_piece_len(m, id);
            int stripped = is_bos_ws && strip && n >= 3 && memcmp(p, SPACE_SYMBOL, 3) == 0;
            bos_ws_seen = stripped && !rew;
            if (pieces) {
                put_unescaped(&o, p + 3 * stripped, n - 3 * stripped);
            } else {
                size_t from = m->text_off[id] + (size_t)stripped, n_text = m->text_off[id + 1] - from;
                if (SP_LIKELY(n_text <= 16)) {
                    /* The arena and the output both have 16 bytes of slack. */
                    memcpy(o.p + o.len, m->text_arena + from, 16);
                    o.len += n_text;
                } else {
                    put(&o, m->text_arena + from, n_text);
                }
            }
        } else if (type == SPBPE_PIECE_UNKNOWN) {
            /* The unknown piece prints unk_surface; any other string that
             * mapped to it (decoding pieces) prints as it is. */
            if (!pieces || (id >= 0 && lens[i] == sp_piece_len(m, id) &&
                            memcmp(pieces[i], sp_piece_ptr(m, id), lens[i]) == 0))
                put(&o, m->unk_surface, m->unk_surface_len);
            else
                put(&o, pieces[i], lens[i]);
            bos_ws_seen = 0;
        } else { /* CONTROL prints nothing */
            bos_ws_seen = 0;
        }
    }
    if (byte_start < count) put_bytes(&o, m, ids, byte_start, count);
    ws->out_len = o.len;
    out->text = ws->out;
    out->len = o.len;
    if (m->info.has_denormalizer) {
        int st = sp_normalize(&m->denormalizer, ws->out, ws->out_len, &ws->denorm, err);
        if (st) return st;
        out->text = ws->denorm.text;
        out->len = ws->denorm.len;
    }
    return SPBPE_OK;
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
    return decode_core(m, NULL, NULL, ids, count, ws, out, err); /* checks the id range */
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
    return decode_core(m, pp, lp, ip, count, ws, out, err);
}

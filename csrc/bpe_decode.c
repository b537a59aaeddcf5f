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

typedef struct decoder {
    const spbpe_model *m;
    spbpe_workspace *ws;
    int failed;
} decoder;

static inline void append(decoder *d, const uint8_t *s, size_t n) {
    spbpe_workspace *ws = d->ws;
    if (SP_UNLIKELY(ws->out_len + n > ws->out_cap)) {
        if (d->failed || sp_reserve((void **)&ws->out, &ws->out_cap, ws->out_len + n, 1)) {
            d->failed = 1;
            return;
        }
    }
    if (n) memcpy(ws->out + ws->out_len, s, n);
    ws->out_len += n;
}

/* Append a piece's text with every U+2581 turned into a space. */
static void append_unescaped(decoder *d, const uint8_t *s, size_t n) {
    size_t run = 0;
    for (size_t i = 0; i + 3 <= n;) {
        const uint8_t *hit = memchr(s + i, 0xE2, n - 2 - i);
        if (!hit) break;
        i = (size_t)(hit - s);
        if (memcmp(s + i, SPACE_SYMBOL, 3) == 0) {
            append(d, s + run, i - run);
            append(d, (const uint8_t *)" ", 1);
            i += 3;
            run = i;
        } else {
            i++;
        }
    }
    append(d, s + run, n - run);
}

static void flush_bytes(decoder *d, const int32_t *ids, size_t from, size_t to) {
    uint8_t buf[64];
    size_t i = from;
    while (i < to) {
        /* Decode in chunks; a character never spans more than 4 bytes, so
         * carry the last 3 bytes of a chunk over to the next. */
        size_t k = 0;
        while (i + k < to && k < sizeof buf) {
            buf[k] = (uint8_t)d->m->byte_value[ids[i + k]];
            k++;
        }
        size_t usable = (i + k < to && k > 3) ? k - 3 : k;
        size_t j = 0;
        while (j < usable) {
            size_t len;
            if (sp_utf8_valid_char(buf + j, k - j, &len)) {
                append(d, buf + j, len);
                j += len;
            } else {
                append(d, REPLACEMENT_CHAR, 3);
                j += 1;
            }
        }
        i += j;
    }
}

/* pieces[i], lens[i] are the piece strings; ids[i] their ids (or -1 for a
 * string that is in no table and no unk exists).  pieces == NULL means the
 * pieces are the vocabulary's own (decoding ids): their printed forms are
 * precomputed. */
static int decode_core(const spbpe_model *m, const uint8_t *const *pieces, const size_t *lens, const int32_t *ids,
                       size_t count, spbpe_workspace *ws, spbpe_decoded *out, spbpe_error *err) {
    decoder d = {m, ws, 0};
    ws->out_len = 0;
    size_t byte_start = 0;
    int is_bos_ws = 1, bos_ws_seen = 0;
    int strip = m->info.add_dummy_prefix || m->info.remove_extra_whitespaces;
    for (size_t i = 0; i < count; i++) {
        int32_t id = ids[i];
        int type = id >= 0 ? m->type[id] : SPBPE_PIECE_UNKNOWN;
        if (type == SPBPE_PIECE_BYTE) continue;
        flush_bytes(&d, ids, byte_start, i);
        if (bos_ws_seen || ws->out_len > 0) is_bos_ws = 0;
        byte_start = i + 1;
        const uint8_t *p = pieces ? pieces[i] : sp_piece_ptr(m, id);
        size_t n = pieces ? lens[i] : sp_piece_len(m, id);
        if (type == SPBPE_PIECE_CONTROL) {
            bos_ws_seen = 0;
        } else if (type == SPBPE_PIECE_UNKNOWN) {
            if (id >= 0 && n == sp_piece_len(m, id) && memcmp(p, sp_piece_ptr(m, id), n) == 0)
                append(&d, m->unk_surface, m->unk_surface_len);
            else
                append(&d, p, n);
            bos_ws_seen = 0;
        } else {
            /* The dummy prefix: one leading U+2581 goes, printed as nothing. */
            int stripped = is_bos_ws && strip && n >= 3 && memcmp(p, SPACE_SYMBOL, 3) == 0;
            bos_ws_seen = stripped && !m->info.remove_extra_whitespaces;
            if (pieces) {
                append_unescaped(&d, p + 3 * stripped, n - 3 * stripped);
            } else {
                size_t from = m->text_off[id] + (size_t)stripped, to = m->text_off[id + 1];
                append(&d, m->text_arena + from, to - from);
            }
        }
    }
    flush_bytes(&d, ids, byte_start, count);
    if (d.failed) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory decoding");
    out->text = ws->out;
    out->len = ws->out_len;
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
    for (size_t i = 0; i < count; i++)
        if (ids[i] < 0 || ids[i] >= m->piece_count)
            return sp_fail(err, SPBPE_ERR_OUT_OF_RANGE, i, "piece id is out of range: %d (at index %zu)", (int)ids[i], i);
    return decode_core(m, NULL, NULL, ids, count, ws, out, err);
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

/*
 * model.c - building a spbpe_model from a serialized ModelProto, with
 * sentencepiece 0.2.3's load-time checks (model_interface.cc
 * InitializePieces), and the lookups the encoder and decoder use.
 *
 * Tables built here, all immutable afterwards:
 *  - `all`: piece bytes -> id for every piece (0.2.3 rejects duplicate
 *    strings across types, so one table serves both of its maps);
 *  - character tables (ASCII and BMP code point -> normal-map id), the
 *    character pairs that occur inside pieces (char_pairs.c), and each
 *    piece's printed form for decoding;
 *  - byte pieces <0xXX> by byte value and by id.
 *
 * Every model gets a generation id at load, from a process-wide atomic
 * counter (the library's one piece of global state; it only ever counts
 * up).  Per-thread caches (word cache, pair memo) are keyed by it, so a
 * workspace that served another model, even one at the same address or
 * with colliding bytes, never answers from that model's entries.
 */
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "model/proto_reader.h"
#include "unigram/unigram.h"

#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
static volatile __int64 generation_counter;
static uint64_t next_generation(void) { return (uint64_t)_InterlockedIncrement64(&generation_counter); }
#else
#include <stdatomic.h>
static atomic_uint_fast64_t generation_counter;
static uint64_t next_generation(void) { return (uint64_t)atomic_fetch_add(&generation_counter, 1) + 1; }
#endif

static const uint8_t DEFAULT_UNK_SURFACE[] = {' ', 0xE2, 0x81, 0x87, ' '};

/* ------------------------------------------------------------- lookups */


size_t sp_udef_match(const void *model, const uint8_t *s, size_t n) {
    const spbpe_model *m = model;
    if (!(m->udef_first[s[0] >> 3] & (1u << (s[0] & 7)))) return 0;
    size_t l = n < m->udef_max_len ? n : m->udef_max_len;
    for (; l > 0; l--) {
        int32_t id = sp_lookup(m, s, l);
        if (id >= 0 && m->type[id] == SPBPE_PIECE_USER_DEFINED) return l;
    }
    return 0;
}

/* ------------------------------------------------------------ building */

static size_t table_size_for(size_t n) {
    size_t size = 16;
    while (size < 2 * n) size *= 2;
    return size;
}

static int build_piece_table(spbpe_model *m, spbpe_error *err) {
    size_t size = table_size_for((size_t)m->piece_count);
    m->all.slots = malloc(size * sizeof *m->all.slots);
    if (!m->all.slots) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory building the vocabulary");
    memset(m->all.slots, 0xFF, size * sizeof *m->all.slots);
    m->all.mask = size - 1;
    for (int32_t id = 0; id < m->piece_count; id++) {
        const uint8_t *s = sp_piece_ptr(m, id);
        size_t n = sp_piece_len(m, id);
        uint64_t h = sp_hash_bytes(s, n);
        size_t i = (size_t)(h >> 32) & m->all.mask;
        for (;; i = (i + 1) & m->all.mask) {
            int32_t other = m->all.slots[i].id;
            if (other < 0) break;
            if (sp_piece_len(m, other) == n && memcmp(sp_piece_ptr(m, other), s, n) == 0)
                return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, 0, "%.*s is already defined.", (int)(n > 100 ? 100 : n), (const char *)s);
        }
        m->all.slots[i].id = id;
        m->all.slots[i].hash = (uint32_t)h;
    }
    return SPBPE_OK;
}

static int is_byte_piece_name(const uint8_t *s, size_t n, int *value) {
    static const char hex[] = "0123456789ABCDEF";
    if (n != 6 || s[0] != '<' || s[1] != '0' || s[2] != 'x' || s[5] != '>') return 0;
    const char *hi = memchr(hex, s[3], 16), *lo = memchr(hex, s[4], 16);
    if (!hi || !lo || !s[3] || !s[4]) return 0;
    *value = (int)((hi - hex) * 16 + (lo - hex));
    return 1;
}

/* sp_bytes with sentencepiece's "empty means the default" rule. */
static int32_t special_id(const spbpe_model *m, const sp_bytes *b, const char *dflt, int want_type) {
    const uint8_t *s = b->n ? b->p : (const uint8_t *)dflt;
    size_t n = b->n ? b->n : strlen(dflt);
    int32_t id = sp_lookup(m, s, n);
    if (id < 0) id = m->unk_index;
    return (id >= 0 && m->type[id] == want_type) ? id : -1;
}

static int check_pieces(spbpe_model *m, const sp_model_spec *s, spbpe_error *err) {
    int bytes_seen = 0;
    m->unk_index = -1;
    for (int32_t id = 0; id < m->piece_count; id++) {
        size_t n = sp_piece_len(m, id);
        const uint8_t *p = sp_piece_ptr(m, id);
        int t = m->type[id];
        m->byte_value[id] = -1;
        if (n == 0) return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, 0, "piece must not be empty (id %d).", (int)id);
        if (memchr(p, 0, n))
            return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, 0, "piece must not include null character (id %d).", (int)id);
        if (t == SPBPE_PIECE_UNKNOWN) {
            if (m->unk_index >= 0) return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, 0, "unk is already defined (ids %d and %d).", (int)m->unk_index, (int)id);
            m->unk_index = id;
        } else if (t == SPBPE_PIECE_BYTE) {
            int v;
            if (!s->byte_fallback)
                return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, 0, "byte piece %.*s is found although `byte_fallback` is false.", (int)(n > 50 ? 50 : n), (const char *)p);
            if (!is_byte_piece_name(p, n, &v))
                return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, 0, "byte piece %.*s is invalid.", (int)(n > 50 ? 50 : n), (const char *)p);
            m->byte_value[id] = (int16_t)v;
            if (m->byte_id[v] < 0) bytes_seen++;
            m->byte_id[v] = id;
        } else if (t == SPBPE_PIECE_USER_DEFINED) {
            m->udef_first[p[0] >> 3] |= (uint8_t)(1u << (p[0] & 7));
            if (n > m->udef_max_len) m->udef_max_len = n;
            m->info.has_user_defined = 1;
        } else if (t == SPBPE_PIECE_UNUSED) {
            m->info.has_unused = 1;
        }
    }
    if (m->unk_index < 0 && !s->byte_fallback) return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, 0, "unk is not defined.");
    if (s->byte_fallback && bytes_seen != 256)
        return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, 0, "there are not 256 byte pieces although `byte_fallback` is true.");
    return SPBPE_OK;
}

/* Can merges cross the point before a run of U+2581?  Only if some
 * normal-map piece has U+2581 right after a byte that is not part of one. */

static int compute_word_split_safe(const spbpe_model *m) {
    for (int32_t id = 0; id < m->piece_count; id++) {
        if (!sp_in_normal_map(m->type[id])) continue;
        const uint8_t *p = sp_piece_ptr(m, id);
        size_t n = sp_piece_len(m, id);
        for (size_t i = 1; i + 3 <= n; i++)
            if (sp_is_space_symbol(p + i) && !(i >= 3 && sp_is_space_symbol(p + i - 3))) return 0;
    }
    return 1;
}

/* User-defined symbols must not hide a U+2581 (or bytes that could pair
 * with neighbours into one) for segment-wise encoding to be exact. */
static int udef_pieces_are_plain(const spbpe_model *m) {
    for (int32_t id = 0; id < m->piece_count; id++) {
        if (m->type[id] != SPBPE_PIECE_USER_DEFINED) continue;
        const uint8_t *p = sp_piece_ptr(m, id);
        size_t n = sp_piece_len(m, id);
        for (size_t i = 0; i < n;) {
            size_t len;
            if (!sp_utf8_valid_char(p + i, n - i, &len)) return 0;
            if (len == 3 && sp_is_space_symbol(p + i)) return 0;
            i += len;
        }
    }
    return 1;
}

/* Valid charsmaps only ever produce UTF-8; a hostile pool could produce a
 * stray lead byte next to a U+2581 and make segment boundaries unsafe. */
static int charsmap_output_is_utf8(const spbpe_model *m) {
    if (!m->normalizer.has_charsmap) return 1;
    const uint8_t *p = m->normalizer.charsmap.pool;
    size_t n = m->normalizer.charsmap.pool_len;
    for (size_t i = 0; i < n;) {
        size_t len;
        if (!sp_utf8_valid_char(p + i, n - i, &len)) return 0;
        i += len;
    }
    return 1;
}

static int build_char_table(spbpe_model *m, spbpe_error *err) {
    m->bmp_id = malloc(0x10000 * sizeof *m->bmp_id);
    if (!m->bmp_id) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory building the character table");
    memset(m->bmp_id, 0xFF, 0x10000 * sizeof *m->bmp_id);
    for (int32_t id = 0; id < m->piece_count; id++) {
        size_t n = sp_piece_len(m, id), len;
        if (!sp_in_normal_map(m->type[id]) || n < 2 || n > 3) continue;
        uint32_t cp = sp_utf8_decode(sp_piece_ptr(m, id), n, &len);
        if (len == n && (cp != 0xFFFD || n == 3) && cp < 0x10000) m->bmp_id[cp] = id;
    }
    return SPBPE_OK;
}


static int build_print_desc(spbpe_model *m, spbpe_error *err) {
    m->print_desc = malloc((size_t)m->piece_count * sizeof *m->print_desc);
    if (!m->print_desc) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    size_t longest = 3; /* a byte piece: at most one U+FFFD */
    for (int32_t id = 0; id < m->piece_count; id++) {
        size_t n = m->text_off[id + 1] - m->text_off[id];
        unsigned kind = SP_PRINT_TEXT;
        switch (m->type[id]) {
        case SPBPE_PIECE_BYTE: kind = SP_PRINT_BYTE; break;
        case SPBPE_PIECE_UNKNOWN: kind = SP_PRINT_UNKNOWN; n = m->unk_surface_len; break;
        case SPBPE_PIECE_CONTROL: kind = SP_PRINT_CONTROL; n = 0; break;
        default: break;
        }
        if (n > longest) longest = n;
        uint64_t lead = sp_piece_len(m, id) >= 3 && sp_is_space_symbol(sp_piece_ptr(m, id));
        m->print_desc[id] = (uint64_t)m->text_off[id] | (uint64_t)(n < SP_PRINT_LEN_MAX ? n : SP_PRINT_LEN_MAX) << 32 |
                            (uint64_t)kind << 56 | lead << 58;
    }
    m->max_print_len = longest;
    return SPBPE_OK;
}

/* Decoded forms of every piece, so decoding ids is one copy per piece. */
static int build_text_arena(spbpe_model *m, spbpe_error *err) {
    size_t total = m->piece_off[m->piece_count];
    m->text_arena = calloc(total + 16, 1); /* 16 bytes of slack for fixed-size copies */
    m->text_off = malloc(((size_t)m->piece_count + 1) * sizeof *m->text_off);
    if (!m->text_arena || !m->text_off) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    size_t o = 0;
    for (int32_t id = 0; id < m->piece_count; id++) {
        const uint8_t *p = sp_piece_ptr(m, id);
        size_t n = sp_piece_len(m, id);
        m->text_off[id] = (uint32_t)o;
        for (size_t i = 0; i < n;) {
            if (i + 3 <= n && sp_is_space_symbol(p + i)) {
                m->text_arena[o++] = ' ';
                i += 3;
            } else {
                m->text_arena[o++] = p[i++];
            }
        }
    }
    m->text_off[m->piece_count] = (uint32_t)o;
    return SPBPE_OK;
}

static int build(spbpe_model *m, const sp_model_spec *s, spbpe_error *err) {
    int st;
    if (s->model_type < 1 || s->model_type > 4)
        return sp_fail(err, SPBPE_ERR_UNSUPPORTED, 0,
                       "model_type %d is not supported: spbpe loads unigram, BPE, word and char models (1-4)",
                       s->model_type);
    if (s->piece_count == 0) return sp_fail(err, SPBPE_ERR_MODEL_FORMAT, 0, "model has no pieces.");
    if (s->piece_count > 0x7FFFFFF) return sp_fail(err, SPBPE_ERR_LIMIT, 0, "model has too many pieces (%zu)", s->piece_count);
    m->piece_count = (int32_t)s->piece_count;
    size_t total = 0;
    for (size_t i = 0; i < s->piece_count; i++) total += s->pieces[i].piece.n;
    m->arena = malloc(total ? total : 1);
    m->piece_off = malloc((s->piece_count + 1) * sizeof *m->piece_off);
    m->score = malloc(s->piece_count * sizeof *m->score);
    m->merge_key = malloc(s->piece_count * sizeof *m->merge_key);
    m->type = malloc(s->piece_count);
    m->byte_value = malloc(s->piece_count * sizeof *m->byte_value);
    if (!m->arena || !m->piece_off || !m->score || !m->merge_key || !m->type || !m->byte_value)
        return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory loading %zu pieces", s->piece_count);
    size_t off = 0;
    for (size_t i = 0; i < s->piece_count; i++) {
        m->piece_off[i] = (uint32_t)off;
        memcpy(m->arena + off, s->pieces[i].piece.p, s->pieces[i].piece.n);
        off += s->pieces[i].piece.n;
        m->score[i] = s->pieces[i].score;
        m->merge_key[i] = sp_merge_key(s->pieces[i].score);
        m->type[i] = (uint8_t)s->pieces[i].type;
    }
    m->piece_off[s->piece_count] = (uint32_t)off;
    for (int i = 0; i < 256; i++) m->byte_id[i] = -1;

    if ((st = check_pieces(m, s, err))) return st;
    if ((st = build_piece_table(m, err))) return st;
    if ((st = build_char_table(m, err))) return st;
    for (int c = 0; c < 128; c++) {
        uint8_t ch = (uint8_t)c;
        m->ascii_id[c] = sp_lookup_normal(m, &ch, 1);
    }
    if ((st = build_text_arena(m, err))) return st;

    const sp_norm_spec *ns = &s->normalizer;
    if ((st = sp_normalizer_init(&m->normalizer, ns->charsmap.p, ns->charsmap.n, ns->add_dummy_prefix,
                                 ns->remove_extra_whitespaces, ns->escape_whitespaces,
                                 s->treat_whitespace_as_suffix, err)))
        return st;
    if (m->info.has_user_defined) {
        m->normalizer.matcher = sp_udef_match;
        m->normalizer.matcher_ctx = m;
    }
    const sp_norm_spec *ds = &s->denormalizer;
    if (ds->present && ds->charsmap.n > 0) {
        if ((st = sp_normalizer_init(&m->denormalizer, ds->charsmap.p, ds->charsmap.n, ds->add_dummy_prefix,
                                     ds->remove_extra_whitespaces, ds->escape_whitespaces, 0, err)))
            return st;
        m->info.has_denormalizer = 1;
    }

    const uint8_t *us = s->unk_surface.present ? s->unk_surface.p : DEFAULT_UNK_SURFACE;
    size_t un = s->unk_surface.present ? s->unk_surface.n : sizeof DEFAULT_UNK_SURFACE;
    m->unk_surface = malloc(un ? un : 1);
    if (!m->unk_surface) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    memcpy(m->unk_surface, us, un);
    m->unk_surface_len = un;
    if ((st = build_print_desc(m, err))) return st;

    spbpe_model_info *in = &m->info;
    in->piece_count = m->piece_count;
    in->unk_id = special_id(m, &s->unk_piece, "<unk>", SPBPE_PIECE_UNKNOWN);
    in->bos_id = special_id(m, &s->bos_piece, "<s>", SPBPE_PIECE_CONTROL);
    in->eos_id = special_id(m, &s->eos_piece, "</s>", SPBPE_PIECE_CONTROL);
    in->pad_id = special_id(m, &s->pad_piece, "<pad>", SPBPE_PIECE_CONTROL);
    in->model_type = s->model_type;
    in->byte_fallback = s->byte_fallback;
    in->add_dummy_prefix = ns->add_dummy_prefix;
    in->remove_extra_whitespaces = ns->remove_extra_whitespaces;
    in->escape_whitespaces = ns->escape_whitespaces;
    in->treat_whitespace_as_suffix = s->treat_whitespace_as_suffix;
    in->has_charsmap = ns->charsmap.n > 0;
    in->word_split_safe = compute_word_split_safe(m);
    m->fast_words = in->word_split_safe && !in->has_unused && udef_pieces_are_plain(m) &&
                    charsmap_output_is_utf8(m);
    if ((st = sp_scan_piece_chars(m, m->fast_words, err))) return st; /* closed_chars, char_pairs */
    if (s->model_type == 1 && !(m->uni = sp_unigram_new(m, err))) return err ? err->status : SPBPE_ERR_NOMEM;
    return SPBPE_OK;
}

SP_API spbpe_model *spbpe_model_new(const uint8_t *proto, size_t len, spbpe_error *err) {
    sp_clear_error(err);
    if (!proto && len) {
        sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "model bytes are NULL");
        return NULL;
    }
    if (len > ((size_t)1 << 31)) {
        sp_fail(err, SPBPE_ERR_LIMIT, 0, "model of %zu bytes is larger than 2 GiB", len);
        return NULL;
    }
    sp_model_spec spec;
    if (sp_parse_model_proto(proto ? proto : (const uint8_t *)"", len, &spec, err)) return NULL;
    spbpe_model *m = calloc(1, sizeof *m);
    if (m) m->generation = next_generation(); /* >= 1: a fresh workspace's caches hold 0 */
    if (!m) {
        sp_model_spec_release(&spec);
        sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
        return NULL;
    }
    int st = build(m, &spec, err);
    sp_model_spec_release(&spec);
    if (st) {
        spbpe_model_free(m);
        return NULL;
    }
    return m;
}

SP_API void spbpe_model_free(spbpe_model *m) {
    if (!m) return;
    free(m->arena);
    free(m->piece_off);
    free(m->score);
    free(m->merge_key);
    free(m->type);
    free(m->byte_value);
    free(m->all.slots);
    free(m->bmp_id);
    free(m->text_arena);
    free(m->text_off);
    free(m->print_desc);
    free(m->unk_surface);
    sp_char_pairs_release(&m->char_pairs);
    sp_normalizer_release(&m->normalizer);
    sp_normalizer_release(&m->denormalizer);
    sp_unigram_free(m->uni);
    free(m);
}

SP_API void spbpe_model_get_info(const spbpe_model *m, spbpe_model_info *info) { *info = m->info; }

SP_API const uint8_t *spbpe_model_piece(const spbpe_model *m, int32_t id, size_t *len) {
    if (id < 0 || id >= m->piece_count) return NULL;
    *len = sp_piece_len(m, id);
    return sp_piece_ptr(m, id);
}

SP_API float spbpe_model_score(const spbpe_model *m, int32_t id) {
    return (id < 0 || id >= m->piece_count) ? 0.0f : m->score[id];
}

SP_API int spbpe_model_type(const spbpe_model *m, int32_t id) {
    return (id < 0 || id >= m->piece_count) ? 0 : m->type[id];
}

SP_API int32_t spbpe_model_piece_to_id(const spbpe_model *m, const uint8_t *piece, size_t len) {
    int32_t id = sp_lookup(m, piece, len);
    return id >= 0 ? id : m->unk_index;
}

SP_API const uint8_t *spbpe_model_unk_surface(const spbpe_model *m, size_t *len) {
    *len = m->unk_surface_len;
    return m->unk_surface;
}

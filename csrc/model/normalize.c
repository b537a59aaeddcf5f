/*
 * normalize.c - sentencepiece's Normalizer (normalizer.cc), byte for byte.
 *
 * One step (normalize_prefix) turns a prefix of the input into replacement
 * bytes: a user-defined symbol passes through untouched, else the longest
 * charsmap rule applies, else one UTF-8 character is copied (a malformed
 * byte becomes U+FFFD, consuming one byte).  The driver adds the dummy
 * prefix, squeezes/strips spaces and escapes them as U+2581, and records for
 * every output byte the input offset of the unit that produced it
 * (norm_to_orig), plus one sentinel at the end (only with SP_NORM_ALIGN).
 * Units no rule rewrites (ASCII bytes, and the 2- and 3-byte characters
 * no rule starts with) skip the charsmap walk (normalize_units.c).
 */
#include <stdlib.h>
#include <string.h>

#include "encode/encode.h"

static const uint8_t REPLACEMENT_CHAR[3] = {0xEF, 0xBF, 0xBD};

int sp_normalizer_init(sp_normalizer *nz, const uint8_t *charsmap, size_t charsmap_len,
                       int add_dummy_prefix, int remove_extra_whitespaces,
                       int escape_whitespaces, int treat_whitespace_as_suffix,
                       spbpe_error *err) {
    memset(nz, 0, sizeof *nz);
    if (charsmap_len > 0) {
        int st = sp_charsmap_init(&nz->charsmap, charsmap, charsmap_len, err);
        if (st) return st;
        nz->has_charsmap = 1;
    }
    /* Which ASCII bytes the charsmap leaves alone, and before which ASCII
     * bytes (normalize_runs); 128 * 128 short walks. */
    for (int c0 = 0; c0 < 128; c0++) {
        size_t best_len = 0, node;
        uint32_t value;
        uint8_t pair[2] = {(uint8_t)c0, 0};
        if (nz->has_charsmap) sp_charsmap_walk(&nz->charsmap, pair, 1, &best_len, &value, &node);
        nz->ascii_alone[c0] = best_len == 0;
        for (int c1 = 0; nz->has_charsmap && c1 < 128; c1++) {
            pair[1] = (uint8_t)c1;
            if (sp_charsmap_walk(&nz->charsmap, pair, 2, &best_len, &value, &node) == 2)
                nz->ascii_next[c0][c1 >> 6] |= (uint64_t)1 << (c1 & 63);
        }
    }
    if (sp_normalizer_units_init(nz)) {
        if (nz->has_charsmap) sp_charsmap_release(&nz->charsmap);
        memset(nz, 0, sizeof *nz);
        return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    }
    nz->add_dummy_prefix = add_dummy_prefix != 0;
    nz->remove_extra_whitespaces = remove_extra_whitespaces != 0;
    nz->escape_whitespaces = escape_whitespaces != 0;
    nz->treat_whitespace_as_suffix = treat_whitespace_as_suffix != 0;
    return SPBPE_OK;
}

void sp_normalizer_release(sp_normalizer *nz) {
    if (nz->has_charsmap) sp_charsmap_release(&nz->charsmap);
    free(nz->bmp_plain);
    memset(nz, 0, sizeof *nz);
}

void sp_normbuf_release(sp_normbuf *b) {
    free(b->text);
    free(b->align);
    free(b->starts);
    memset(b, 0, sizeof *b);
}

/* Replacement for the prefix of s[0..n); returns the bytes consumed. */
static size_t normalize_prefix(const sp_normalizer *nz, const uint8_t *s, size_t n,
                               const uint8_t **r, size_t *rlen) {
    if (nz->matcher) {
        size_t m = nz->matcher(nz->matcher_ctx, s, n);
        if (m) {
            *r = s;
            *rlen = m;
            return m;
        }
    }
    if (nz->has_charsmap) {
        size_t m = sp_charsmap_longest(&nz->charsmap, s, n, r, rlen);
        if (m) return m;
    }
    size_t len;
    if (sp_utf8_valid_char(s, n, &len)) {
        *r = s;
        *rlen = len;
        return len;
    }
    *r = REPLACEMENT_CHAR;
    *rlen = 3;
    return 1;
}

/* Does s[0..n) consist of whole characters (sp_normbuf.whole_chars)? */
static int whole_chars(const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n;) {
        uint8_t b = s[i];
        size_t l = b < 0x80 ? 1 : b < 0xC0 ? 0 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
        if (l == 0 || l > n - i) return 0;
        for (size_t k = 1; k < l; k++)
            if ((s[i + k] & 0xC0) != 0x80) return 0;
        i += l;
    }
    return 1;
}

static int ensure(sp_normbuf *out, size_t extra) {
    if (sp_reserve_inline((void **)&out->text, &out->cap, out->len + extra, 1)) return -1;
    if (sp_reserve_inline((void **)&out->align, &out->align_cap, out->align_len + extra + 1, sizeof(uint32_t)))
        return -1;
    return 0;
}

static void push_space(const sp_normalizer *nz, sp_normbuf *out, uint32_t consumed, int al) {
    if (nz->escape_whitespaces) {
        memcpy(out->text + out->len, SP_SPACE_SYMBOL, 3);
        out->len += 3;
        if (al)
            for (int i = 0; i < 3; i++) out->align[out->align_len++] = consumed;
    } else {
        out->text[out->len++] = ' ';
        if (al) out->align[out->align_len++] = consumed;
    }
}

/* The end of the run of well-formed non-ASCII characters other than U+2581
 * that starts at in[i]: 2- and 3-byte characters (most scripts) checked
 * inline, the rest by sp_utf8_scalar.  Same answer as sp_utf8_scalar on
 * each character. */
static size_t well_formed_run(const uint8_t *in, size_t i, size_t n) {
    size_t j = i;
    while (j < n) {
        uint8_t b0 = in[j];
        if (b0 >= 0xC2 && b0 < 0xE0 && j + 1 < n) { /* 2 bytes: C2..DF, then a trail byte */
            if ((in[j + 1] & 0xC0) != 0x80) break;
            j += 2;
            continue;
        }
        if (b0 >= 0xE0 && b0 < 0xF0 && j + 2 < n) { /* 3 bytes, neither overlong nor a surrogate */
            uint8_t b1 = in[j + 1], b2 = in[j + 2];
            uint8_t lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
            if (b1 < lo || b1 > hi || (b2 & 0xC0) != 0x80 || sp_is_space_symbol(in + j)) break;
            j += 3;
            continue;
        }
        if (b0 < 0x80) break;
        size_t l = sp_utf8_char_len(in + j, n - j);
        if (sp_utf8_scalar(in + j, l) == SP_NOT_A_CHAR || (l == 3 && sp_is_space_symbol(in + j))) break;
        j += l;
    }
    return j;
}

/* The identity fast path when the caller needs no alignment (plain ids):
 * the same bytes, without writing four bytes of alignment per byte.  Plain
 * ASCII goes 8 bytes at a time.  With starts, it also records where the
 * encoder's words begin: offset 0 and each U+2581 (escaped space or literal)
 * that does not follow another, exactly what a scan of the output finds. */
static void identity_text_only(const sp_normalizer *nz, const uint8_t *in, size_t n, sp_normbuf *out,
                               uint32_t *starts) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL, spaces = 0x2020202020202020ULL;
    uint8_t *t = out->text;
    size_t o = 0, ns = 0;
    int after_space = 0; /* the output so far ends with U+2581 */
    if (starts) starts[ns++] = 0;
    if (nz->add_dummy_prefix && !nz->treat_whitespace_as_suffix) {
        if (nz->escape_whitespaces) {
            memcpy(t, SP_SPACE_SYMBOL, 3);
            o = 3;
            after_space = 1;
        } else {
            t[o++] = ' ';
        }
    }
    size_t i = 0;
    while (i < n) {
        while (i + 8 <= n && in[i] < 0x80) { /* (text in other scripts goes one character at a time) */
            uint64_t w, x;
            memcpy(&w, in + i, 8);
            x = w ^ spaces; /* a zero byte where w has a space */
            uint64_t special = (((x - ones) & ~x) | w) & highs;
            memcpy(t + o, &w, 8); /* room: the output holds 3 bytes per input byte */
            if (special) {
                size_t k = sp_first_flagged_byte(special); /* the first space or non-ASCII byte */
                o += k;
                i += k;
                if (k) after_space = 0;
                break;
            }
            o += 8;
            i += 8;
            after_space = 0;
        }
        if (i >= n) break;
        uint8_t b = in[i];
        if (b < 0x80 && b != ' ') {
            t[o++] = b;
            i++;
            after_space = 0;
        } else if (b == ' ') {
            if (nz->escape_whitespaces) {
                if (starts && !after_space && o > 0) starts[ns++] = (uint32_t)o;
                memcpy(t + o, SP_SPACE_SYMBOL, 3);
                o += 3;
                after_space = 1;
            } else {
                t[o++] = ' ';
                after_space = 0;
            }
            i++;
        } else {
            /* A run of well-formed characters other than U+2581, copied at once. */
            size_t j = well_formed_run(in, i, n);
            if (j > i) {
                memcpy(t + o, in + i, j - i);
                o += j - i;
                i = j;
                after_space = 0;
            } else if (n - i >= 3 && sp_is_space_symbol(in + i)) { /* a literal U+2581 */
                if (starts && !after_space && o > 0) starts[ns++] = (uint32_t)o;
                memcpy(t + o, SP_SPACE_SYMBOL, 3);
                o += 3;
                i += 3;
                after_space = 1;
            } else {
                memcpy(t + o, REPLACEMENT_CHAR, 3);
                o += 3;
                i += 1;
                after_space = 0;
            }
        }
    }
    if (nz->add_dummy_prefix && nz->treat_whitespace_as_suffix) {
        if (nz->escape_whitespaces) {
            if (starts && !after_space && o > 0) starts[ns++] = (uint32_t)o;
            memcpy(t + o, SP_SPACE_SYMBOL, 3);
            o += 3;
        } else {
            t[o++] = ' ';
        }
    }
    out->len = o;
    out->align_len = 0;
    out->starts_len = ns;
}

/* Identity normalizer without extra-whitespace removal or user-defined
 * symbols (Llama, Mistral): the dummy prefix, then every unit copied with
 * spaces escaped and malformed bytes replaced.  Same result, no lookups. */
static int normalize_identity_fast(const sp_normalizer *nz, const uint8_t *in, size_t n, sp_normbuf *out,
                                   int want) {
    /* Worst case: each byte becomes 3 bytes, plus the dummy prefix. */
    if (ensure(out, 3 * n + 3)) return -1;
    if (!(want & SP_NORM_ALIGN)) {
        /* At most one start per input byte, plus offset 0, a suffix space and the end. */
        if ((want & SP_NORM_STARTS) && sp_reserve((void **)&out->starts, &out->starts_cap, n + 3, sizeof(uint32_t)))
            return -1;
        identity_text_only(nz, in, n, out, (want & SP_NORM_STARTS) ? out->starts : NULL);
        return 0;
    }
    uint8_t *t = out->text;
    uint32_t *a = out->align;
    size_t o = 0;
    if (nz->add_dummy_prefix && !nz->treat_whitespace_as_suffix) {
        if (nz->escape_whitespaces) {
            memcpy(t, SP_SPACE_SYMBOL, 3);
            a[0] = a[1] = a[2] = 0;
            o = 3;
        } else {
            t[0] = ' ';
            a[0] = 0;
            o = 1;
        }
    }
    size_t i = 0;
    while (i < n) {
        uint8_t b = in[i];
        if (b < 0x80) {
            if (b == ' ' && nz->escape_whitespaces) {
                memcpy(t + o, SP_SPACE_SYMBOL, 3);
                a[o] = a[o + 1] = a[o + 2] = (uint32_t)i;
                o += 3;
            } else {
                t[o] = b;
                a[o++] = (uint32_t)i;
            }
            i++;
            continue;
        }
        size_t len;
        if (sp_utf8_valid_char(in + i, n - i, &len)) {
            for (size_t k = 0; k < len; k++) {
                t[o] = in[i + k];
                a[o++] = (uint32_t)i;
            }
            i += len;
        } else {
            for (size_t k = 0; k < 3; k++) {
                t[o] = REPLACEMENT_CHAR[k];
                a[o++] = (uint32_t)i;
            }
            i += 1;
        }
    }
    out->len = o;
    out->align_len = o;
    if (nz->add_dummy_prefix && nz->treat_whitespace_as_suffix) push_space(nz, out, (uint32_t)n, 1);
    out->align[out->align_len++] = (uint32_t)n;
    return 0;
}

int sp_normalize(const sp_normalizer *nz, const uint8_t *in, size_t n, sp_normbuf *out, spbpe_error *err) {
    return sp_normalize_ex(nz, in, n, out, SP_NORM_ALIGN, err);
}

int sp_normalize_ex(const sp_normalizer *nz, const uint8_t *in, size_t n, sp_normbuf *out, int want,
                    spbpe_error *err) {
    out->len = 0;
    out->align_len = 0;
    out->starts_len = 0;
    out->whole_chars = 1; /* the copies and U+FFFD keep it; the general step checks its replacement */
    if (n == 0) return SPBPE_OK;
    if (n > SP_MAX_INPUT) return sp_fail(err, SPBPE_ERR_LIMIT, 0, "input of %zu bytes exceeds the 1 GiB limit", n);

    if (!nz->has_charsmap && !nz->matcher && !nz->remove_extra_whitespaces) {
        if (normalize_identity_fast(nz, in, n, out, want)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory normalizing");
        return SPBPE_OK;
    }

    size_t consumed = 0;
    const uint8_t *r;
    size_t rlen;

    if (nz->remove_extra_whitespaces) {
        while (consumed < n) {
            size_t m = normalize_prefix(nz, in + consumed, n - consumed, &r, &rlen);
            if (!(rlen == 1 && r[0] == ' ')) break;
            consumed += m;
        }
        if (consumed == n) return SPBPE_OK;
    }

    /* Without SP_NORM_ALIGN no alignment is written (align_len stays 0). */
    const int al = (want & SP_NORM_ALIGN) != 0;
    if (ensure(out, 3)) goto nomem;
    if (nz->add_dummy_prefix && !nz->treat_whitespace_as_suffix) push_space(nz, out, (uint32_t)consumed, al);

    int is_prev_space = nz->remove_extra_whitespaces;
    /* Units no rule rewrites (normalize_units.c) are copied without the charsmap
     * walk, as normalize_prefix would find them one by one. */
    const uint8_t *mfirst = nz->matcher_first;
    int runs = !(want & SP_NORM_REFERENCE) && (!nz->matcher || mfirst);
    while (consumed < n) {
        if (runs) {
            if (ensure(out, 3 * (n - consumed))) goto nomem;
            size_t j = sp_normalize_plain_units(nz, mfirst, in, consumed, n, out, al, &is_prev_space);
            if (j > consumed) {
                consumed = j;
                continue;
            }
        }
        size_t m = normalize_prefix(nz, in + consumed, n - consumed, &r, &rlen);
        if (out->whole_chars && !whole_chars(r, rlen)) out->whole_chars = 0;
        while (is_prev_space && rlen > 0 && r[0] == ' ') {
            r++;
            rlen--;
        }
        if (rlen > 0) {
            if (ensure(out, 3 * rlen)) goto nomem;
            for (size_t k = 0; k < rlen; k++) {
                if (nz->escape_whitespaces && r[k] == ' ') {
                    push_space(nz, out, (uint32_t)consumed, al);
                } else {
                    out->text[out->len++] = r[k];
                    if (al) out->align[out->align_len++] = (uint32_t)consumed;
                }
            }
            is_prev_space = r[rlen - 1] == ' ';
        }
        consumed += m;
        if (!nz->remove_extra_whitespaces) is_prev_space = 0;
    }

    if (nz->remove_extra_whitespaces) {
        const uint8_t *sp = nz->escape_whitespaces ? (const uint8_t *)SP_SPACE_SYMBOL : (const uint8_t *)" ";
        size_t splen = nz->escape_whitespaces ? 3 : 1;
        while (out->len >= splen && memcmp(out->text + out->len - splen, sp, splen) == 0) {
            size_t keep = out->len - splen;
            if (al) consumed = out->align[keep];
            out->len = keep;
            out->align_len = al ? keep : 0;
        }
    }

    if (ensure(out, 3)) goto nomem;
    if (nz->add_dummy_prefix && nz->treat_whitespace_as_suffix) push_space(nz, out, (uint32_t)consumed, al);
    if (al) out->align[out->align_len++] = (uint32_t)consumed;
    return SPBPE_OK;

nomem:
    out->len = out->align_len = 0;
    return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory normalizing");
}

/* ---------------------------------------------------- standalone object */

struct spbpe_normalizer {
    sp_normalizer nz; /* owns its copy of the charsmap */
};

SP_API spbpe_normalizer *spbpe_normalizer_new(const uint8_t *charsmap, size_t charsmap_len,
                                              int add_dummy_prefix, int remove_extra_whitespaces,
                                              int escape_whitespaces, int treat_whitespace_as_suffix,
                                              spbpe_error *err) {
    sp_clear_error(err);
    if (!charsmap && charsmap_len) {
        sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
        return NULL;
    }
    spbpe_normalizer *n = calloc(1, sizeof *n);
    if (!n) {
        sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
        return NULL;
    }
    if (sp_normalizer_init(&n->nz, charsmap, charsmap_len, add_dummy_prefix, remove_extra_whitespaces,
                           escape_whitespaces, treat_whitespace_as_suffix, err)) {
        free(n);
        return NULL;
    }
    return n;
}

SP_API void spbpe_normalizer_free(spbpe_normalizer *n) {
    if (!n) return;
    sp_normalizer_release(&n->nz);
    free(n);
}

/* Normalize into the workspace and describe the result. */
static int normalize_to(const sp_normalizer *nz, const uint8_t *text, size_t len, spbpe_workspace *ws,
                        spbpe_normalized *out, spbpe_error *err) {
    sp_clear_error(err);
    if (!ws || !out || (!text && len)) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    int st = sp_normalize(nz, text, len, &ws->norm, err);
    if (st) return st;
    out->text = ws->norm.text;
    out->len = ws->norm.len;
    out->norm_to_orig = ws->norm.align;
    out->norm_to_orig_count = ws->norm.align_len;
    return SPBPE_OK;
}

SP_API int spbpe_normalizer_normalize(const spbpe_normalizer *n, const uint8_t *text, size_t len,
                                      spbpe_workspace *ws, spbpe_normalized *out, spbpe_error *err) {
    if (!n) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    return normalize_to(&n->nz, text, len, ws, out, err);
}

SP_API int spbpe_normalize(const spbpe_model *m, const uint8_t *text, size_t len, spbpe_workspace *ws,
                           spbpe_normalized *out, spbpe_error *err) {
    if (!m) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    return normalize_to(&m->normalizer, text, len, ws, out, err);
}

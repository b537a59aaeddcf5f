/*
 * train_normalize.c - sp_normalize (normalize.c) for the trainer: the same
 * bytes, without the alignment, and with the charsmap lookups memoized.
 *
 * The trainer's normalizer has no prefix matcher and always escapes
 * whitespace, so a normalization unit is: the longest charsmap rule at the
 * position, else one valid UTF-8 character copied, else U+FFFD for one
 * malformed byte.  For a complete character c whose trie walk either ends
 * inside c or reaches a node without children, the longest rule cannot look
 * past c, so the unit depends on c alone and is memoized: ASCII in the
 * trainer's immutable table (built once), other BMP characters in a lazily
 * filled per-feeder table.  Everything else takes the general lookup.
 *
 * When the node after c has children whose labels are all >= 0x80 (an ASCII
 * letter followed by a combining mark, say), the memo still holds whenever
 * the next byte is ASCII or the input ends, since no child can match then.
 *
 * Memo entry (uint64): bits 0-1 kind (0 unknown, COPY, MAP, SLOW), bits 2-4
 * bytes consumed, bits 5-6 extension (0 none, EXT_HIGH: only children with
 * labels >= 0x80), bits 10-31 replacement length, bits 32-63 pool offset.
 */
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

#define K_COPY 1u
#define K_MAP 2u
#define K_SLOW 3u
#define CP_CACHE 0x10000u
#define EXT_HIGH (1u << 5)
#define EXT_ANY (2u << 5)
#define EXT_MASK (3u << 5)

static const uint8_t REPLACEMENT_CHAR[3] = {0xEF, 0xBF, 0xBD};


/* The memo entry of the complete character s[0..len). */
static uint64_t analyze(const sp_charsmap *cm, const uint8_t *s, size_t len) {
    const uint32_t *units = cm->units;
    size_t count = cm->unit_count, pos, best_len;
    uint32_t best_value;
    /* inside: the walk ended inside the character, so no longer rule can
     * continue past it */
    int inside = sp_charsmap_walk(cm, s, len, &best_len, &best_value, &pos) < len;
    uint64_t ext = 0;
    if (!inside)
        for (uint32_t c = 0; c < 256; c++) {
            size_t p = pos ^ c;
            if (p < count && sp_darts_label(units[p]) == c) ext = c < 0x80 ? EXT_ANY : EXT_HIGH;
            if (ext == EXT_ANY) return K_SLOW;   /* a longer rule may match after any byte */
        }
    if (!best_len) return K_COPY | ext;
    size_t rlen = 0, off = cm->pool_len;
    if (best_value < cm->pool_len) {
        off = best_value;
        rlen = strlen((const char *)cm->pool + off);
    }
    if (rlen >= (1u << 22) || off > UINT32_MAX) return K_SLOW;
    return K_MAP | (uint64_t)best_len << 2 | ext | (uint64_t)rlen << 10 | (uint64_t)off << 32;
}

/* Does the memo entry e of the character s[0..len) hold at s[0..len)? */
static int memo_holds(uint64_t e, const uint8_t *s, size_t len, size_t n) {
    return !(e & EXT_MASK) || len == n || s[len] < 0x80;
}

void sp_train_norm_init(spbpe_trainer *t) {
    for (int b = 0; b < 128; b++) {
        uint8_t c = (uint8_t)b;
        uint64_t e = t->nz.has_charsmap ? analyze(&t->nz.charsmap, &c, 1) : K_COPY;
        t->norm_ascii[b] = e;
        /* 1: copied as is whatever follows; 2: when an ASCII byte follows. */
        uint8_t copy = (uint8_t)((e & 3) != K_COPY ? 0 : (e & EXT_MASK) ? 2 : 1);
        t->norm_copy[b] = b == ' ' ? 0 : copy;
        if (b == ' ') t->space_copy = copy;
    }
    t->printable_copy = 1;
    for (int b = 0x21; b <= 0x7E; b++)
        if (!t->norm_copy[b]) t->printable_copy = 0;
}

/* One normalization unit at s[0..len), n >= 1: bytes consumed, and the
 * replacement in *r, *rlen (normalize.c's normalize_prefix). */
static size_t unit_at(const spbpe_trainer *t, sp_feeder *f, const uint8_t *s, size_t n, const uint8_t **r,
                      size_t *rlen) {
    const sp_charsmap *cm = &t->nz.charsmap;
    uint64_t e = K_SLOW;
    size_t len = 1;
    if (s[0] < 0x80) {
        e = t->norm_ascii[s[0]];
    } else if (t->nz.has_charsmap) {
        uint32_t cp = sp_utf8_decode(s, n, &len);
        if (cp < CP_CACHE && !(cp == 0xFFFD && len == 1)) {
            if (!f->cpcache) f->cpcache = calloc(CP_CACHE, sizeof *f->cpcache);
            if (f->cpcache) {
                e = f->cpcache[cp];
                if (!e) e = f->cpcache[cp] = analyze(cm, s, len);
            }
        }
    }
    if ((e & 3) != K_SLOW && !memo_holds(e, s, len, n)) e = K_SLOW;
    if ((e & 3) == K_COPY && t->nz.has_charsmap) {
        *r = s;
        *rlen = len;
        return len;
    }
    if ((e & 3) == K_MAP) {
        *r = cm->pool + (e >> 32);
        *rlen = (size_t)(e >> 10) & 0x3FFFFF;
        return (size_t)(e >> 2) & 7;
    }
    if (t->nz.has_charsmap) {
        size_t m = sp_charsmap_longest(cm, s, n, r, rlen);
        if (m) return m;
    }
    if (sp_utf8_valid_char(s, n, &len)) {
        *r = s;
        *rlen = len;
        return len;
    }
    *r = REPLACEMENT_CHAR;
    *rlen = 3;
    return 1;
}

int sp_train_normalize(const spbpe_trainer *t, sp_feeder *f, const uint8_t *in, size_t n, spbpe_error *err) {
    const sp_normalizer *nz = &t->nz;
    sp_normbuf *out = &f->nb;
    out->len = 0;
    if (n == 0) return SPBPE_OK;
    if (n > SP_MAX_INPUT) return sp_fail(err, SPBPE_ERR_LIMIT, 0, "input of %zu bytes exceeds the 1 GiB limit", n);
    const uint8_t *r;
    size_t rlen, i = 0;
    if (nz->remove_extra_whitespaces) {
        while (i < n) {
            size_t m = unit_at(t, f, in + i, n - i, &r, &rlen);
            if (!(rlen == 1 && r[0] == ' ')) break;
            i += m;
        }
        if (i == n) return SPBPE_OK;
    }
    /* Plain ASCII copies byte for byte; a unit grows at most 3x per byte. */
    if (sp_reserve((void **)&out->text, &out->cap, 3 * (n - i) + 6, 1)) goto nomem;
    uint8_t *o = out->text;
    size_t k = 0;
    if (nz->add_dummy_prefix && !nz->treat_whitespace_as_suffix) {
        memcpy(o, SP_SPACE_SYMBOL, 3);
        k = 3;
    }
    int prev_space = nz->remove_extra_whitespaces;
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (i < n) {
        if (t->printable_copy && i + 8 <= n) {
            /* Copy a run of printable ASCII (0x21-0x7E) 8 bytes at a time:
             * flag bytes below 0x21 or above 0x7E; the lowest flag is exact. */
            uint64_t w;
            memcpy(&w, in + i, 8);
            uint64_t flags = (((w - 0x21 * ones) & ~w) | ((w + (0x7F - 0x7E) * ones) | w)) & highs;
            size_t run = flags ? sp_first_flagged_byte(flags) : 8;
            /* a byte copied only when ASCII follows must not precede other bytes */
            if (run && i + run < n && in[i + run] >= 0x80 && t->norm_copy[in[i + run - 1]] == 2) run--;
            if (run) {
                memcpy(o + k, &w, 8); /* room: 3 bytes per input byte */
                k += run;
                i += run;
                prev_space = 0;
                continue;
            }
        }
        uint8_t b = in[i];
        uint8_t fc = b < 0x80 ? t->norm_copy[b] : 0;
        if (fc == 1 || (fc == 2 && (i + 1 == n || in[i + 1] < 0x80))) {
            o[k++] = b;
            i++;
            prev_space = 0;
            continue;
        }
        if (b == ' ' && (t->space_copy == 1 || (t->space_copy == 2 && (i + 1 == n || in[i + 1] < 0x80)))) {
            /* What the general step below does for a plain space. */
            if (!prev_space) {
                memcpy(o + k, SP_SPACE_SYMBOL, 3);
                k += 3;
            }
            prev_space = nz->remove_extra_whitespaces;
            i++;
            continue;
        }
        size_t m = unit_at(t, f, in + i, n - i, &r, &rlen);
        while (prev_space && rlen > 0 && r[0] == ' ') {
            r++;
            rlen--;
        }
        if (rlen > 0) {
            size_t need = k + 3 * rlen + 3 * (n - i) + 6;
            if (need > out->cap && sp_reserve((void **)&out->text, &out->cap, need, 1)) goto nomem;
            o = out->text;
            for (size_t j = 0; j < rlen; j++) {
                if (r[j] == ' ') {
                    memcpy(o + k, SP_SPACE_SYMBOL, 3);
                    k += 3;
                } else {
                    o[k++] = r[j];
                }
            }
            prev_space = r[rlen - 1] == ' ';
        }
        i += m;
        if (!nz->remove_extra_whitespaces) prev_space = 0;
    }
    if (nz->remove_extra_whitespaces)
        while (k >= 3 && sp_is_space_symbol(o + k - 3)) k -= 3;
    if (nz->add_dummy_prefix && nz->treat_whitespace_as_suffix) {
        memcpy(o + k, SP_SPACE_SYMBOL, 3);
        k += 3;
    }
    out->len = k;
    return SPBPE_OK;
nomem:
    out->len = 0;
    return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory normalizing");
}

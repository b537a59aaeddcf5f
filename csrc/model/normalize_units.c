/*
 * normalize_units.c - the normalizer's shortcut for units no charsmap rule
 * rewrites, which normalize_prefix would copy one character at a time.
 *
 * At load (sp_normalizer_units_init, after the ASCII tables of
 * sp_normalizer_init): whether any rule starts with an ASCII byte followed
 * by another (ascii_pairs), whether every printable ASCII byte is its own
 * unit (graph_alone), and two bitsets over the 2- and 3-byte code points
 * (one short walk each, about a millisecond per model): bmp_plain, those
 * no rule starts with, nor with a prefix of their bytes; bmp_prefix, those
 * whose bytes only begin longer rules, with no rule ending inside them
 * (nmt_nfkc's kana: "か" + U+3099 is a rule, "か" alone is not).  The copy
 * itself (sp_normalize_plain_units) then needs no walk for a bmp_plain
 * character, and for a bmp_prefix one only the walk on from it, which
 * decides as normalize_prefix's longest match does: no rule at all (the
 * usual case, no combining mark follows) means the character is copied.
 * The driver in normalize.c calls it first at each step and falls back to
 * normalize_prefix where it stops.  Same output and alignment as the
 * general step, unit for unit; SP_NORM_REFERENCE (the unigram encode's
 * reference_path) skips this copy, so tests compare the two.
 */
#include <stdlib.h>
#include <string.h>

#include "encode/encode.h"

#if defined(__GNUC__) || defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

static void mark(uint64_t *bits, uint32_t lo, uint32_t count) {
    for (uint32_t cp = lo; cp < lo + count; cp++) bits[cp >> 6] |= (uint64_t)1 << (cp & 63);
}

/* The child of darts node `node` by byte c (as sp_charsmap_walk steps):
 * 1 and *child, *leaf (a rule ends there), or 0 when there is none. */
static int cm_child(const sp_charsmap *cm, size_t node, uint8_t c, size_t *child, int *leaf) {
    size_t p = node ^ c;
    if (p >= cm->unit_count || sp_darts_label(cm->units[p]) != c) return 0;
    *child = p ^ sp_darts_offset(cm->units[p]);
    *leaf = sp_darts_has_leaf(cm->units[p]);
    return 1;
}

/* Into bmp_next, every 2- or 3-byte character whose bytes, walked from
 * `node` (where a bmp_prefix character's bytes end), go all the way or
 * reach a rule on the way; a rule at a lead byte (or at the first two
 * bytes) marks every character starting so.  Unmarked, the walk stops
 * inside the character with no rule seen: nothing longer than the
 * bmp_prefix character matches. */
static void mark_next(sp_normalizer *nz, size_t node) {
    const sp_charsmap *cm = &nz->charsmap;
    size_t n1, n2, n3;
    int leaf;
    for (uint32_t b0 = 0xC2; b0 < 0xF0; b0++) {
        if (!cm_child(cm, node, (uint8_t)b0, &n1, &leaf)) continue;
        uint32_t hi = b0 < 0xE0 ? (b0 & 0x1F) << 6 : (b0 & 0x0F) << 12;
        if (leaf) {
            mark(nz->bmp_next, hi, b0 < 0xE0 ? 64 : 4096);
            continue;
        }
        for (uint32_t b1 = 0x80; b1 < 0xC0; b1++) {
            if (!cm_child(cm, n1, (uint8_t)b1, &n2, &leaf)) continue;
            if (b0 < 0xE0 || leaf) {
                mark(nz->bmp_next, b0 < 0xE0 ? hi | (b1 & 0x3F) : hi | (b1 & 0x3F) << 6, b0 < 0xE0 ? 1 : 64);
                continue;
            }
            for (uint32_t b2 = 0x80; b2 < 0xC0; b2++)
                if (cm_child(cm, n2, (uint8_t)b2, &n3, &leaf)) mark(nz->bmp_next, hi | (b1 & 0x3F) << 6 | (b2 & 0x3F), 1);
        }
    }
}

int sp_normalizer_units_init(sp_normalizer *nz) {
    for (int c0 = 0; c0 < 128; c0++) nz->ascii_pairs |= (nz->ascii_next[c0][0] | nz->ascii_next[c0][1]) != 0;
    nz->graph_alone = !nz->ascii_pairs;
    for (int c0 = 0x21; c0 < 0x7F; c0++) nz->graph_alone &= nz->ascii_alone[c0];
    /* the 2- and 3-byte code points no rule starts with */
    nz->bmp_plain = calloc(3072, sizeof *nz->bmp_plain);
    if (!nz->bmp_plain) return -1;
    nz->bmp_prefix = nz->bmp_plain + 1024;
    nz->bmp_next = nz->bmp_plain + 2048;
    for (uint32_t cp = 0x80; cp < 0x10000; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        uint8_t u[3];
        size_t l = cp < 0x800 ? 2 : 3;
        if (l == 2) {
            u[0] = (uint8_t)(0xC0 | (cp >> 6));
            u[1] = (uint8_t)(0x80 | (cp & 0x3F));
        } else {
            u[0] = (uint8_t)(0xE0 | (cp >> 12));
            u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
            u[2] = (uint8_t)(0x80 | (cp & 0x3F));
        }
        size_t best_len = 0, node;
        uint32_t value;
        size_t walked = nz->has_charsmap ? sp_charsmap_walk(&nz->charsmap, u, l, &best_len, &value, &node) : 0;
        if (best_len != 0) continue;
        if (walked < l) nz->bmp_plain[cp >> 6] |= (uint64_t)1 << (cp & 63);
        else {
            nz->bmp_prefix[cp >> 6] |= (uint64_t)1 << (cp & 63);
            mark_next(nz, node);
        }
    }
    return 0;
}

/* 1 when no rule continues past a bmp_prefix character into in[k..n):
 * the text ends there, or a 2- or 3-byte character follows whose bmp_next
 * bit is clear.  0: walk to know. */
static inline int next_ends_rules(const sp_normalizer *nz, const uint8_t *in, size_t k, size_t n) {
    if (k >= n) return 1;
    uint8_t b = in[k];
    uint32_t cp;
    if (b >= 0xC2 && b < 0xE0 && k + 1 < n && (in[k + 1] & 0xC0) == 0x80)
        cp = ((uint32_t)(b & 0x1F) << 6) | (in[k + 1] & 0x3F);
    else if (b >= 0xE0 && b < 0xF0 && k + 2 < n && (in[k + 1] & 0xC0) == 0x80 && (in[k + 2] & 0xC0) == 0x80)
        cp = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(in[k + 1] & 0x3F) << 6) | (in[k + 2] & 0x3F);
    else
        return 0;
    return !(nz->bmp_next[cp >> 6] >> (cp & 63) & 1);
}

/* The non-ASCII characters from in[j] (in[j] >= 0x80) that are copied as
 * they are (kana, CJK, Cyrillic...): written to t (alignment to a when not
 * NULL); returns where they end, with *stop set when a character there
 * needs the general step (else an ASCII byte, a user-defined symbol or the
 * end follows).  Kept out of the ASCII loop's way. */
static NOINLINE size_t plain_run(const sp_normalizer *nz, const uint8_t *mfirst, const uint8_t *in, size_t j,
                                    size_t n, uint8_t *t, uint32_t *a, int *stop) {
    const uint64_t *plain = nz->bmp_plain, *prefix = nz->bmp_prefix;
    size_t run = j;
    *stop = 0;
    while (j < n) {
        uint32_t cp;
        size_t l;
        uint8_t b = in[j];
        if (b >= 0xE0 && b < 0xF0 && n - j >= 3) {
            uint8_t b1 = in[j + 1], b2 = in[j + 2];
            cp = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(b1 & 0x3F) << 6) | (b2 & 0x3F);
            /* trail bytes, not overlong (surrogates have no bit set) */
            if (((b1 ^ 0x80) | (b2 ^ 0x80)) >= 0x40 || cp < 0x800) {
                *stop = 1;
                break;
            }
            l = 3;
        } else if (b >= 0xC2 && b < 0xE0 && n - j >= 2 && (in[j + 1] & 0xC0) == 0x80) {
            cp = ((uint32_t)(b & 0x1F) << 6) | (in[j + 1] & 0x3F);
            l = 2;
        } else {
            *stop = b >= 0x80;
            break;
        }
        if (!(plain[cp >> 6] >> (cp & 63) & 1)) {
            int copy = prefix[cp >> 6] >> (cp & 63) & 1;
            if (copy && !next_ends_rules(nz, in, j + l, n)) {
                size_t best_len, node;
                uint32_t value;
                sp_charsmap_walk(&nz->charsmap, in + j, n - j, &best_len, &value, &node);
                copy = best_len == 0; /* else a rule from here (a combining mark follows) */
            }
            if (!copy) {
                *stop = 1;
                break;
            }
        }
        if (a)
            for (size_t q = 0; q < l; q++) a[j - run + q] = (uint32_t)j;
        j += l;
        if (mfirst && j < n && (mfirst[in[j] >> 3] >> (in[j] & 7) & 1)) break;
    }
    if (j - run > 16)
        memcpy(t, in + run, j - run);
    else
        for (size_t q = run; q < j; q++) t[q - run] = in[q]; /* a character or a few (Latin text) */
    return j;
}

/* Units from in[i] that normalize_prefix would copy as they are, one
 * character each, written straight to out (room for 3 bytes per input
 * byte is there): an ASCII byte with no rule for it alone (ascii_alone)
 * nor continuing with the next byte (ascii_next; before a non-ASCII byte
 * it stops: a rule may join them), spaces squeezed and escaped
 * as the general step does with the replacement " "; 2- and 3-byte
 * well-formed characters (the checks of sp_utf8_scalar) whose bmp_plain
 * bit is set, or whose bmp_prefix bit is set and from which the charsmap
 * walk finds no rule.  No user-defined symbol may start a unit (mfirst, when there
 * is a matcher).  Alignment only when `al`.  Returns where it stopped. */
size_t sp_normalize_plain_units(const sp_normalizer *nz, const uint8_t *mfirst, const uint8_t *in, size_t i, size_t n,
                                sp_normbuf *out, int al, int *prev_space) {
    uint8_t *t = out->text;
    uint32_t *a = out->align;
    size_t o = out->len;
    int ps = *prev_space;
    size_t j = i;
    /* Printable ASCII eight bytes at a time, when every such byte is its
     * own unit and no alignment is asked for: the bytes before the first
     * one outside 0x21..0x7E (the first flagged byte of each test is
     * exact), less one when that byte is non-ASCII. */
    const int swar = nz->graph_alone && !mfirst && !al;
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (j < n) {
        if (swar && in[j] < 0x80 && n - j >= 8) {
            uint64_t w;
            memcpy(&w, in + j, 8);
            uint64_t low = (w - 0x21 * ones) & ~w & highs; /* a byte below 0x21 */
            uint64_t high = ((w + 0x01 * ones) | w) & highs;  /* a byte above 0x7E */
            uint64_t stop = low | high;
            size_t k = stop ? sp_first_flagged_byte(stop) : 8;
            if (k > 0 && j + k < n && in[j + k] >= 0x80) k--; /* a rule may join it to the next */
            memcpy(t + o, &w, 8); /* room: 3 bytes per input byte are there */
            o += k;
            j += k;
            if (k) ps = 0;
            if (k == 8) continue;
            if (j >= n) break;
        }
        uint8_t b = in[j];
        if (mfirst && (mfirst[b >> 3] >> (b & 7) & 1)) break;
        if (b < 0x80) {
            if (!nz->ascii_alone[b]) break;
            if (j + 1 < n) {
                uint8_t c = in[j + 1];
                if (c >= 0x80 || (nz->ascii_pairs && (nz->ascii_next[b][c >> 6] >> (c & 63) & 1))) break;
            }
            if (b != ' ') {
                t[o] = b;
                if (al) a[o] = (uint32_t)j;
                o++;
                ps = 0;
            } else {
                if (!ps) {
                    if (nz->escape_whitespaces) {
                        memcpy(t + o, SP_SPACE_SYMBOL, 3);
                        if (al) a[o] = a[o + 1] = a[o + 2] = (uint32_t)j;
                        o += 3;
                    } else {
                        t[o] = ' ';
                        if (al) a[o] = (uint32_t)j;
                        o++;
                    }
                }
                ps = nz->remove_extra_whitespaces;
            }
            j++;
            continue;
        }
        /* Non-ASCII characters in a row: up to an ASCII byte or a
         * user-defined symbol (back to the loop above), or a character that
         * is not plain (the general step). */
        int stop;
        size_t k = plain_run(nz, mfirst, in, j, n, t + o, al ? a + o : NULL, &stop);
        o += k - j;
        if (k > j) ps = 0;
        j = k;
        if (stop) break;
    }
    out->len = o;
    if (al) out->align_len = o;
    *prev_space = ps;
    return j;
}

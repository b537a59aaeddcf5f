/*
 * normalize_units.c - the normalizer's shortcut for units no charsmap rule
 * rewrites, which normalize_prefix would copy one character at a time.
 *
 * At load (sp_normalizer_units_init, after the ASCII tables of
 * sp_normalizer_init): whether any rule starts with an ASCII byte followed
 * by another (ascii_pairs), whether every printable ASCII byte is its own
 * unit (graph_alone), and a bitset of the 2- and 3-byte code points that
 * no rule starts with, nor with a prefix of their bytes (bmp_plain: one
 * short walk each, about a millisecond per model).  The copy itself
 * (sp_normalize_plain_units) then needs no walk: the driver in normalize.c
 * calls it first at each step and falls back to normalize_prefix where it
 * stops.  Same output and alignment as the general step, unit for unit.
 */
#include <stdlib.h>
#include <string.h>

#include "encode/encode.h"

int sp_normalizer_units_init(sp_normalizer *nz) {
    for (int c0 = 0; c0 < 128; c0++) nz->ascii_pairs |= (nz->ascii_next[c0][0] | nz->ascii_next[c0][1]) != 0;
    nz->graph_alone = !nz->ascii_pairs;
    for (int c0 = 0x21; c0 < 0x7F; c0++) nz->graph_alone &= nz->ascii_alone[c0];
    /* the 2- and 3-byte code points no rule starts with */
    nz->bmp_plain = calloc(1024, sizeof *nz->bmp_plain);
    if (!nz->bmp_plain) return -1;
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
        if (walked < l && best_len == 0) nz->bmp_plain[cp >> 6] |= (uint64_t)1 << (cp & 63);
    }
    return 0;
}

/* Units from in[i] that normalize_prefix would copy as they are, one
 * character each, written straight to out (room for 3 bytes per input
 * byte is there): an ASCII byte with no rule for it alone (ascii_alone)
 * nor continuing with the next byte (ascii_next; before a non-ASCII byte
 * it stops: a rule may join them), spaces squeezed and escaped
 * as the general step does with the replacement " "; 2- and 3-byte
 * well-formed characters (the checks of sp_utf8_scalar) whose bmp_plain
 * bit is set.  No user-defined symbol may start a unit (mfirst, when there
 * is a matcher).  Alignment only when `al`.  Returns where it stopped. */
size_t sp_normalize_plain_units(const sp_normalizer *nz, const uint8_t *mfirst, const uint8_t *in, size_t i, size_t n,
                                sp_normbuf *out, int al, int *prev_space) {
    const uint64_t *plain = nz->bmp_plain;
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
        uint32_t cp;
        size_t l;
        if (b >= 0xC2 && b < 0xE0 && j + 1 < n && (in[j + 1] & 0xC0) == 0x80) {
            cp = ((uint32_t)(b & 0x1F) << 6) | (in[j + 1] & 0x3F);
            l = 2;
        } else if (b >= 0xE0 && b < 0xF0 && j + 2 < n) {
            uint8_t b1 = in[j + 1], b2 = in[j + 2];
            uint8_t lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
            if (b1 < lo || b1 > hi || (b2 & 0xC0) != 0x80) break;
            cp = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(b1 & 0x3F) << 6) | (b2 & 0x3F);
            l = 3;
        } else {
            break;
        }
        if (!(plain[cp >> 6] >> (cp & 63) & 1)) break;
        for (size_t q = 0; q < l; q++) {
            t[o + q] = in[j + q];
            if (al) a[o + q] = (uint32_t)j;
        }
        o += l;
        j += l;
        ps = 0;
    }
    out->len = o;
    if (al) out->align_len = o;
    *prev_space = ps;
    return j;
}

/*
 * test_utf8.c - the deduplicated UTF-8 decoders of common/utf8.h against
 * the plain DecodeUTF8 they replaced (sentencepiece's util.cc, transcribed
 * below as it stood in utf8.c): every 1-, 2- and 3-byte sequence, and
 * random 4- to 6-byte ones, each cut at every length.  Also checks the
 * well-formed decoder on every scalar value and the U+2581 test.  Built and
 * run by tests/test_c_units.py.
 */
#include <stdio.h>
#include <string.h>

#include "common/internal.h"

static int is_trail(uint8_t b) { return b >= 0x80 && b <= 0xBF; }
static int is_valid_cp(uint32_t c) { return c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF); }

/* The former out-of-line sp_utf8_decode, kept here as the oracle. */
static uint32_t plain_decode(const uint8_t *s, size_t n, size_t *len) {
    uint8_t b0 = s[0];
    if (b0 < 0x80) {
        *len = 1;
        return b0;
    }
    if (n >= 2 && (b0 & 0xE0) == 0xC0) {
        uint32_t c = ((uint32_t)(b0 & 0x1F) << 6) | (s[1] & 0x3F);
        if (is_trail(s[1]) && c >= 0x80 && is_valid_cp(c)) {
            *len = 2;
            return c;
        }
    } else if (n >= 3 && (b0 & 0xF0) == 0xE0) {
        uint32_t c = ((uint32_t)(b0 & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        if (is_trail(s[1]) && is_trail(s[2]) && c >= 0x800 && is_valid_cp(c)) {
            *len = 3;
            return c;
        }
    } else if (n >= 4 && (b0 & 0xF8) == 0xF0) {
        uint32_t c = ((uint32_t)(b0 & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
                     ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        if (is_trail(s[1]) && is_trail(s[2]) && is_trail(s[3]) && c >= 0x10000 && is_valid_cp(c)) {
            *len = 4;
            return c;
        }
    }
    *len = 1;
    return 0xFFFD;
}

static long checked, bad;

static void check(const uint8_t *s, size_t n) {
    size_t l1, l2, l3;
    uint32_t want = plain_decode(s, n, &l1);
    uint32_t got = sp_utf8_decode(s, n, &l2);
    int valid = sp_utf8_valid_char(s, n, &l3);
    int want_valid = want != 0xFFFD || l1 == 3;
    /* the checked scalar decoder: a well-formed character of OneCharLen bytes */
    size_t ol = sp_utf8_char_len(s, n);
    uint32_t scalar = sp_utf8_scalar(s, ol);
    uint32_t want_scalar = (want_valid && l1 == ol) ? want : SP_NOT_A_CHAR;
    checked++;
    if (got != want || l2 != l1 || valid != want_valid || l3 != l1 || scalar != want_scalar) {
        if (bad < 10) {
            printf("differ on");
            for (size_t i = 0; i < n; i++) printf(" %02X", s[i]);
            printf(": plain %X/%zu, decode %X/%zu, scalar %X\n", want, l1, got, l2, scalar);
        }
        bad++;
    }
}

int main(void) {
    uint8_t s[8];
    for (uint32_t x = 0; x < (1u << 24); x++) { /* every 3-byte string, and its 1- and 2-byte prefixes */
        s[0] = (uint8_t)(x >> 16), s[1] = (uint8_t)(x >> 8), s[2] = (uint8_t)x;
        check(s, 3);
        if ((x & 0xFFFF) == 0) check(s, 1);
        if ((x & 0xFF) == 0) check(s, 2);
    }
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
    for (long k = 0; k < 4000000; k++) { /* lead bytes F0..FF and C0..EF with trail-heavy tails */
        for (int i = 0; i < 6; i++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            s[i] = (uint8_t)(i == 0 ? 0xC0 | (rng & 0x3F) : (rng & 3) ? 0x80 | ((rng >> 2) & 0x3F) : rng >> 8);
        }
        for (size_t n = 1; n <= 6; n++) check(s, n);
    }
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) { /* the well-formed decoder on every scalar value */
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        size_t l = sp_utf8_encode(cp, s);
        checked++;
        if (sp_utf8_wellformed_cp(s, l) != cp || sp_utf8_scalar(s, l) != cp || sp_utf8_char_len(s, 4) != l) bad++;
    }
    const uint8_t space[3] = {0xE2, 0x96, 0x81};
    size_t l = sp_utf8_encode(SP_SPACE_CP, s);
    checked++;
    if (l != 3 || memcmp(s, SP_SPACE_SYMBOL, 3) || memcmp(space, SP_SPACE_SYMBOL, 3) || !sp_is_space_symbol(s) ||
        s[0] != SP_SPACE_LEAD)
        bad++;
    printf("checked %ld decodes, %ld differ\n", checked, bad);
    return bad != 0;
}

/*
 * common/utf8.h - UTF-8 exactly as sentencepiece reads it (util.h/util.cc),
 * and the one definition of U+2581.
 *
 * Two decoders, no more:
 *  - checked: sp_utf8_scalar (the code point of one character of known
 *    length, or SP_NOT_A_CHAR), and on it sp_utf8_decode (sentencepiece's
 *    DecodeUTF8: a lead byte whose checks fail consumes exactly one byte and
 *    yields U+FFFD, never falling through to a shorter form; a genuine
 *    3-byte U+FFFD in the input is valid) and sp_utf8_valid_char
 *    (IsValidDecodeUTF8);
 *  - well-formed: sp_utf8_wellformed_cp, no checks, for text already known
 *    to be well-formed UTF-8.
 * They are inline because the encoder's and trainer's loops call them per
 * character.  sp_utf8_encode is in utf8.c.
 */
#ifndef SPBPE_UTF8_H
#define SPBPE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* U+2581 LOWER ONE EIGHTH BLOCK: sentencepiece's escaped space. */
#define SP_SPACE_CP 0x2581u
#define SP_SPACE_SYMBOL "\xe2\x96\x81"   /* its UTF-8 bytes (3) */
#define SP_SPACE_LEAD 0xE2               /* its first byte, for memchr scans */

/* Do p[0..3) hold U+2581?  (The caller knows 3 bytes are there.) */
static inline int sp_is_space_symbol(const uint8_t *p) { return p[0] == 0xE2 && p[1] == 0x96 && p[2] == 0x81; }

/* OneCharLen: length from the lead byte alone, clipped to n (n >= 1). */
static inline size_t sp_utf8_char_len(const uint8_t *s, size_t n) {
    size_t l = s[0] < 0xC0 ? 1 : s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
    return l < n ? l : n;
}

#define SP_NOT_A_CHAR UINT32_MAX

/* The checked decoder: code point of the well-formed character s[0..l)
 * (l = its OneCharLen, so 1..4), or SP_NOT_A_CHAR for a bad lead or trail
 * byte, an overlong form, a surrogate, a value above U+10FFFF or a
 * character cut short (l below what the lead byte announces). */
static inline uint32_t sp_utf8_scalar(const uint8_t *s, size_t l) {
    if (l == 1) return s[0] < 0x80 ? s[0] : SP_NOT_A_CHAR;
    if (l == 2) {
        uint32_t c = ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
        return (s[0] & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80 && c >= 0x80 ? c : SP_NOT_A_CHAR;
    }
    if (l == 3) {
        uint32_t c = ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return (s[0] & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 && c >= 0x800 &&
                       (c < 0xD800 || c > 0xDFFF)
                   ? c
                   : SP_NOT_A_CHAR;
    }
    uint32_t c = ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) | ((uint32_t)(s[2] & 0x3F) << 6) |
                 (s[3] & 0x3F);
    return (s[0] & 0xF8) == 0xF0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80 &&
                   c >= 0x10000 && c <= 0x10FFFF
               ? c
               : SP_NOT_A_CHAR;
}

/* sentencepiece's DecodeUTF8: returns the code point and sets *len to the
 * bytes used; malformed input gives 0xFFFD with *len = 1.  n >= 1. */
static inline uint32_t sp_utf8_decode(const uint8_t *s, size_t n, size_t *len) {
    if (s[0] < 0x80) {
        *len = 1;
        return s[0];
    }
    size_t l = sp_utf8_char_len(s, n);
    uint32_t c = sp_utf8_scalar(s, l);
    if (c == SP_NOT_A_CHAR) {
        *len = 1;
        return 0xFFFD;
    }
    *len = l;
    return c;
}

/* IsValidDecodeUTF8: true unless decode gave U+FFFD from a malformed byte. */
static inline int sp_utf8_valid_char(const uint8_t *s, size_t n, size_t *len) {
    uint32_t c = sp_utf8_decode(s, n, len);
    return c != 0xFFFD || *len == 3;
}

/* The well-formed decoder: code point of the character s[0..l), l its
 * OneCharLen, with no checks.  Only for text known to be well-formed
 * UTF-8 (the normalized text of a fast_words model: the normalizer
 * replaces malformed bytes, and such a model's charsmap and user-defined
 * pieces were checked to be UTF-8 at load). */
static inline uint32_t sp_utf8_wellformed_cp(const uint8_t *s, size_t l) {
    switch (l) {
    case 1: return s[0];
    case 2: return ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
    case 3: return ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    default:
        return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) | ((uint32_t)(s[2] & 0x3F) << 6) |
               (s[3] & 0x3F);
    }
}

/* Number of UTF-8 bytes written to out (out has room for 4). */
size_t sp_utf8_encode(uint32_t cp, uint8_t *out);

#endif /* SPBPE_UTF8_H */

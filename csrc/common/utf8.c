/*
 * utf8.c - UTF-8 exactly as sentencepiece reads it (util.h/util.cc).
 *
 * sentencepiece's decoder is stricter than "any well-formed UTF-8" in one
 * way and looser in another: a lead byte whose checks fail consumes exactly
 * one byte and yields U+FFFD, and it never falls through to a shorter form.
 * A genuine 3-byte U+FFFD in the input is valid.
 */
#include <string.h>

#include "common/internal.h"

static int is_trail(uint8_t b) { return b >= 0x80 && b <= 0xBF; }

static int is_valid_cp(uint32_t c) { return c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF); }

uint32_t sp_utf8_decode(const uint8_t *s, size_t n, size_t *len) {
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

int sp_utf8_valid_char(const uint8_t *s, size_t n, size_t *len) {
    uint32_t c = sp_utf8_decode(s, n, len);
    return c != 0xFFFD || *len == 3;
}


size_t sp_utf8_encode(uint32_t cp, uint8_t *out) {
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}


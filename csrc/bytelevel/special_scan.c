/*
 * special_scan.c - finding special tokens in text, as tiktoken does
 * outside the merges.
 *
 * tiktoken looks for special tokens twice: Python's encode first searches
 * the whole text for any disallowed token (a regex alternation of them)
 * and raises for the leftmost one; the Rust core then scans for any
 * special token, splits the text at the first one that is allowed and
 * skips the others (resuming one byte after their start).  Both are
 * leftmost matches.  When two specials start at the same byte (one is a
 * prefix of the other) the regex takes the first alternative in an order
 * tiktoken leaves to a hash map; spbpe takes the longest, which is the
 * same whenever the specials are prefix-free (all official encodings).
 *
 * Candidates are filtered by first byte (memchr when every special starts
 * with the same byte, as the "<|" tokens do) and by their first two bytes
 * (a 64 Kibit set), then each distinct special length is looked up in the
 * specials' hash table, longest first.
 */
#include <string.h>

#include "bytelevel/bytelevel.h"

/* The longest special at text[p..) whose mode passes (any mode when want
 * is SP_BL_ALLOWED, only disallowed ones when it is SP_BL_DISALLOWED), or -1. */
static int32_t match_at(const spbpe_bytelevel *bl, const uint8_t *modes, int want, const uint8_t *text, size_t len,
                        size_t p) {
    size_t left = len - p;
    if (left >= 2) {
        unsigned pair = (unsigned)text[p] << 8 | text[p + 1];
        if (!(bl->special_pair[pair >> 3] & (1u << (pair & 7))) && !bl->special_has_len1) return -1;
    }
    for (size_t j = 0; j < bl->special_len_count; j++) {
        size_t n = bl->special_lens[j];
        if (n > left) continue;
        int32_t k = sp_bl_special_of(bl, text + p, n);
        if (k < 0) continue;
        if (want == SP_BL_DISALLOWED && modes[k] != SP_BL_DISALLOWED) continue;
        return k;
    }
    return -1;
}

size_t sp_bl_find_special(const spbpe_bytelevel *bl, const uint8_t *modes, int want, const uint8_t *text,
                          size_t len, size_t from, int32_t *index) {
    *index = -1;
    if (!modes || !bl->special_count) return len;
    for (size_t p = from; p < len; p++) {
        if (bl->special_one_first >= 0) {
            const uint8_t *hit = memchr(text + p, bl->special_one_first, len - p);
            if (!hit) return len;
            p = (size_t)(hit - text);
        } else if (!bl->special_first[text[p]]) {
            continue;
        }
        int32_t k = match_at(bl, modes, want, text, len, p);
        if (k < 0) continue;
        if (want == SP_BL_ALLOWED && modes[k] != SP_BL_ALLOWED) continue;
        *index = k;
        return p;
    }
    return len;
}

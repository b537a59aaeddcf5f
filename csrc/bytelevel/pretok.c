/*
 * bytelevel/pretok.c - tiktoken's four built-in split patterns as
 * hand-written matchers, one chunk per call (sp_pretok_next).  The
 * matchers are in pretok_match.h, shared with the plain twin
 * (pretok_plain.c); this file gives them the fast character readers: an
 * ASCII byte is classified by one table load (sp_uclass_byte) and runs of
 * ASCII are scanned in tight loops, other characters are decoded.
 *
 * The patterns (tiktoken 0.14's tiktoken_ext/openai_public.py; Llama 3's
 * from Meta's tokenizer.py), matched leftmost-first by fancy-regex:
 *   r50k   '(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s
 *   cl100k '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+
 *          |\s++$|\s*[\r\n]|\s+(?!\S)|\s
 *   llama3 (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*
 *          |\s*[\r\n]+|\s+(?!\S)|\s+
 *   o200k  [^\r\n\p{L}\p{N}]?[UP]*[LO]+C?|[^\r\n\p{L}\p{N}]?[UP]+[LO]*C?|\p{N}{1,3}
 *          | ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
 *          with UP = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}], LO = [\p{Ll}\p{Lm}\p{Lo}\p{M}],
 *          C = (?i:'s|'t|'re|'ve|'m|'ll|'d)
 *
 * What the backtracking engine does, worked out once so the matchers need
 * no backtracking (every alternative ends the pattern, so its first
 * success in the engine's order is the match):
 *  - a greedy run at the end of an alternative takes the maximal run, so
 *    possessive and greedy forms agree there; `\s++$` is a whitespace run
 *    that reaches the end of the text;
 *  - `\s+(?!\S)` on a whitespace run not at the end takes all but its last
 *    character (and fails on a run of one); `\s*[\r\n]+` (and cl100k's
 *    `\s*[\r\n]`) ends just after the last \r or \n of the run;
 *  - the optional prefix `[^\r\n\p{L}\p{N}]?` is tried taken first, then
 *    not taken;
 *  - o200k's `[UP]*[LO]+`: after the maximal UP run, if the next character
 *    is LO the LO run follows; otherwise the engine gives back UP characters
 *    until one is also LO (Lm Lo M), which becomes the one-character LO+, so
 *    the match ends just after the last LO character of the UP run.
 * Characters are code points of well-formed UTF-8; any byte that does not
 * start one is a character of its own with class 0 (not a letter, number,
 * mark or space), as U+FFFD would be.  Nothing here allocates or keeps
 * state; each call reads text[pos..len) only as far as its chunk and the
 * one character after it (plus the whole whitespace run for \s patterns).
 */
#include "bytelevel/pretok.h"

#include "bytelevel/unicode_classes.h"
#include "common/internal.h"

/* Class byte and length of the character at text[pos] when it is not
 * ASCII: a well-formed UTF-8 character, or one byte of class 0. */
static inline uint8_t pt_char_multibyte(const uint8_t *text, size_t len, size_t pos, size_t *clen) {
    size_t l = sp_utf8_char_len(text + pos, len - pos);
    uint32_t cp = sp_utf8_scalar(text + pos, l);
    if (cp == SP_NOT_A_CHAR) {
        *clen = 1;
        return 0;
    }
    *clen = l;
    return sp_uclass(cp);
}

/* Class byte and length (*clen) of the character at text[pos], pos < len. */
static inline uint8_t pt_char(const uint8_t *text, size_t len, size_t pos, size_t *clen) {
    uint8_t c = sp_uclass_byte[text[pos]];
    if (SP_LIKELY(!(c & SP_UC_NONASCII))) {
        *clen = 1;
        return c;
    }
    return pt_char_multibyte(text, len, pos, clen);
}

/* End of the maximal run from pos of characters whose class meets mask
 * (want_none = 0) or misses all of mask (want_none = 1).  ASCII bytes are
 * tested in a tight loop (a byte 0x80-0xFF stops it: its class is
 * NONASCII alone); other characters are decoded one by one. */
static inline size_t pt_run(const uint8_t *text, size_t len, size_t pos, uint8_t mask, int want_none) {
    for (;;) {
        if (want_none)
            while (pos < len && !(sp_uclass_byte[text[pos]] & (mask | SP_UC_NONASCII))) pos++;
        else
            while (pos < len && (sp_uclass_byte[text[pos]] & mask)) pos++;
        if (pos >= len || text[pos] < 0x80) return pos;
        size_t l;
        uint8_t c = pt_char_multibyte(text, len, pos, &l);
        if (((c & mask) != 0) == want_none) return pos;
        pos += l;
    }
}

#define PT_FN(name) name##_fast
#include "bytelevel/pretok_match.h"

/* End of the run of ASCII letters from pos, 8 bytes at a time (SWAR): a
 * byte is a letter when it is below 0x80 and (byte | 0x20) is in 'a'..'z';
 * the sums cannot carry across bytes because every byte is first cut to
 * 7 bits.  Stops at the first other byte, non-ASCII included. */
static inline size_t pt_ascii_letters(const uint8_t *text, size_t len, size_t pos) {
    const uint64_t high = 0x8080808080808080ULL;
    while (pos + 8 <= len) {
        uint64_t x;
        memcpy(&x, text + pos, 8);
        uint64_t low = (x | 0x2020202020202020ULL) & 0x7F7F7F7F7F7F7F7FULL;
        uint64_t letter = (low + 0x1F1F1F1F1F1F1F1FULL) & ~(low + 0x0505050505050505ULL) & ~x & high;
        uint64_t stop = ~letter & high;
        if (stop) return pos + sp_first_flagged_byte(stop);
        pos += 8;
    }
    while (pos < len && (sp_uclass_byte[text[pos]] & SP_UC_LETTER)) pos++;
    return pos;
}

/* End of the \p{L}+ run from pos: ASCII letters by pt_ascii_letters, then
 * the general run when a non-ASCII character follows. */
static inline size_t pt_letters(const uint8_t *text, size_t len, size_t pos) {
    pos = pt_ascii_letters(text, len, pos);
    if (pos < len && text[pos] >= 0x80) pos = pt_run(text, len, pos, SP_UC_LETTER, 0);
    return pos;
}

/* The shapes of most chunks of ASCII text, handled before the general
 * matchers (which would give the same end): for r50k, cl100k and llama3 a
 * letter run with an optional leading space (` ?\p{L}+`, or the prefix
 * form that a space takes there); 0 when the chunk has another shape. */
static inline size_t pt_word_fast(const uint8_t *text, size_t len, size_t pos) {
    size_t i = pos;
    if (text[i] == ' ') {
        if (++i >= len) return 0;
    }
    if (!(sp_uclass_byte[text[i]] & SP_UC_LETTER)) return 0;
    return pt_letters(text, len, i + 1);
}

/* End of the run of ASCII lower-case letters from pos, 8 bytes at a time
 * (SWAR, as pt_ascii_letters): a byte is one when it is below 0x80 and in
 * 'a'..'z'.  Stops at the first other byte, non-ASCII included. */
static inline size_t pt_ascii_lower(const uint8_t *text, size_t len, size_t pos) {
    const uint64_t high = 0x8080808080808080ULL;
    while (pos + 8 <= len) {
        uint64_t x;
        memcpy(&x, text + pos, 8);
        uint64_t low = x & 0x7F7F7F7F7F7F7F7FULL;
        uint64_t lower = (low + 0x1F1F1F1F1F1F1F1FULL) & ~(low + 0x0505050505050505ULL) & ~x & high;
        uint64_t stop = ~lower & high;
        if (stop) return pos + sp_first_flagged_byte(stop);
        pos += 8;
    }
    while (pos < len && (uint8_t)(text[pos] - 'a') < 26) pos++;
    return pos;
}

/* o200k on a chunk that starts with an ASCII byte, deciding the pattern's
 * alternatives from the first two bytes' classes (one table load each)
 * instead of trying them in turn; 0 leaves the chunk to the general
 * matcher (the same end, by trying every alternative), which it does when
 * a non-ASCII character could change the outcome.  In ASCII, UP is [A-Z]
 * and LO is [a-z], and no character is both, so:
 *  - the letter alternatives start at pos when text[pos] is a letter, or
 *    at pos + 1 when text[pos] can be the prefix [^\r\n\p{L}\p{N}] and
 *    text[pos + 1] is a letter; they cannot match anywhere else (a prefix
 *    byte followed by an ASCII non-letter, or at the end, starts no letter
 *    run);
 *  - from a letter at i, [UP]*[LO]+ ends after the maximal [A-Z]*[a-z]+ run
 *    when it has a lower-case letter, and otherwise [UP]+[LO]* (tried next)
 *    ends after the [A-Z]+ run: either way after [A-Z]*[a-z]*, then the
 *    optional contraction; unless a non-ASCII byte follows the run, where
 *    an Lm/Lo/M character could extend it (0: general matcher);
 *  - with no letter alternative, a digit takes \p{N}{1,3}, and anything
 *    else is punctuation or whitespace, whose matchers handle every
 *    character. */
static inline size_t pt_o200k_ascii(const uint8_t *text, size_t len, size_t pos) {
    uint8_t c0 = sp_uclass_byte[text[pos]];
    if (c0 & SP_UC_NONASCII) return 0;
    size_t i = pos; /* where the letters start */
    if (!(c0 & SP_UC_LETTER)) {
        uint8_t c1 = pos + 1 < len ? sp_uclass_byte[text[pos + 1]] : 0;
        int prefix = !(c0 & (SP_UC_NUMBER | SP_UC_CRLF)) && pos + 1 < len;
        if (prefix && (c1 & SP_UC_NONASCII)) return 0;
        if (prefix && (c1 & SP_UC_LETTER)) i = pos + 1;
        else if (c0 & SP_UC_NUMBER) { /* \p{N}{1,3} */
            size_t end = pos + 1;
            for (int n = 1; n < 3 && end < len; n++) {
                size_t l;
                if (!(pt_char(text, len, end, &l) & SP_UC_NUMBER)) break;
                end += l;
            }
            return end;
        } else {
            size_t n = pt_punct_fast(text, len, pos, c0, 1);
            return n ? n : pt_space_fast(SP_PRETOK_O200K, text, len, pos);
        }
    }
    while (i < len && (uint8_t)(text[i] - 'A') < 26) i++;
    size_t k = pt_ascii_lower(text, len, i);
    if (k < len && text[k] >= 0x80) return 0;
    return k + pt_contraction_fast(text, len, k, 1);
}

size_t sp_pretok_next(sp_pretok_kind kind, const uint8_t *text, size_t len, size_t pos) {
    size_t end;
    switch (kind) {
    case SP_PRETOK_R50K:
        if ((end = pt_word_fast(text, len, pos))) return end;
        return pt_r50k_fast(text, len, pos);
    case SP_PRETOK_CL100K:
    case SP_PRETOK_LLAMA3:
        if ((end = pt_word_fast(text, len, pos))) return end;
        return pt_cl100k_fast(kind, text, len, pos);
    case SP_PRETOK_O200K:
        if ((end = pt_o200k_ascii(text, len, pos))) return end;
        return pt_o200k_fast(text, len, pos);
    default: return pt_dispatch_fast(kind, text, len, pos);
    }
}

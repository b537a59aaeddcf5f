/*
 * bytelevel/pretok_match.h - the matchers of tiktoken's four split
 * patterns (the algorithm is described in pretok.c), written once and
 * compiled twice: pretok.c includes this with its fast character readers
 * (ASCII by a byte table in tight loops) for sp_pretok_next, and
 * pretok_plain.c with plain ones (every character decoded and looked up in
 * the two-stage table) for sp_pretok_next_plain, the twin that the tests
 * and fuzz_pretok compare the fast path with.
 *
 * The includer defines, before including it:
 *   PT_FN(name)   the name of each matcher (a suffix keeps the copies apart)
 *   uint8_t pt_char(text, len, pos, size_t *clen)
 *                 class byte and length of the character at pos < len
 *   size_t pt_run(text, len, pos, uint8_t mask, int want_none)
 *                 end of the maximal run from pos of characters whose class
 *                 meets mask (want_none 0) or misses all of it (want_none 1)
 * and defines the entry point on PT_FN(pt_dispatch).  Not a header to
 * include anywhere else.
 */
#ifndef PT_FN
#error "define PT_FN, pt_char and pt_run before including pretok_match.h"
#endif

/* Length of a contraction at pos ('s 't 're 've 'm 'll 'd), or 0.  With
 * fold, letters match case-insensitively as regex-syntax folds them: the
 * ASCII pairs, and U+017F LONG S for s (the generator checks there are no
 * others). */
static inline size_t PT_FN(pt_contraction)(const uint8_t *text, size_t len, size_t pos, int fold) {
    if (pos + 1 >= len || text[pos] != '\'') return 0;
    uint8_t c = text[pos + 1];
    if (fold && c >= 'A' && c <= 'Z') c |= 0x20;
    switch (c) {
    case 's':
    case 'd':
    case 'm':
    case 't': return 2;
    case 'l':
    case 'v':
    case 'r': {
        if (pos + 2 >= len) return 0;
        uint8_t d = text[pos + 2];
        if (fold && d >= 'A' && d <= 'Z') d |= 0x20;
        return d == (c == 'l' ? 'l' : 'e') ? 3 : 0;
    }
    default: break;
    }
    if (fold && c == 0xC5 && pos + 2 < len && text[pos + 2] == 0xBF) return 3; /* 'ſ */
    return 0;
}

/* The whitespace alternatives from pos (a SPACE character), by pattern:
 *   r50k:          \s++$ | \s+(?!\S) | \s
 *   cl100k:        \s++$ | \s*[\r\n] | \s+(?!\S) | \s
 *   llama3, o200k: \s*[\r\n]+ | \s+(?!\S) | \s+            */
static size_t PT_FN(pt_space)(sp_pretok_kind kind, const uint8_t *text, size_t len, size_t pos) {
    size_t end = pos, last = pos, after_crlf = 0, count = 0;
    while (end < len) {
        size_t l;
        uint8_t c = pt_char(text, len, end, &l);
        if (!(c & SP_UC_SPACE)) break;
        if (c & SP_UC_CRLF) after_crlf = end + l;
        last = end;
        end += l;
        count++;
    }
    if (kind == SP_PRETOK_LLAMA3 || kind == SP_PRETOK_O200K) {
        if (after_crlf) return after_crlf;
        if (end == len) return end;
    } else {
        if (end == len) return end;
        if (kind == SP_PRETOK_CL100K && after_crlf) return after_crlf;
    }
    return count >= 2 ? last : end;
}

/* ` ?[^\s\p{L}\p{N}]+` then `[\r\n]*` (or o200k's `[\r\n/]*` with slash);
 * 0 when it does not match at pos. */
static size_t PT_FN(pt_punct)(const uint8_t *text, size_t len, size_t pos, uint8_t c0, int slash) {
    size_t i = pos;
    if (text[pos] == ' ' && pos + 1 < len) {
        size_t l;
        if (!(pt_char(text, len, pos + 1, &l) & SP_UC_WORDISH)) i = pos + 1;
    }
    if (i == pos && (c0 & SP_UC_WORDISH)) return 0;
    size_t end = pt_run(text, len, i, SP_UC_WORDISH, 1);
    while (end < len && (text[end] == '\r' || text[end] == '\n' || (slash && text[end] == '/'))) end++;
    return end;
}

/* r50k: '(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s */
static size_t PT_FN(pt_r50k)(const uint8_t *text, size_t len, size_t pos) {
    size_t l0, n;
    uint8_t c0 = pt_char(text, len, pos, &l0);
    if ((n = PT_FN(pt_contraction)(text, len, pos, 0))) return pos + n;
    if (c0 & SP_UC_LETTER) return pt_run(text, len, pos + l0, SP_UC_LETTER, 0);
    if (c0 & SP_UC_NUMBER) return pt_run(text, len, pos + l0, SP_UC_NUMBER, 0);
    if (!(c0 & SP_UC_WORDISH)) return pt_run(text, len, pos + l0, SP_UC_WORDISH, 1);
    if (text[pos] == ' ' && pos + 1 < len) {
        size_t l1;
        uint8_t c1 = pt_char(text, len, pos + 1, &l1);
        if (c1 & SP_UC_LETTER) return pt_run(text, len, pos + 1 + l1, SP_UC_LETTER, 0);
        if (c1 & SP_UC_NUMBER) return pt_run(text, len, pos + 1 + l1, SP_UC_NUMBER, 0);
        if (!(c1 & SP_UC_WORDISH)) return pt_run(text, len, pos + 1 + l1, SP_UC_WORDISH, 1);
    }
    return PT_FN(pt_space)(SP_PRETOK_R50K, text, len, pos);
}

/* cl100k and llama3 differ only in their whitespace alternatives:
 * contraction | [^\r\n\p{L}\p{N}]?\p{L}+ | \p{N}{1,3} | ?[^\s\p{L}\p{N}]+[\r\n]* | whitespace */
static size_t PT_FN(pt_cl100k)(sp_pretok_kind kind, const uint8_t *text, size_t len, size_t pos) {
    size_t l0, n;
    uint8_t c0 = pt_char(text, len, pos, &l0);
    if ((n = PT_FN(pt_contraction)(text, len, pos, 1))) return pos + n;
    if (c0 & SP_UC_LETTER) return pt_run(text, len, pos + l0, SP_UC_LETTER, 0);
    if (c0 & SP_UC_NUMBER) {
        size_t end = pos + l0;
        for (int k = 1; k < 3 && end < len; k++) {
            size_t l;
            if (!(pt_char(text, len, end, &l) & SP_UC_NUMBER)) break;
            end += l;
        }
        return end;
    }
    if (!(c0 & SP_UC_CRLF) && pos + l0 < len) { /* the optional prefix, then letters */
        size_t l1;
        if (pt_char(text, len, pos + l0, &l1) & SP_UC_LETTER) return pt_run(text, len, pos + l0 + l1, SP_UC_LETTER, 0);
    }
    if ((n = PT_FN(pt_punct)(text, len, pos, c0, 0))) return n;
    return PT_FN(pt_space)(kind, text, len, pos);
}

/* o200k's [UP]*[LO]+C? from i; 0 when it does not match. */
static size_t PT_FN(pt_o200k_lower)(const uint8_t *text, size_t len, size_t i) {
    size_t j = i, last_lo_end = 0, l = 0;
    uint8_t c = 0;
    while (j < len) {
        c = pt_char(text, len, j, &l);
        if (!(c & SP_UC_UPPERISH)) break;
        if (c & SP_UC_LOWERISH) last_lo_end = j + l;
        j += l;
    }
    size_t end;
    if (j < len && (c & SP_UC_LOWERISH)) end = pt_run(text, len, j + l, SP_UC_LOWERISH, 0);
    else if (last_lo_end) end = last_lo_end;
    else return 0;
    return end + PT_FN(pt_contraction)(text, len, end, 1);
}

/* o200k's [UP]+[LO]*C? from i; 0 when it does not match. */
static size_t PT_FN(pt_o200k_upper)(const uint8_t *text, size_t len, size_t i) {
    size_t j = pt_run(text, len, i, SP_UC_UPPERISH, 0);
    if (j == i) return 0;
    size_t end = pt_run(text, len, j, SP_UC_LOWERISH, 0);
    return end + PT_FN(pt_contraction)(text, len, end, 1);
}

static size_t PT_FN(pt_o200k)(const uint8_t *text, size_t len, size_t pos) {
    size_t l0, n;
    uint8_t c0 = pt_char(text, len, pos, &l0);
    /* the optional prefix [^\r\n\p{L}\p{N}] (marks and spaces included) */
    int prefix = !(c0 & (SP_UC_LETTER_NUMBER | SP_UC_CRLF)) && pos + l0 < len;
    if (prefix && (n = PT_FN(pt_o200k_lower)(text, len, pos + l0))) return n;
    if ((n = PT_FN(pt_o200k_lower)(text, len, pos))) return n;
    if (prefix && (n = PT_FN(pt_o200k_upper)(text, len, pos + l0))) return n;
    if ((n = PT_FN(pt_o200k_upper)(text, len, pos))) return n;
    if (c0 & SP_UC_NUMBER) {
        size_t end = pos + l0;
        for (int k = 1; k < 3 && end < len; k++) {
            size_t l;
            if (!(pt_char(text, len, end, &l) & SP_UC_NUMBER)) break;
            end += l;
        }
        return end;
    }
    if ((n = PT_FN(pt_punct)(text, len, pos, c0, 1))) return n;
    return PT_FN(pt_space)(SP_PRETOK_O200K, text, len, pos);
}

static inline size_t PT_FN(pt_dispatch)(sp_pretok_kind kind, const uint8_t *text, size_t len, size_t pos) {
    size_t l;
    switch (kind) {
    case SP_PRETOK_R50K: return PT_FN(pt_r50k)(text, len, pos);
    case SP_PRETOK_CL100K:
    case SP_PRETOK_LLAMA3: return PT_FN(pt_cl100k)(kind, text, len, pos);
    case SP_PRETOK_O200K: return PT_FN(pt_o200k)(text, len, pos);
    default: pt_char(text, len, pos, &l); return pos + l; /* not a pattern: one character */
    }
}

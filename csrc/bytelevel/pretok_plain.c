/*
 * bytelevel/pretok_plain.c - sp_pretok_next_plain, the plain twin of
 * sp_pretok_next: the same matchers (pretok_match.h) over the plainest
 * character reader, which decodes every character, ASCII included, with
 * the checked decoder of common/utf8.h and looks its class up in the
 * two-stage table, one character at a time.  It shares no shortcut with
 * the fast readers of pretok.c (the byte table, the tight ASCII loops), so
 * the tests and fuzz_pretok compare the two.
 */
#include "bytelevel/pretok.h"

#include "bytelevel/unicode_classes.h"
#include "common/internal.h"

static uint8_t pt_char(const uint8_t *text, size_t len, size_t pos, size_t *clen) {
    size_t l = sp_utf8_char_len(text + pos, len - pos);
    uint32_t cp = sp_utf8_scalar(text + pos, l);
    if (cp == SP_NOT_A_CHAR) {
        *clen = 1;
        return 0;
    }
    *clen = l;
    return sp_uclass(cp);
}

static size_t pt_run(const uint8_t *text, size_t len, size_t pos, uint8_t mask, int want_none) {
    while (pos < len) {
        size_t l;
        uint8_t c = pt_char(text, len, pos, &l);
        if (((c & mask) != 0) == want_none) break;
        pos += l;
    }
    return pos;
}

#define PT_FN(name) name##_plain
#include "bytelevel/pretok_match.h"

size_t sp_pretok_next_plain(sp_pretok_kind kind, const uint8_t *text, size_t len, size_t pos) {
    return pt_dispatch_plain(kind, text, len, pos);
}

/*
 * bytelevel/pretok_split.c - spbpe_pretok_split, the exported whole-text
 * form of sp_pretok_next for the binding, tests and fuzzers: it walks the
 * chunks from offset 0 and writes each chunk's end, so ends[] is strictly
 * increasing and its last entry is len; and spbpe_pretok_class, a look
 * into the class table for the tests that check it against tiktoken.
 */
#include "bytelevel/pretok.h"
#include "bytelevel/unicode_classes.h"
#include "common/internal.h"

_Static_assert((int)SPBPE_PRETOK_R50K == (int)SP_PRETOK_R50K && (int)SPBPE_PRETOK_CL100K == (int)SP_PRETOK_CL100K &&
                   (int)SPBPE_PRETOK_O200K == (int)SP_PRETOK_O200K && (int)SPBPE_PRETOK_LLAMA3 == (int)SP_PRETOK_LLAMA3,
               "spbpe.h and pretok.h number the patterns alike");

SP_API int spbpe_pretok_split(int kind, const uint8_t *text, size_t len, size_t *ends, size_t cap, size_t *n_out,
                              spbpe_error *err) {
    sp_clear_error(err);
    if (n_out) *n_out = 0;
    int plain = (kind & SPBPE_PRETOK_REFERENCE_PATH) != 0;
    kind &= ~SPBPE_PRETOK_REFERENCE_PATH;
    if (kind < SP_PRETOK_R50K || kind > SP_PRETOK_LLAMA3)
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "unknown pre-tokenizer kind %d", kind);
    if (!n_out || (!text && len) || (!ends && cap))
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument to spbpe_pretok_split");
    if (len > SP_MAX_INPUT) return sp_fail(err, SPBPE_ERR_LIMIT, 0, "input of %zu bytes is too large", len);
    size_t n = 0, pos = 0;
    while (pos < len) {
        size_t end = plain ? sp_pretok_next_plain((sp_pretok_kind)kind, text, len, pos)
                           : sp_pretok_next((sp_pretok_kind)kind, text, len, pos);
        if (end <= pos || end > len)
            return sp_fail(err, SPBPE_ERR_INTERNAL, pos, "pre-tokenizer returned %zu at offset %zu", end, pos);
        if (n < cap) ends[n] = end;
        n++;
        pos = end;
    }
    *n_out = n;
    return SPBPE_OK;
}

SP_API int spbpe_pretok_class(uint32_t cp) { return cp <= 0x10FFFF ? sp_uclass(cp) : 0; }

/*
 * piece_valid.c - sentencepiece's TrainerInterface::IsValidSentencePiece.
 *
 * A candidate piece (as code points) is invalid when it is empty or longer
 * than max_sentencepiece_length; when it holds U+2585, NUL, the boundary
 * U+001F, a space or a non-code point; when U+2581 sits where the
 * whitespace mode forbids it (unless allow_whitespace_only_pieces and the
 * piece is all U+2581); or when split_by_unicode_script sees two scripts.
 * Hiragana, Katakana and U+30FC count as Han, Inherited takes the previous
 * script, and with split_by_number=false the digits 0-9 / U+FF10-FF19 reset
 * the script context.  With split_digits a digit is only valid alone.
 */
#include "trainer_internal.h"

static int is_decimal(uint32_t c) { return (c >= 0x30 && c <= 0x39) || (c >= 0xFF10 && c <= 0xFF19); }

int sp_piece_valid(const sp_valid_opts *o, const uint32_t *cps, size_t n) {
    if (n == 0 || n > (size_t)o->max_piece_chars) return 0;
    int all_ws = 1;
    for (size_t i = 0; i < n; i++) {
        if (cps[i] != SP_WS_CHAR) {
            all_ws = 0;
            break;
        }
    }
    int prev = SP_SCRIPT_ANY;
    for (size_t pos = 0; pos < n; pos++) {
        uint32_t c = cps[pos];
        if (c == SP_UNK_CHAR || c == 0 || c == SP_BOUNDARY_CHAR || c == 0x20) return 0;
        if (c >= 0xD800 && (c < 0xE000 || c > 0x10FFFF)) return 0;
        if (c == SP_WS_CHAR) {
            if (o->allow_whitespace_only_pieces && all_ws) continue;
            if (o->treat_whitespace_as_suffix) {
                if (o->split_by_whitespace ? pos < n - 1 : (pos < n - 1 && pos == 0)) return 0;
            } else {
                if (o->split_by_whitespace ? pos > 0 : (pos > 0 && pos == n - 1)) return 0;
            }
            continue;
        }
        int s = c < 0x10000 && o->bmp_script ? o->bmp_script[c] : sp_script_of(c);
        if (s == SP_SCRIPT_HIRAGANA || s == SP_SCRIPT_KATAKANA || c == 0x30FC) {
            s = SP_SCRIPT_HAN;
        } else if (s == SP_SCRIPT_INHERITED) {
            s = prev;
        }
        if (!o->split_by_number && is_decimal(c)) s = SP_SCRIPT_ANY;
        if (o->split_digits && is_decimal(c) && n > 1) return 0;
        if (o->split_by_unicode_script && s != SP_SCRIPT_ANY && prev != SP_SCRIPT_ANY && prev != s) return 0;
        prev = s;
    }
    return 1;
}

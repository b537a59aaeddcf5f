/*
 * train_piece_valid.c - sentencepiece's TrainerInterface::IsValidSentencePiece.
 *
 * A candidate piece (as code points) is invalid when it is empty or longer
 * than max_sentencepiece_length; when it holds U+2585, NUL, the boundary
 * U+001F, a space or a non-code point; when U+2581 sits where the
 * whitespace mode forbids it (unless allow_whitespace_only_pieces and the
 * piece is all U+2581); or when split_by_unicode_script sees two scripts.
 * Hiragana, Katakana and U+30FC count as Han, Inherited takes the previous
 * script, and with split_by_number=false the digits 0-9 / U+FF10-FF19 reset
 * the script context.  With split_digits a digit is only valid alone.
 *
 * The trainer asks this of every new pair (hundreds of thousands), so it
 * keeps per symbol an sp_vsum: where its U+2581 sit, whether it holds a
 * digit, the script its first context-setting character needs and the
 * context it leaves.  Two summaries decide the joined piece in O(1) and
 * combine into its summary; tests/c/test_vsum.c checks them against
 * sp_piece_valid for every combination of the options involved.
 */
#include "train/train_internal.h"

static int is_decimal(uint32_t c) { return (c >= 0x30 && c <= 0x39) || (c >= 0xFF10 && c <= 0xFF19); }

int sp_piece_valid(const sp_valid_opts *o, const uint32_t *cps, size_t n) {
    if (n == 0 || n > (size_t)o->max_piece_chars) return 0;
    int all_ws = 1;
    for (size_t i = 0; i < n; i++) {
        if (cps[i] != SP_SPACE_CP) {
            all_ws = 0;
            break;
        }
    }
    int prev = SP_SCRIPT_ANY;
    for (size_t pos = 0; pos < n; pos++) {
        uint32_t c = cps[pos];
        if (c == SP_UNK_CHAR || c == 0 || c == SP_BOUNDARY_CHAR || c == 0x20) return 0;
        if (c >= 0xD800 && (c < 0xE000 || c > 0x10FFFF)) return 0;
        if (c == SP_SPACE_CP) {
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

/* ------------------------------------------------- joining two summaries */

static uint8_t script_code(int s) { return s == SP_SCRIPT_ANY ? SP_VS_SCRIPT_ANY : (uint8_t)s; }

sp_vsum sp_vsum_char(const sp_valid_opts *o, uint32_t c) {
    sp_vsum v = {0, SP_VS_SCRIPT_NONE, SP_VS_SCRIPT_ANY};
    if (c == SP_SPACE_CP) {
        v.flags = SP_VS_ALL_WS | SP_VS_WS_FIRST | SP_VS_WS_LAST;
        return v;
    }
    if (is_decimal(c)) v.flags |= SP_VS_DIGIT;
    int s = c < 0x10000 && o->bmp_script ? o->bmp_script[c] : sp_script_of(c);
    if (s == SP_SCRIPT_HIRAGANA || s == SP_SCRIPT_KATAKANA || c == 0x30FC) s = SP_SCRIPT_HAN;
    if (!o->split_by_number && is_decimal(c)) s = SP_SCRIPT_ANY;
    else if (s == SP_SCRIPT_INHERITED) return v; /* takes the script before it */
    v.script_in = v.script_out = script_code(s);
    return v;
}

int sp_vsum_join_valid(const sp_valid_opts *o, sp_vsum a, sp_vsum b, size_t nchars) {
    if (nchars > (size_t)o->max_piece_chars) return 0;
    if (o->split_digits && ((a.flags | b.flags) & SP_VS_DIGIT)) return 0; /* a digit only alone */
    int all_ws = (a.flags & b.flags & SP_VS_ALL_WS) != 0;
    if (!(o->allow_whitespace_only_pieces && all_ws)) {
        int b_ws = (b.flags & (SP_VS_WS_FIRST | SP_VS_WS_REST)) != 0;
        int a_ws = (a.flags & (SP_VS_WS_FIRST | SP_VS_WS_REST)) != 0;
        if (o->treat_whitespace_as_suffix) {
            if (o->split_by_whitespace ? (a_ws || (b.flags & SP_VS_WS_BEFORE_LAST)) : (a.flags & SP_VS_WS_FIRST))
                return 0;
        } else {
            if (o->split_by_whitespace ? ((a.flags & SP_VS_WS_REST) || b_ws) : (b.flags & SP_VS_WS_LAST)) return 0;
        }
    }
    if (o->split_by_unicode_script && b.script_in != SP_VS_SCRIPT_NONE && b.script_in != SP_VS_SCRIPT_ANY &&
        a.script_out != SP_VS_SCRIPT_ANY && a.script_out != b.script_in)
        return 0;
    return 1;
}

sp_vsum sp_vsum_join(sp_vsum a, sp_vsum b) {
    int a_ws = (a.flags & (SP_VS_WS_FIRST | SP_VS_WS_REST)) != 0;
    int b_ws = (b.flags & (SP_VS_WS_FIRST | SP_VS_WS_REST)) != 0;
    sp_vsum v;
    v.flags = (uint8_t)((a.flags & b.flags & SP_VS_ALL_WS) | (a.flags & SP_VS_WS_FIRST) |
                        ((a.flags & SP_VS_WS_REST) || b_ws ? SP_VS_WS_REST : 0) | (b.flags & SP_VS_WS_LAST) |
                        (a_ws || (b.flags & SP_VS_WS_BEFORE_LAST) ? SP_VS_WS_BEFORE_LAST : 0) |
                        ((a.flags | b.flags) & SP_VS_DIGIT));
    v.script_in = a.script_in != SP_VS_SCRIPT_NONE ? a.script_in : b.script_in;
    v.script_out = b.script_in != SP_VS_SCRIPT_NONE ? b.script_out : a.script_out;
    return v;
}

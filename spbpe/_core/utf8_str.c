/* spbpe._core._pylists: UTF-8 -> str for decode (ids -> str), in its own
 * file because the SIMD fill is as long as the rest of the module. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "utf8_str.h"

/* UTF-8 -> str in two passes, for decode (ids -> str).
 *
 * CPython's decoder writes UCS1 until it meets a wider character, then
 * widens what it has written (UCS1 -> UCS2 -> UCS4) and over-allocates and
 * reallocates as it goes: on multilingual text that was most of a decode.
 * Here a first pass over the bytes counts the characters (the bytes that
 * are not continuation bytes 0x80-0xBF) and finds the largest byte, which
 * for valid UTF-8 gives the canonical kind: below 0x80 ASCII, below 0xC4
 * (leads C2, C3: U+0080-U+00FF) UCS1, below 0xF0 UCS2, else UCS4.  The
 * str is made of exactly that size and kind, and the second pass fills it
 * while validating as CPython does (no overlongs, no surrogates, nothing
 * above U+10FFFF, no truncated sequence).  On the first invalid byte the
 * str is dropped and the whole text goes to PyUnicode_DecodeUTF8 with the
 * caller's errors handler, so every handler behaves exactly as CPython's;
 * valid text never reaches a handler, so it decodes alike under all.
 *
 * The fill runs with AVX2 (utf8_avx2_init checks the CPU at import); the
 * portable fill below decodes what the AVX2 loop leaves at the end.  On
 * their own, the portable fills are no faster than CPython's decoder, so
 * without AVX2 (and for texts of 0 or 1 character, which CPython returns
 * from its cache) the text goes to PyUnicode_DecodeUTF8; tests run them on
 * whole texts through utf8_str(..., portable=True).  On the multilingual
 * documents of benchmarks/bench_gpt.py, CPython's decoder makes 0.85 GB/s
 * of UCS2 and 1.0 of UCS4, the AVX2 fill 3.0 and 1.8. */

/* The characters of valid UTF-8 s[0:n] and its largest byte. */
static size_t utf8_scan(const uint8_t *s, size_t n, unsigned *max_byte) {
    size_t continuation = 0, i = 0;
    uint8_t top = 0;
    while (i < n) {
        /* Blocks of at most 255 bytes, so that a byte counter cannot
         * overflow and the compiler vectorizes the inner loop. */
        size_t end = n - i < 255 ? n : i + 255;
        uint8_t count = 0;
        for (; i < end; i++) {
            uint8_t b = s[i];
            count += (uint8_t)((int8_t)b < -64); /* 0x80-0xBF */
            top = b > top ? b : top;
        }
        continuation += count;
    }
    *max_byte = top;
    return n - continuation;
}

/* The second pass works on blocks of 64 bytes in two loops.  The first
 * decodes, at every byte, the sequence that would start there (lead byte
 * and up to 3 more, read past the block), and checks it when the byte does
 * start one (any byte but a continuation byte 0x80-0xBF): a valid lead,
 * continuation bytes, no overlong, no surrogate, nothing above MAX.  It has
 * no branch and no dependence between bytes, so the compiler vectorizes it.
 * The second stores every byte's value at the next character slot and
 * advances the slot only at a start, so the value of a continuation byte
 * is overwritten by the next character's (one slot past the last
 * character may be written: the str's terminating NUL, restored after).
 * The sequences' lengths must add up to the text's length: each start's
 * sequence covers only continuation bytes, so the sequences do not
 * overlap, and their sum is the length exactly when no continuation byte
 * is left outside one.  A loop that steps from one sequence to the next by
 * its length waits at every character for the load, the length and the
 * add, and branches on each length: on mixed scripts that was slower than
 * CPython's decoder. */
#define UTF8_BLOCK 64

/* The first loop, for characters up to U+FFFF (UCS1 when max is 0xFF,
 * UCS2) in 16-bit lanes: value[i] and the sum of the starts' lengths;
 * returns nonzero for an invalid start.  Selections are masks (all ones
 * or zero) so that the compiler vectorizes the loop. */
static inline unsigned utf8_values16(const uint8_t *restrict p, uint16_t max, uint16_t *restrict value,
                                     unsigned *restrict sum) {
    uint16_t bad = 0, total = 0;
    for (int i = 0; i < UTF8_BLOCK; i++) {
        uint16_t c = p[i], d1 = p[i + 1], d2 = p[i + 2];
        uint16_t two = -(uint16_t)(c >= 0xC0), three = -(uint16_t)(c >= 0xE0), four = -(uint16_t)(c >= 0xF0);
        uint16_t start = -(uint16_t)((c & 0xC0) != 0x80);
        uint16_t v2 = (uint16_t)(((c & 0x1F) << 6) | (d1 & 0x3F));
        uint16_t v3 = (uint16_t)(((c & 0x0F) << 12) | ((d1 & 0x3F) << 6) | (d2 & 0x3F));
        uint16_t v = (v3 & three) | (v2 & two & ~three) | (c & ~two);
        uint16_t low = (0x800 & three) | (0x80 & two & ~three);
        uint16_t wrong = (two & -(uint16_t)((d1 & 0xC0) != 0x80)) | (three & -(uint16_t)((d2 & 0xC0) != 0x80)) |
                         four | -(uint16_t)(v < low) | -(uint16_t)((v & 0xF800) == 0xD800) | -(uint16_t)(v > max);
        bad |= start & wrong;
        total += start & (1 + (two & 1) + (three & 1));
        value[i] = v;
    }
    *sum += total; /* at most 3 * 64 */
    return bad;
}

/* The same for any character, in 32-bit lanes (UCS4). */
static inline unsigned utf8_values32(const uint8_t *restrict p, uint32_t *restrict value, unsigned *restrict sum) {
    uint32_t bad = 0, total = 0;
    for (int i = 0; i < UTF8_BLOCK; i++) {
        uint32_t c = p[i], d1 = p[i + 1], d2 = p[i + 2], d3 = p[i + 3];
        uint32_t two = -(uint32_t)(c >= 0xC0), three = -(uint32_t)(c >= 0xE0), four = -(uint32_t)(c >= 0xF0);
        uint32_t start = -(uint32_t)((c & 0xC0) != 0x80);
        uint32_t v2 = ((c & 0x1F) << 6) | (d1 & 0x3F);
        uint32_t v3 = ((c & 0x0F) << 12) | ((d1 & 0x3F) << 6) | (d2 & 0x3F);
        uint32_t v4 = ((c & 0x07) << 18) | ((d1 & 0x3F) << 12) | ((d2 & 0x3F) << 6) | (d3 & 0x3F);
        uint32_t v = (v4 & four) | (v3 & three & ~four) | (v2 & two & ~three) | (c & ~two);
        uint32_t low = (0x10000 & four) | (0x800 & three & ~four) | (0x80 & two & ~three);
        uint32_t wrong = (two & -(uint32_t)((d1 & 0xC0) != 0x80)) | (three & -(uint32_t)((d2 & 0xC0) != 0x80)) |
                         (four & -(uint32_t)((d3 & 0xC0) != 0x80)) | -(uint32_t)(c >= 0xF5) |
                         -(uint32_t)(v < low) | -(uint32_t)((v & 0xFFFFF800u) == 0xD800) | -(uint32_t)(v > 0x10FFFF);
        bad |= start & wrong;
        total += start & (1 + (two & 1) + (three & 1) + (four & 1));
        value[i] = v;
    }
    *sum += total;
    return bad;
}

/* The second loop: every value at the next slot, which advances at the
 * starts. */
#define UTF8_STORE(CHAR, p, value, o)                 \
    for (int i = 0; i < UTF8_BLOCK; i++) {            \
        *(o) = (CHAR)(value)[i];                      \
        (o) += ((p)[i] & 0xC0) != 0x80;               \
    }

static Py_UCS1 *ucs1_block(const uint8_t *p, Py_UCS1 *o, unsigned *sum, unsigned *bad) {
    uint16_t value[UTF8_BLOCK];
    *bad |= utf8_values16(p, 0xFF, value, sum);
    UTF8_STORE(Py_UCS1, p, value, o)
    return o;
}

static Py_UCS2 *ucs2_block(const uint8_t *p, Py_UCS2 *o, unsigned *sum, unsigned *bad) {
    uint16_t value[UTF8_BLOCK];
    *bad |= utf8_values16(p, 0xFFFF, value, sum);
    UTF8_STORE(Py_UCS2, p, value, o)
    return o;
}

static Py_UCS4 *ucs4_block(const uint8_t *p, Py_UCS4 *o, unsigned *sum, unsigned *bad) {
    uint32_t value[UTF8_BLOCK];
    *bad |= utf8_values32(p, value, sum);
    UTF8_STORE(Py_UCS4, p, value, o)
    return o;
}

/* Writes the characters of s[0:n] to out and returns how many, or -1 for
 * invalid UTF-8 or a character wider than the kind (out then holds
 * garbage).  All-ASCII blocks are widened as they are.  The last bytes are
 * decoded from a zero-padded copy into a scratch array: a sequence cut by
 * the end fails its continuation check, and each padding byte is a NUL
 * character of length 1, taken off the sum and the count. */
#define UTF8_FILL_KIND(NAME, CHAR)                                                              \
    static Py_ssize_t NAME##_fill(const uint8_t *s, size_t n, CHAR *out) {                      \
        CHAR *o = out;                                                                          \
        size_t at = 0, covered = 0;                                                             \
        unsigned bad = 0, sum;                                                                  \
        for (; n >= UTF8_BLOCK + 3 && at <= n - UTF8_BLOCK - 3; at += UTF8_BLOCK) {             \
            uint64_t word[UTF8_BLOCK / 8], any = 0;                                             \
            memcpy(word, s + at, UTF8_BLOCK);                                                   \
            for (int k = 0; k < UTF8_BLOCK / 8; k++) any |= word[k];                            \
            if ((any & 0x8080808080808080ull) == 0) { /* ASCII */                               \
                for (int k = 0; k < UTF8_BLOCK; k++) o[k] = (CHAR)s[at + k];                    \
                o += UTF8_BLOCK;                                                                \
                covered += UTF8_BLOCK;                                                          \
                continue;                                                                       \
            }                                                                                   \
            sum = 0;                                                                            \
            o = NAME##_block(s + at, o, &sum, &bad);                                            \
            covered += sum;                                                                     \
        }                                                                                       \
        uint8_t tail[2 * UTF8_BLOCK + 8] = {0};                                                 \
        CHAR chars[2 * UTF8_BLOCK + 1], *t = chars;                                             \
        size_t rest = n - at, blocks = (rest + UTF8_BLOCK - 1) / UTF8_BLOCK;                    \
        memcpy(tail, s + at, rest);                                                             \
        sum = 0;                                                                                \
        for (size_t k = 0; k < blocks; k++) t = NAME##_block(tail + k * UTF8_BLOCK, t, &sum, &bad); \
        size_t pad = blocks * UTF8_BLOCK - rest, got = (size_t)(t - chars);                     \
        if (bad || got < pad || covered + sum != n + pad) return -1;                            \
        memcpy(o, chars, (got - pad) * sizeof(CHAR));                                           \
        return (o - out) + (Py_ssize_t)(got - pad);                                             \
    }
UTF8_FILL_KIND(ucs1, Py_UCS1)
UTF8_FILL_KIND(ucs2, Py_UCS2)
UTF8_FILL_KIND(ucs4, Py_UCS4)

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define UTF8_AVX2 1
/* UCS2 and UCS4 32 bytes at a time with AVX2, when the CPU has it: the
 * portable store loop above costs a cycle or two per byte.  The checks are
 * made on the 32 bytes at once; the values are computed as in
 * utf8_values16/32, in 16- or 32-bit lanes, and the starts' values are
 * gathered to the front of each group of 8 lanes with a shuffle from a
 * table (for mask m, the lanes of m's set bits in order), made once at
 * import and only read afterwards. */
static uint8_t utf8_gather16[256][16]; /* pshufb control, 16-bit lanes */
static uint32_t utf8_gather32[256][8]; /* vpermd indices, 32-bit lanes */
static int utf8_use_avx2;

static void utf8_avx2_init(void) {
    __builtin_cpu_init();
    utf8_use_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
    for (int m = 0; m < 256; m++) {
        int k = 0;
        for (int j = 0; j < 8; j++)
            if (m >> j & 1) {
                utf8_gather16[m][2 * k] = (uint8_t)(2 * j);
                utf8_gather16[m][2 * k + 1] = (uint8_t)(2 * j + 1);
                utf8_gather32[m][k++] = (uint32_t)j;
            }
        for (; k < 8; k++) {
            utf8_gather16[m][2 * k] = utf8_gather16[m][2 * k + 1] = 0x80; /* zero */
            utf8_gather32[m][k] = 0;
        }
    }
}

#define UTF8_AVX2_TARGET __attribute__((target("avx2,popcnt")))

/* x >= k for unsigned bytes. */
UTF8_AVX2_TARGET static inline __m256i utf8_ge(__m256i x, uint8_t k) {
    __m256i kk = _mm256_set1_epi8((char)k);
    return _mm256_cmpeq_epi8(_mm256_max_epu8(x, kk), x);
}

/* The checks of the sequences starting in the 32 bytes x0 (x1, x2, x3: the
 * same shifted by 1, 2, 3 bytes), as utf8_values16/32 make them; ORs the
 * invalid starts into *bad, adds the starts' lengths to *sum (64-bit
 * lanes) and returns the mask of the bytes that start no sequence. */
UTF8_AVX2_TARGET static inline __m256i utf8_check(__m256i x0, __m256i x1, __m256i x2, __m256i x3, int four_ok,
                                                  __m256i *bad, __m256i *sum) {
    const __m256i xc0 = _mm256_set1_epi8((char)0xC0), x80 = _mm256_set1_epi8((char)0x80);
    __m256i inside = _mm256_cmpeq_epi8(_mm256_and_si256(x0, xc0), x80);
    __m256i two = utf8_ge(x0, 0xC0), three = utf8_ge(x0, 0xE0), four = utf8_ge(x0, 0xF0);
    __m256i cont1 = _mm256_cmpeq_epi8(_mm256_and_si256(x1, xc0), x80);
    __m256i cont2 = _mm256_cmpeq_epi8(_mm256_and_si256(x2, xc0), x80);
    __m256i wrong = _mm256_or_si256(_mm256_andnot_si256(cont1, two), _mm256_andnot_si256(cont2, three));
    wrong = _mm256_or_si256(wrong, _mm256_andnot_si256(utf8_ge(x0, 0xC2), two)); /* C0, C1: overlong */
    __m256i x1_a0 = utf8_ge(x1, 0xA0);
    wrong = _mm256_or_si256(wrong, _mm256_andnot_si256(x1_a0, _mm256_cmpeq_epi8(x0, _mm256_set1_epi8((char)0xE0))));
    wrong = _mm256_or_si256(wrong, _mm256_and_si256(x1_a0, _mm256_cmpeq_epi8(x0, _mm256_set1_epi8((char)0xED))));
    __m256i len = _mm256_sub_epi8(_mm256_sub_epi8(_mm256_set1_epi8(1), two), three);
    if (four_ok) {
        __m256i cont3 = _mm256_cmpeq_epi8(_mm256_and_si256(x3, xc0), x80), x1_90 = utf8_ge(x1, 0x90);
        wrong = _mm256_or_si256(wrong, _mm256_andnot_si256(cont3, four));
        wrong = _mm256_or_si256(wrong, utf8_ge(x0, 0xF5));
        wrong = _mm256_or_si256(wrong, _mm256_andnot_si256(x1_90, _mm256_cmpeq_epi8(x0, _mm256_set1_epi8((char)0xF0))));
        wrong = _mm256_or_si256(wrong, _mm256_and_si256(x1_90, _mm256_cmpeq_epi8(x0, _mm256_set1_epi8((char)0xF4))));
        len = _mm256_sub_epi8(len, four);
    } else {
        wrong = _mm256_or_si256(wrong, four);
    }
    *bad = _mm256_or_si256(*bad, _mm256_andnot_si256(inside, wrong));
    *sum = _mm256_add_epi64(*sum, _mm256_sad_epu8(_mm256_andnot_si256(inside, len), _mm256_setzero_si256()));
    return inside;
}

UTF8_AVX2_TARGET static inline __m256i utf8_load(const uint8_t *p) {
    return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

/* The 16 UCS2 values of the sequences starting at the 16 bytes c (d1, d2:
 * the next bytes), in 16-bit lanes. */
UTF8_AVX2_TARGET static inline __m256i ucs2_values(__m128i c8, __m128i d1_8, __m128i d2_8) {
    __m256i c = _mm256_cvtepu8_epi16(c8), d1 = _mm256_cvtepu8_epi16(d1_8), d2 = _mm256_cvtepu8_epi16(d2_8);
    const __m256i x3f = _mm256_set1_epi16(0x3F);
    __m256i v2 = _mm256_or_si256(_mm256_slli_epi16(_mm256_and_si256(c, _mm256_set1_epi16(0x1F)), 6),
                                 _mm256_and_si256(d1, x3f));
    __m256i v3 = _mm256_or_si256(_mm256_slli_epi16(v2, 6), _mm256_and_si256(d2, x3f)); /* E0-EF: bit 4 is 0 */
    __m256i v = _mm256_blendv_epi8(c, v2, _mm256_cmpgt_epi16(c, _mm256_set1_epi16(0xBF)));
    return _mm256_blendv_epi8(v, v3, _mm256_cmpgt_epi16(c, _mm256_set1_epi16(0xDF)));
}

/* The 8 UCS4 values of the sequences starting at the low 8 bytes of c. */
UTF8_AVX2_TARGET static inline __m256i ucs4_values(__m128i c8, __m128i d1_8, __m128i d2_8, __m128i d3_8) {
    const __m256i x3f = _mm256_set1_epi32(0x3F);
    __m256i c = _mm256_cvtepu8_epi32(c8);
    __m256i e1 = _mm256_and_si256(_mm256_cvtepu8_epi32(d1_8), x3f);
    __m256i e2 = _mm256_and_si256(_mm256_cvtepu8_epi32(d2_8), x3f);
    __m256i e3 = _mm256_and_si256(_mm256_cvtepu8_epi32(d3_8), x3f);
    __m256i v2 = _mm256_or_si256(_mm256_slli_epi32(_mm256_and_si256(c, _mm256_set1_epi32(0x1F)), 6), e1);
    __m256i v3 = _mm256_or_si256(_mm256_slli_epi32(_mm256_and_si256(c, _mm256_set1_epi32(0x0F)), 12),
                                 _mm256_or_si256(_mm256_slli_epi32(e1, 6), e2));
    __m256i v4 = _mm256_or_si256(_mm256_slli_epi32(_mm256_and_si256(c, _mm256_set1_epi32(0x07)), 18),
                                 _mm256_or_si256(_mm256_slli_epi32(e1, 12), _mm256_or_si256(_mm256_slli_epi32(e2, 6), e3)));
    __m256i v = _mm256_blendv_epi8(c, v2, _mm256_cmpgt_epi32(c, _mm256_set1_epi32(0xBF)));
    v = _mm256_blendv_epi8(v, v3, _mm256_cmpgt_epi32(c, _mm256_set1_epi32(0xDF)));
    return _mm256_blendv_epi8(v, v4, _mm256_cmpgt_epi32(c, _mm256_set1_epi32(0xEF)));
}

/* ucs2_values of the 16 sequences starting at q (reads q[0..18)). */
UTF8_AVX2_TARGET static inline __m256i ucs2_values_at(const uint8_t *q) {
    return ucs2_values(_mm_loadu_si128((const __m128i *)(const void *)q),
                       _mm_loadu_si128((const __m128i *)(const void *)(q + 1)),
                       _mm_loadu_si128((const __m128i *)(const void *)(q + 2)));
}

/* Stores the 8 16-bit lanes of v set in mask m at o; returns o past them. */
UTF8_AVX2_TARGET static inline Py_UCS2 *ucs2_gather(__m128i v, unsigned m, Py_UCS2 *o) {
    __m128i ctl = _mm_loadu_si128((const __m128i *)(const void *)utf8_gather16[m]);
    _mm_storeu_si128((__m128i *)(void *)o, _mm_shuffle_epi8(v, ctl));
    return o + __builtin_popcount(m);
}

UTF8_AVX2_TARGET static inline Py_UCS4 *ucs4_gather(__m256i v, unsigned m, Py_UCS4 *o) {
    __m256i idx = _mm256_loadu_si256((const __m256i *)(const void *)utf8_gather32[m]);
    _mm256_storeu_si256((__m256i *)(void *)o, _mm256_permutevar8x32_epi32(v, idx));
    return o + __builtin_popcount(m);
}

/* ucs2_fill and ucs4_fill with AVX2 while 35 bytes are left to read and 32
 * slots to write (each group of 8 stores 8 lanes), then the portable fill
 * from the next start (skipping the continuation bytes of the last
 * sequence, checked here).  ASCII runs of 32 are widened as they are. */
#define UTF8_AVX2_FILL(NAME, CHAR, FOUR)                                                                      \
    UTF8_AVX2_TARGET static Py_ssize_t NAME##_fill_avx2(const uint8_t *s, size_t n, CHAR *out, size_t cap) {   \
        CHAR *o = out, *o_end = out + cap;                                                                    \
        size_t at = 0, ascii = 0;                                                                             \
        __m256i bad = _mm256_setzero_si256(), sum = _mm256_setzero_si256();                                   \
        for (; n >= 35 && at <= n - 35 && o_end - o >= 32; at += 32) {                                        \
            __m256i x0 = utf8_load(s + at);                                                                   \
            if (_mm256_movemask_epi8(x0) == 0) {                                                              \
                NAME##_ascii(x0, o);                                                                          \
                o += 32;                                                                                      \
                ascii += 32;                                                                                  \
                continue;                                                                                     \
            }                                                                                                 \
            __m256i x1 = utf8_load(s + at + 1), x2 = utf8_load(s + at + 2), x3 = utf8_load(s + at + 3);       \
            unsigned starts = ~(unsigned)_mm256_movemask_epi8(utf8_check(x0, x1, x2, x3, FOUR, &bad, &sum));  \
            NAME##_group(s + at, starts, &o);                                                                 \
        }                                                                                                     \
        if (!_mm256_testz_si256(bad, bad)) return -1;                                                         \
        size_t skip = 0;                                                                                      \
        while (skip < 3 && at + skip < n && (s[at + skip] & 0xC0) == 0x80) skip++;                            \
        uint64_t lanes[4];                                                                                    \
        _mm256_storeu_si256((__m256i *)(void *)lanes, sum);                                                   \
        if (ascii + lanes[0] + lanes[1] + lanes[2] + lanes[3] != at + skip) return -1; /* orphan */           \
        Py_ssize_t rest = NAME##_fill(s + at + skip, n - at - skip, o);                                       \
        return rest < 0 ? -1 : (o - out) + rest;                                                              \
    }

/* The 32 ASCII bytes x widened to o. */
UTF8_AVX2_TARGET static inline void ucs1_ascii(__m256i x, Py_UCS1 *o) { _mm256_storeu_si256((__m256i *)(void *)o, x); }

UTF8_AVX2_TARGET static inline void ucs2_ascii(__m256i x, Py_UCS2 *o) {
    _mm256_storeu_si256((__m256i *)(void *)o, _mm256_cvtepu8_epi16(_mm256_castsi256_si128(x)));
    _mm256_storeu_si256((__m256i *)(void *)(o + 16), _mm256_cvtepu8_epi16(_mm256_extracti128_si256(x, 1)));
}

UTF8_AVX2_TARGET static inline void ucs4_ascii(__m256i x, Py_UCS4 *o) {
    __m128i lo = _mm256_castsi256_si128(x), hi = _mm256_extracti128_si256(x, 1);
    _mm256_storeu_si256((__m256i *)(void *)o, _mm256_cvtepu8_epi32(lo));
    _mm256_storeu_si256((__m256i *)(void *)(o + 8), _mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8)));
    _mm256_storeu_si256((__m256i *)(void *)(o + 16), _mm256_cvtepu8_epi32(hi));
    _mm256_storeu_si256((__m256i *)(void *)(o + 24), _mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8)));
}

/* UCS1: the UCS2 values (the scan found no lead above C3, so each is at
 * most 0xFF) gathered and narrowed to bytes. */
UTF8_AVX2_TARGET static inline void ucs1_group(const uint8_t *p, unsigned starts, Py_UCS1 **o) {
    for (int h = 0; h < 2; h++) {
        const uint8_t *q = p + 16 * h;
        __m256i v = ucs2_values_at(q);
        for (int g = 0; g < 2; g++) {
            unsigned m = (starts >> (16 * h + 8 * g)) & 0xFF;
            __m128i half = g ? _mm256_extracti128_si256(v, 1) : _mm256_castsi256_si128(v);
            __m128i ctl = _mm_loadu_si128((const __m128i *)(const void *)utf8_gather16[m]);
            __m128i packed = _mm_packus_epi16(_mm_shuffle_epi8(half, ctl), _mm_setzero_si128());
            _mm_storel_epi64((__m128i *)(void *)*o, packed);
            *o += __builtin_popcount(m);
        }
    }
}

UTF8_AVX2_TARGET static inline void ucs2_group(const uint8_t *p, unsigned starts, Py_UCS2 **o) {
    for (int h = 0; h < 2; h++) {
        const uint8_t *q = p + 16 * h;
        __m256i v = ucs2_values_at(q);
        unsigned m = starts >> (16 * h);
        *o = ucs2_gather(_mm256_castsi256_si128(v), m & 0xFF, *o);
        *o = ucs2_gather(_mm256_extracti128_si256(v, 1), (m >> 8) & 0xFF, *o);
    }
}

UTF8_AVX2_TARGET static inline void ucs4_group(const uint8_t *p, unsigned starts, Py_UCS4 **o) {
    for (int q = 0; q < 4; q++) {
        const uint8_t *b = p + 8 * q;
        __m256i v = ucs4_values(_mm_loadl_epi64((const __m128i *)(const void *)b),
                                _mm_loadl_epi64((const __m128i *)(const void *)(b + 1)),
                                _mm_loadl_epi64((const __m128i *)(const void *)(b + 2)),
                                _mm_loadl_epi64((const __m128i *)(const void *)(b + 3)));
        *o = ucs4_gather(v, (starts >> (8 * q)) & 0xFF, *o);
    }
}

/* utf8_scan with AVX2. */
UTF8_AVX2_TARGET static size_t utf8_scan_avx2(const uint8_t *s, size_t n, unsigned *max_byte) {
    const __m256i last_cont = _mm256_set1_epi8((char)0xBF);
    __m256i top = _mm256_setzero_si256();
    size_t starts = 0, i = 0;
    for (; n >= 32 && i <= n - 32; i += 32) {
        __m256i x = utf8_load(s + i);
        top = _mm256_max_epu8(top, x);
        starts += (size_t)__builtin_popcount((unsigned)_mm256_movemask_epi8(_mm256_cmpgt_epi8(x, last_cont)));
    }
    uint8_t lanes[32], m = 0;
    _mm256_storeu_si256((__m256i *)(void *)lanes, top);
    for (int k = 0; k < 32; k++) m = lanes[k] > m ? lanes[k] : m;
    unsigned rest_top;
    starts += utf8_scan(s + i, n - i, &rest_top);
    *max_byte = rest_top > m ? rest_top : m;
    return starts;
}

UTF8_AVX2_FILL(ucs1, Py_UCS1, 0)
UTF8_AVX2_FILL(ucs2, Py_UCS2, 0)
UTF8_AVX2_FILL(ucs4, Py_UCS4, 1)
#endif

/* The str of valid UTF-8 s[0:n] in canonical form, or NULL with no
 * exception set when s is not valid UTF-8 or there is no AVX2 (NULL with
 * an exception: out of memory).  Without AVX2 the portable fill is no
 * faster than CPython's decoder, so it runs only when tests ask for it
 * (portable). */
static PyObject *utf8_to_str_fast(const uint8_t *s, size_t n, int portable) {
    int simd = 0;
#ifdef UTF8_AVX2
    simd = utf8_use_avx2 && !portable;
#endif
    if (!simd && !portable) return NULL;
    unsigned top;
    size_t chars;
#ifdef UTF8_AVX2
    if (simd) chars = utf8_scan_avx2(s, n, &top);
    else
#endif
        chars = utf8_scan(s, n, &top);
    if (chars <= 1) return NULL; /* CPython's decoder returns its cached "" and 1-character strs */
    Py_UCS4 maxchar = top < 0x80 ? 0x7F : top < 0xC4 ? 0xFF : top < 0xF0 ? 0xFFFF : 0x10FFFF;
    PyObject *str = PyUnicode_New((Py_ssize_t)chars, maxchar);
    if (str == NULL) return NULL;
    if (top < 0x80) { /* ASCII: n == chars */
        memcpy(PyUnicode_1BYTE_DATA(str), s, n);
        return str;
    }
    Py_ssize_t got;
    void *data = PyUnicode_DATA(str);
#ifdef UTF8_AVX2
    if (simd)
        got = maxchar == 0xFF     ? ucs1_fill_avx2(s, n, data, chars)
            : maxchar == 0xFFFF ? ucs2_fill_avx2(s, n, data, chars)
                                : ucs4_fill_avx2(s, n, data, chars);
    else
#endif
        got = maxchar == 0xFF     ? ucs1_fill(s, n, data)
            : maxchar == 0xFFFF ? ucs2_fill(s, n, data)
                                : ucs4_fill(s, n, data);
    if (got == (Py_ssize_t)chars) {
        PyUnicode_WRITE(PyUnicode_KIND(str), data, got, 0); /* the slot past the end */
        return str;
    }
    Py_DECREF(str); /* invalid UTF-8 (a count that differs is one too) */
    return NULL;
}


/* str(s[0:n], "utf-8", errors) given a valid errors name. */
PyObject *sp_utf8_to_str(const uint8_t *s, size_t n, const char *errors, int portable) {
    PyObject *str = utf8_to_str_fast(s, n, portable);
    if (str != NULL || PyErr_Occurred()) return str;
    return PyUnicode_DecodeUTF8((const char *)s, (Py_ssize_t)n, errors);
}

void sp_utf8_str_init(void) {
#ifdef UTF8_AVX2
    utf8_avx2_init();
#endif
}

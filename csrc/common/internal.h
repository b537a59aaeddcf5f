/*
 * common/internal.h - what every C file of the core shares: compiler
 * macros, the size limit, error values (error.c), allocation helpers
 * (alloc.c), UTF-8 (utf8.c) and hashing of short byte strings.  Nothing
 * here is part of the public contract (see include/spbpe.h); nothing here
 * knows about models, encoding or training.
 */
#ifndef SPBPE_INTERNAL_H
#define SPBPE_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "spbpe.h"
#include "common/utf8.h"

#if defined(__GNUC__) || defined(__clang__)
#define SP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define SP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define SP_LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define SP_PRINTF(f, a)
#define SP_UNLIKELY(x) (x)
#define SP_LIKELY(x) (x)
#endif

/* Exported functions are marked; everything else stays hidden. */
#if defined(_WIN32)
#define SP_API
#else
#define SP_API __attribute__((visibility("default")))
#endif

/* Inputs are limited so every offset fits in uint32_t with room to spare. */
#define SP_MAX_INPUT ((size_t)1 << 30)

/* ---------------------------------------------------------------- error.c */

/* Fill err (if not NULL) and return status. */
int sp_fail(spbpe_error *err, int status, size_t offset, const char *fmt, ...) SP_PRINTF(4, 5);
void sp_clear_error(spbpe_error *err);

/* ---------------------------------------------------------------- clock.c */

/* Milliseconds on a monotonic clock (0 if no clock answers): for deadlines. */
uint64_t sp_clock_ms(void);

/* ------------------------------------------------------------- byte tricks */

/* Index of the lowest set bit of x (x != 0). */
static inline uint32_t sp_lowest_bit(uint32_t x) {
#if defined(__GNUC__) || defined(__clang__)
    return (uint32_t)__builtin_ctz(x);
#else
    uint32_t i = 0;
    while (!(x & 1u)) {
        x >>= 1;
        i++;
    }
    return i;
#endif
}

/* Index of the lowest byte of x with its top bit set (x != 0), bytes read
 * little-endian from memory: the first flagged byte of a SWAR test. */
static inline size_t sp_first_flagged_byte(uint64_t x) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (size_t)__builtin_ctzll(x) / 8;
#else
    unsigned char bytes[8];
    memcpy(bytes, &x, 8);
    size_t k = 0;
    while (!(bytes[k] & 0x80)) k++;
    return k;
#endif
}

/* Equality of two short byte strings of the same length n, without a call. */
static inline int sp_bytes_equal(const uint8_t *a, const uint8_t *b, size_t n) {
    while (n >= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y) return 0;
        a += 8;
        b += 8;
        n -= 8;
    }
    if (n >= 4) { /* 4..7 bytes: the first four and the last four */
        uint32_t x0, y0, x1, y1;
        memcpy(&x0, a, 4);
        memcpy(&y0, b, 4);
        memcpy(&x1, a + n - 4, 4);
        memcpy(&y1, b + n - 4, 4);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    while (n--)
        if (*a++ != *b++) return 0;
    return 1;
}

/* --------------------------------------------------------------- alloc.c */

/* Grow *ptr (elements of `size` bytes, capacity *cap) to hold at least
 * `need`; returns 0 on success, -1 on allocation failure or overflow. */
int sp_reserve(void **ptr, size_t *cap, size_t need, size_t size);
/* sp_reserve with the usual case (enough room) inline, for hot loops. */
static inline int sp_reserve_inline(void **ptr, size_t *cap, size_t need, size_t size) {
    return need <= *cap ? 0 : sp_reserve(ptr, cap, need, size);
}

/* Zeroed memory for large, short-lived tables (the trainer's), asking the
 * kernel for huge pages where it offers them on request: faulting in tens
 * of MiB page by page was a tenth of training time.  NULL on failure; free
 * with sp_big_free(p, bytes). */
void *sp_big_calloc(size_t bytes);
void sp_big_free(void *p, size_t bytes);
/* Grow a block from sp_big_calloc (or NULL, *bytes = 0) to hold need
 * bytes, keeping its contents; *bytes is its size.  -1 on failure (the
 * block is untouched). */
int sp_big_grow(void **p, size_t *bytes, size_t need);

/* ---------------------------------------------------------------- hashing */

/* A fast 64-bit hash of short byte strings (wyhash-style mixing), inline
 * because every table lookup starts with it. */
static inline uint64_t sp_hash_tail(const uint8_t *s, size_t n) {
    /* 0..7 bytes, little-endian, without reading past the end */
    uint64_t v = 0;
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, s, 4);
        memcpy(&hi, s + n - 4, 4);
        return (uint64_t)lo | ((uint64_t)hi << 32);
    }
    if (n > 0) v = (uint64_t)s[0] | ((uint64_t)s[n / 2] << 8) | ((uint64_t)s[n - 1] << 16);
    return v;
}

static inline uint64_t sp_hash_mix(uint64_t a, uint64_t b) {
#if defined(__SIZEOF_INT128__)
    /* 64x64 -> 128 multiply, folded: the wyhash mixing step */
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
    uint64_t x = (a ^ (a >> 32)) * b;
    return x ^ (x >> 29);
#endif
}

static inline uint64_t sp_hash_bytes(const uint8_t *s, size_t n) {
    const uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL, k2 = 0x8ebc6af09c88c6e3ULL;
    uint64_t h = k0 ^ (uint64_t)n;
    while (n > 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = sp_hash_mix(h ^ w, k1);
        s += 8;
        n -= 8;
    }
    uint64_t tail;
    if (n == 8) memcpy(&tail, s, 8);
    else tail = sp_hash_tail(s, n);
    return sp_hash_mix(h ^ tail ^ k2, k1 ^ (uint64_t)n);
}

#endif /* SPBPE_INTERNAL_H */

/*
 * error.c - status codes, error messages and small shared helpers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

SP_API const char *spbpe_strerror(int status) {
    switch (status) {
    case SPBPE_OK: return "ok";
    case SPBPE_ERR_NOMEM: return "out of memory";
    case SPBPE_ERR_INVALID_ARGUMENT: return "invalid argument";
    case SPBPE_ERR_MODEL_FORMAT: return "invalid model";
    case SPBPE_ERR_UNSUPPORTED: return "unsupported";
    case SPBPE_ERR_OUT_OF_RANGE: return "out of range";
    case SPBPE_ERR_LIMIT: return "input too large";
    case SPBPE_ERR_INTERNAL: return "internal error";
    default: return "unknown status";
    }
}

int sp_fail(spbpe_error *err, int status, size_t offset, const char *fmt, ...) {
    if (err) {
        err->status = status;
        err->offset = offset;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return status;
}

void sp_clear_error(spbpe_error *err) {
    if (err) {
        err->status = SPBPE_OK;
        err->offset = 0;
        err->message[0] = '\0';
    }
}

int sp_reserve(void **ptr, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need) {
        if (n > ((size_t)-1) / 2) return -1;
        n *= 2;
    }
    if (size && n > ((size_t)-1) / size) return -1;
    void *p = realloc(*ptr, n * size);
    if (!p) return -1;
    *ptr = p;
    *cap = n;
    return 0;
}

static inline uint64_t read_tail(const uint8_t *s, size_t n) {
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

static inline uint64_t mix(uint64_t a, uint64_t b) {
#if defined(__SIZEOF_INT128__)
    /* 64x64 -> 128 multiply, folded: the wyhash mixing step */
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
    uint64_t x = (a ^ (a >> 32)) * b;
    return x ^ (x >> 29);
#endif
}

uint64_t sp_hash_bytes(const uint8_t *s, size_t n) {
    const uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL, k2 = 0x8ebc6af09c88c6e3ULL;
    uint64_t h = k0 ^ (uint64_t)n;
    while (n > 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = mix(h ^ w, k1);
        s += 8;
        n -= 8;
    }
    uint64_t tail;
    if (n == 8) memcpy(&tail, s, 8);
    else tail = read_tail(s, n);
    return mix(h ^ tail ^ k2, k1 ^ (uint64_t)n);
}

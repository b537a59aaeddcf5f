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

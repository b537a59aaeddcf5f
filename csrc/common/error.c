/*
 * error.c - status codes and error values: spbpe_strerror's static texts,
 * and sp_fail, which fills a caller's spbpe_error (when there is one) and
 * returns the status, so every failure is one `return sp_fail(...)`.
 * The library never prints or aborts; errors are only ever values.
 */
#include <stdio.h>
#include <string.h>

#include "common/internal.h"

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

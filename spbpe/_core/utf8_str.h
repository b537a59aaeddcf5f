/* UTF-8 -> str for spbpe._core._pylists (utf8_str.c). */
#ifndef SPBPE_UTF8_STR_H
#define SPBPE_UTF8_STR_H

#include <Python.h>
#include <stddef.h>
#include <stdint.h>

/* Checks the CPU for the SIMD fill; once, at import, before any call. */
void sp_utf8_str_init(void);

/* str(s[0:n], "utf-8", errors) for a valid errors name, built in its final
 * size and kind when s is valid UTF-8 (CPython's decoder otherwise, so
 * every handler behaves as CPython's).  portable: no SIMD (for tests). */
PyObject *sp_utf8_to_str(const uint8_t *s, size_t n, const char *errors, int portable);

#endif

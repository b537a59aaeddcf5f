/*
 * alloc.c - the core's allocation helpers.
 *
 * sp_reserve grows a buffer geometrically (doubling from 16 elements), so
 * buffers kept in a workspace stop allocating once warm; every size is
 * checked for overflow before it is multiplied.  sp_big_* hand out zeroed
 * blocks for the trainer's large, short-lived tables: on Linux blocks of
 * 2 MiB or more are anonymous mappings with a huge-page hint, grown with
 * mremap (which moves pages, not bytes); smaller ones, and other systems,
 * use calloc.  A block's size is passed back to free it (munmap needs it).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mmap's MAP_ANONYMOUS, madvise and mremap under -std=c11 */
#endif
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

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

#if defined(__linux__)
#define SP_HUGE_PAGE ((size_t)2 << 20)

void *sp_big_calloc(size_t bytes) {
    if (bytes < SP_HUGE_PAGE) return calloc(bytes ? bytes : 1, 1);
    size_t len = (bytes + SP_HUGE_PAGE - 1) & ~(SP_HUGE_PAGE - 1);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE); /* a hint: without it, plain pages */
#endif
    return p; /* anonymous mappings start zeroed */
}

void sp_big_free(void *p, size_t bytes) {
    if (!p) return;
    if (bytes < SP_HUGE_PAGE) {
        free(p);
        return;
    }
    munmap(p, (bytes + SP_HUGE_PAGE - 1) & ~(SP_HUGE_PAGE - 1));
}

int sp_big_grow(void **p, size_t *bytes, size_t need) {
    if (need <= *bytes) return 0;
    size_t len = *bytes ? *bytes : SP_HUGE_PAGE;
    while (len < need) {
        if (len > ((size_t)-1) / 2) return -1;
        len *= 2;
    }
    if (*bytes < SP_HUGE_PAGE) { /* the first block: a fresh mapping */
        void *q = sp_big_calloc(len);
        if (!q) return -1;
        if (*p) {
            memcpy(q, *p, *bytes);
            free(*p);
        }
        *p = q;
        *bytes = len;
        return 0;
    }
    /* mremap moves the pages themselves, not their bytes */
    void *q = mremap(*p, *bytes, len, MREMAP_MAYMOVE);
    if (q == MAP_FAILED) return -1;
#ifdef MADV_HUGEPAGE
    madvise(q, len, MADV_HUGEPAGE);
#endif
    *p = q;
    *bytes = len;
    return 0;
}
#else
void *sp_big_calloc(size_t bytes) { return calloc(bytes ? bytes : 1, 1); }
void sp_big_free(void *p, size_t bytes) {
    (void)bytes;
    free(p);
}
int sp_big_grow(void **p, size_t *bytes, size_t need) {
    size_t cap = *bytes;
    if (sp_reserve(p, &cap, need, 1)) return -1;
    *bytes = cap;
    return 0;
}
#endif

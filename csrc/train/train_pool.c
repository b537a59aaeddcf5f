/*
 * train_pool.c - storage for the merge loop's position lists.
 *
 * Hundreds of thousands of pair symbols each keep a growing list of slots;
 * most stay short and are dropped when the pair is merged or its count
 * reaches zero.  Through malloc, growing and freeing them was a tenth of
 * training time.  Here a list's storage is a block of 4 << k slots carved
 * from 2 MiB chunks; freed blocks go on a free list of their size class and
 * are reused first.  Blocks too big for a class come from malloc.
 */
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

#define CHUNK_BYTES ((size_t)2 << 20) /* one huge page where the kernel gives them */

static int class_of(uint32_t cap) {
    int k = 0;
    while (((uint32_t)4 << k) < cap) k++;
    return k;
}

static uint32_t *take(sp_pospool *p, uint32_t cap) {
    if (cap > SP_POOL_MAX_BLOCK) return malloc((size_t)cap * sizeof(uint32_t));
    int k = class_of(cap);
    if (p->free_head[k]) {
        uint32_t *block = p->free_head[k];
        memcpy(&p->free_head[k], block, sizeof(uint32_t *)); /* a free block holds the next one */
        return block;
    }
    size_t bytes = (size_t)cap * sizeof(uint32_t);
    if (p->left < bytes) {
        if (sp_reserve((void **)&p->chunks, &p->cap_chunks, p->n_chunks + 1, sizeof *p->chunks)) return NULL;
        uint8_t *chunk = sp_big_calloc(CHUNK_BYTES);
        if (!chunk) return NULL;
        p->chunks[p->n_chunks++] = chunk;
        p->cur = chunk;
        p->left = CHUNK_BYTES;
    }
    uint32_t *block = (uint32_t *)(void *)p->cur;
    p->cur += bytes;
    p->left -= bytes;
    return block;
}

void sp_pospool_free(sp_pospool *p, uint32_t *block, uint32_t cap) {
    if (!block) return;
    if (cap > SP_POOL_MAX_BLOCK) {
        free(block);
        return;
    }
    int k = class_of(cap);
    memcpy(block, &p->free_head[k], sizeof(uint32_t *));
    p->free_head[k] = block;
}

uint32_t *sp_pospool_grow(sp_pospool *p, uint32_t *block, uint32_t used, uint32_t cap, uint32_t new_cap) {
    if (cap > SP_POOL_MAX_BLOCK) {
        uint32_t *grown = realloc(block, (size_t)new_cap * sizeof(uint32_t));
        return grown;
    }
    uint32_t *grown = take(p, new_cap);
    if (!grown) return NULL;
    if (used) memcpy(grown, block, (size_t)used * sizeof(uint32_t));
    sp_pospool_free(p, block, cap);
    return grown;
}

void sp_pospool_release(sp_pospool *p) {
    for (size_t i = 0; i < p->n_chunks; i++) sp_big_free(p->chunks[i], CHUNK_BYTES);
    free(p->chunks);
    memset(p, 0, sizeof *p);
}

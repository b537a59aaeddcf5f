/*
 * batch/pool.h - the worker pool every batch call runs on (pool.c): the
 * SentencePiece engine's batch (batch.c) and the byte-level engine's
 * (bytelevel/bl_batch.c) both cut their items into ranges and join the
 * outputs here, and differ only in the function each worker runs.
 *
 * A pool belongs to one caller thread at a time (the batch handle that
 * holds it); its workers keep their workspaces, and so their word caches,
 * from one call to the next.
 */
#ifndef SPBPE_BATCH_POOL_H
#define SPBPE_BATCH_POOL_H

#include "common/internal.h"

#define SP_POOL_MAX_WORKERS 64

typedef struct sp_pool_worker {
    spbpe_workspace *ws;          /* this worker's, kept across calls */
    const void *job;              /* the engine's description of the call, the same for every worker */
    const size_t *starts;         /* item i is starts[i] .. starts[i + 1] of the job's input */
    size_t first, last;           /* items [first, last) */
    int32_t *ids; size_t ids_len, ids_cap;     /* encode output */
    uint8_t *text; size_t text_len, text_cap;  /* decode output */
    size_t *counts; size_t counts_cap;         /* per item: ids or bytes written up to its end */
    size_t bad_item;              /* the byte-level encode's first item with a disallowed special, or last */
    int32_t bad_special;
    int status;
    spbpe_error err;
} sp_pool_worker;

typedef struct sp_pool {
    sp_pool_worker workers[SP_POOL_MAX_WORKERS];
    int32_t *ids; size_t ids_cap;              /* joined outputs */
    uint8_t *text; size_t text_cap;
    size_t *offsets; size_t offsets_cap;
} sp_pool;

/* Free what the workers and the joined outputs hold (not the pool itself). */
void sp_pool_release(sp_pool *p);

/* One batch call: check that starts[0..count] do not decrease; cut items
 * [0, count) into ranges of about equal input and run fn on each range's
 * worker (w->job = job), the first on the calling thread, the others on
 * new threads: at most num_threads in all, and no more than one per
 * min_weight of work, where the work is unit times the input's size (a
 * thread costs more than it saves below that).  Then join the workers'
 * ids (into *ids_out) or text (into *text_out; the other is NULL) in item
 * order.  *used (may be NULL) is how many workers ran.  Returns the first
 * worker status that is not SPBPE_OK, with its error in err. */
int sp_pool_batch(sp_pool *p, const void *job, const size_t *starts, size_t count, size_t unit, size_t min_weight,
                  int num_threads, void *(*fn)(void *), spbpe_batch_ids *ids_out, spbpe_batch_text *text_out,
                  int *used, spbpe_error *err);

#endif /* SPBPE_BATCH_POOL_H */

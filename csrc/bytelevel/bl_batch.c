/*
 * bl_batch.c - byte-level encode and decode of many texts in one call, on
 * C threads.
 *
 * The worker pool of the SentencePiece batch (batch/pool.c) cuts the items
 * into one contiguous range per worker, balanced by bytes; each worker
 * runs the single-text call with its own workspace (its word cache stays
 * warm across calls) into its own output, and the outputs are joined in
 * item order, so the result does not depend on the thread count.  The
 * table is only read.
 */
#include <stdlib.h>
#include <string.h>

#include "batch/pool.h"
#include "bytelevel/bytelevel.h"

/* Below this many bytes per extra thread, starting one costs more than it saves. */
#define BL_MIN_BYTES_PER_THREAD (32 * 1024)

struct spbpe_bytelevel_batch {
    sp_pool pool;
};

/* What every worker of one call reads. */
typedef struct bl_job {
    const spbpe_bytelevel *bl;
    const uint8_t *blob;          /* encode input */
    const uint8_t *modes;
    const int32_t *ids;           /* decode input */
} bl_job;

SP_API spbpe_bytelevel_batch *spbpe_bytelevel_batch_new(void) { return calloc(1, sizeof(spbpe_bytelevel_batch)); }

SP_API void spbpe_bytelevel_batch_free(spbpe_bytelevel_batch *b) {
    if (!b) return;
    sp_pool_release(&b->pool);
    free(b);
}

static void *encode_range(void *arg) {
    sp_pool_worker *w = arg;
    const bl_job *job = w->job;
    w->ids_len = 0;
    w->status = SPBPE_OK;
    w->bad_item = w->last;
    spbpe_bytelevel_options opt = {NULL, 0, job->modes, 0};
    for (size_t i = w->first; i < w->last; i++) {
        spbpe_bytelevel_ids out;
        int st = sp_bl_encode(job->bl, job->blob + w->starts[i], w->starts[i + 1] - w->starts[i], &opt, w->ws, &out,
                              &w->err);
        if (st) {
            w->status = st;
            return NULL;
        }
        if (out.disallowed >= 0) {
            w->bad_item = i;
            w->bad_special = out.disallowed;
            for (; i < w->last; i++) w->counts[i - w->first] = w->ids_len; /* the join reads them; the caller does not */
            return NULL;
        }
        if (sp_reserve((void **)&w->ids, &w->ids_cap, w->ids_len + out.count + 1, sizeof *w->ids)) {
            w->status = sp_fail(&w->err, SPBPE_ERR_NOMEM, 0, "out of memory in batch encode");
            return NULL;
        }
        if (out.count) memcpy(w->ids + w->ids_len, out.ids, out.count * sizeof *w->ids);
        w->ids_len += out.count;
        w->counts[i - w->first] = w->ids_len;
    }
    return NULL;
}

static void *decode_range(void *arg) {
    sp_pool_worker *w = arg;
    const bl_job *job = w->job;
    w->text_len = 0;
    w->status = SPBPE_OK;
    w->bad_item = w->last;
    for (size_t i = w->first; i < w->last; i++) {
        int st = sp_bl_decode_append(job->bl, job->ids + w->starts[i], w->starts[i + 1] - w->starts[i], &w->text,
                                     &w->text_len, &w->text_cap, &w->err);
        if (st) {
            if (st == SPBPE_ERR_OUT_OF_RANGE) w->err.offset += w->starts[i];
            w->status = st;
            return NULL;
        }
        w->counts[i - w->first] = w->text_len;
    }
    return NULL;
}

SP_API int spbpe_bytelevel_encode_batch(const spbpe_bytelevel *bl, const uint8_t *blob, const size_t *starts,
                                        size_t count, const uint8_t *modes, int num_threads,
                                        spbpe_bytelevel_batch *b, spbpe_batch_ids *out, size_t *bad_item,
                                        int32_t *bad_special, spbpe_error *err) {
    sp_clear_error(err);
    if (!bl || !b || !out || !starts || !bad_item || !bad_special || (!blob && count && starts[count] > starts[0]))
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    bl_job job = {bl, blob ? blob : (const uint8_t *)"", modes, NULL};
    int used = 0;
    int st = sp_pool_batch(&b->pool, &job, starts, count, 1, BL_MIN_BYTES_PER_THREAD, num_threads, encode_range, out,
                           NULL, &used, err);
    if (st) return st;
    *bad_item = count;
    *bad_special = -1;
    for (int t = 0; t < used; t++) {
        const sp_pool_worker *w = &b->pool.workers[t];
        if (w->bad_item < w->last) {
            *bad_item = w->bad_item;
            *bad_special = w->bad_special;
            break;
        }
    }
    return SPBPE_OK;
}

SP_API int spbpe_bytelevel_decode_batch(const spbpe_bytelevel *bl, const int32_t *ids, const size_t *starts,
                                        size_t count, int num_threads, spbpe_bytelevel_batch *b,
                                        spbpe_batch_text *out, spbpe_error *err) {
    sp_clear_error(err);
    if (!bl || !b || !out || !starts || (!ids && count && starts[count] > starts[0]))
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    bl_job job = {bl, NULL, NULL, ids};
    /* decode work is weighed by ids, about 4 output bytes each */
    return sp_pool_batch(&b->pool, &job, starts, count, 4, BL_MIN_BYTES_PER_THREAD, num_threads, decode_range, NULL,
                         out, NULL, err);
}

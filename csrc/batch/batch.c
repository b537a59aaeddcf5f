/*
 * batch.c - encode and decode many texts in one call, on C threads.
 *
 * The worker pool (pool.c) cuts the items into one contiguous range per
 * worker, balanced by bytes; each worker runs the single-text encoder or
 * decoder with its own workspace (so its word cache stays warm across
 * calls) and appends to its own output.  The outputs are then joined in
 * item order, which makes the result independent of the thread count.
 * The model is only read, so sharing it between workers is safe.
 */
#include <stdlib.h>
#include <string.h>

#include "batch/pool.h"
#include "encode/encode.h"

/* Below this many bytes per extra thread, starting threads costs more
 * than it saves. */
#define SP_MIN_BYTES_PER_THREAD (64 * 1024)

struct spbpe_batch {
    sp_pool pool;
};

SP_API spbpe_batch *spbpe_batch_new(void) { return calloc(1, sizeof(spbpe_batch)); }

SP_API void spbpe_batch_free(spbpe_batch *b) {
    if (!b) return;
    sp_pool_release(&b->pool);
    free(b);
}

int sp_encode_texts(const spbpe_model *m, const uint8_t *blob, const size_t *starts, size_t n, spbpe_workspace *ws,
                    int32_t **ids, size_t *len, size_t *cap, size_t *ends, spbpe_error *err) {
    for (size_t i = 0; i < n; i++) {
        spbpe_encoding enc;
        int st = spbpe_encode(m, blob + starts[i], starts[i + 1] - starts[i], NULL, ws, &enc, err);
        if (st) return st;
        if (sp_reserve((void **)ids, cap, *len + enc.count + 1, sizeof **ids))
            return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory in batch encode");
        if (enc.count) memcpy(*ids + *len, enc.ids, enc.count * sizeof **ids);
        *len += enc.count;
        ends[i] = *len;
    }
    return SPBPE_OK;
}

/* What every worker of one call reads. */
typedef struct batch_job {
    const spbpe_model *model;
    const uint8_t *blob;   /* encode input */
    const int32_t *ids;    /* decode input */
} batch_job;

static void *encode_range(void *arg) {
    sp_pool_worker *w = arg;
    const batch_job *job = w->job;
    w->ids_len = 0;
    w->status = sp_encode_texts(job->model, job->blob, w->starts + w->first, w->last - w->first, w->ws, &w->ids,
                                &w->ids_len, &w->ids_cap, w->counts, &w->err);
    return NULL;
}

static void *decode_range(void *arg) {
    sp_pool_worker *w = arg;
    const batch_job *job = w->job;
    w->text_len = 0;
    w->status = SPBPE_OK;
    for (size_t i = w->first; i < w->last; i++) {
        spbpe_decoded dec;
        int st = spbpe_decode_ids(job->model, job->ids + w->starts[i], w->starts[i + 1] - w->starts[i], w->ws, &dec,
                                  &w->err);
        if (st) {
            if (st == SPBPE_ERR_OUT_OF_RANGE) w->err.offset += w->starts[i];
            w->status = st;
            return NULL;
        }
        if (sp_reserve((void **)&w->text, &w->text_cap, w->text_len + dec.len + 1, 1)) {
            w->status = sp_fail(&w->err, SPBPE_ERR_NOMEM, 0, "out of memory in batch decode");
            return NULL;
        }
        if (dec.len) memcpy(w->text + w->text_len, dec.text, dec.len);
        w->text_len += dec.len;
        w->counts[i - w->first] = w->text_len;
    }
    return NULL;
}

SP_API int spbpe_encode_batch(const spbpe_model *m, const uint8_t *blob, const size_t *starts, size_t count,
                              int num_threads, spbpe_batch *b, spbpe_batch_ids *out, spbpe_error *err) {
    sp_clear_error(err);
    if (!m || !b || !out || !starts || (!blob && count && starts[count] > starts[0]))
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    batch_job job = {m, blob ? blob : (const uint8_t *)"", NULL};
    return sp_pool_batch(&b->pool, &job, starts, count, 1, SP_MIN_BYTES_PER_THREAD, num_threads, encode_range, out,
                         NULL, NULL, err);
}

SP_API int spbpe_decode_batch(const spbpe_model *m, const int32_t *ids, const size_t *starts, size_t count,
                              int num_threads, spbpe_batch *b, spbpe_batch_text *out, spbpe_error *err) {
    sp_clear_error(err);
    if (!m || !b || !out || !starts || (!ids && count && starts[count] > starts[0]))
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    batch_job job = {m, NULL, ids};
    /* decode work is weighed by ids, about 4 output bytes each */
    return sp_pool_batch(&b->pool, &job, starts, count, 4, SP_MIN_BYTES_PER_THREAD, num_threads, decode_range, NULL,
                         out, NULL, err);
}

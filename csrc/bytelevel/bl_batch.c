/*
 * bl_batch.c - byte-level encode and decode of many texts in one call, on
 * C threads.
 *
 * The worker pool of the SentencePiece batch (batch/pool.c) cuts the items
 * into one contiguous range per worker, balanced by bytes; each worker
 * runs the single-text call with its own workspace (its word cache stays
 * warm across calls) into its own output, and the outputs are joined in
 * item order, so the result does not depend on the thread count.  The
 * streamed batch (batch/batch_stream.c) runs the same texts loop on the
 * parts a caller pushes.  The table is only read.
 *
 * A text holding a disallowed special token stops its range (or part):
 * tiktoken raises for the first such text, so nothing after it is needed.
 */
#include <stdlib.h>
#include <string.h>

#include "batch/pool.h"
#include "batch/stream.h"
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

/* The texts encoder of the pool's ranges and of the stream's parts
 * (batch/stream.h); arg is the special modes (NULL: all ordinary). */
static int encode_texts(const void *engine, const void *arg, const uint8_t *blob, const size_t *starts, size_t count,
                        spbpe_workspace *ws, sp_texts_out *out, spbpe_error *err) {
    spbpe_bytelevel_options opt = {NULL, 0, arg, 0};
    for (size_t i = 0; i < count; i++) {
        spbpe_bytelevel_ids one;
        int st = sp_bl_encode(engine, blob + starts[i], starts[i + 1] - starts[i], &opt, ws, &one, err);
        if (st) return st;
        if (one.disallowed >= 0) {
            out->stop = i;
            out->stop_code = one.disallowed;
            for (; i < count; i++) out->ends[i] = out->len; /* joins read them; callers do not */
            return SPBPE_OK;
        }
        if (sp_reserve((void **)&out->ids, &out->cap, out->len + one.count + 1, sizeof *out->ids))
            return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory in batch encode");
        if (one.count) memcpy(out->ids + out->len, one.ids, one.count * sizeof *out->ids);
        out->len += one.count;
        out->ends[i] = out->len;
    }
    return SPBPE_OK;
}

static void *encode_range(void *arg) {
    sp_pool_worker *w = arg;
    const bl_job *job = w->job;
    size_t count = w->last - w->first;
    sp_texts_out out = {w->ids, 0, w->ids_cap, w->counts, count, -1};
    w->status = encode_texts(job->bl, job->modes, job->blob, w->starts + w->first, count, w->ws, &out, &w->err);
    w->ids = out.ids;
    w->ids_cap = out.cap;
    w->ids_len = out.len;
    w->bad_item = w->first + out.stop;
    w->bad_special = out.stop_code;
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

SP_API int spbpe_bytelevel_encode_stream_start(const spbpe_bytelevel *bl, const uint8_t *special_modes,
                                               int num_threads, size_t max_parts, spbpe_workspace *caller_ws,
                                               spbpe_encode_stream *s, spbpe_error *err) {
    sp_clear_error(err);
    if (!bl || !s) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    if (!bl->pretok) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "this table has no pre-tokenizer: pass chunks");
    /* The stream keeps a copy of the modes, so the caller's may go; a
     * table without specials, or no modes, is all ordinary (NULL). */
    size_t n = special_modes ? bl->special_count : 0;
    return sp_stream_start(s, encode_texts, bl, special_modes, n, num_threads, max_parts, caller_ws, err);
}

SP_API int spbpe_bytelevel_encode_stream_next(spbpe_encode_stream *s, spbpe_batch_ids *out, size_t *first_item,
                                              size_t *bad_item, int32_t *bad_special, spbpe_error *err) {
    sp_clear_error(err);
    if (!s || !out || !first_item || !bad_item || !bad_special)
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    return sp_stream_next(s, out, first_item, bad_item, bad_special, err);
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

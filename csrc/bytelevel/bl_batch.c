/*
 * bl_batch.c - byte-level encode and decode of many texts in one call, on
 * C threads.
 *
 * Same scheme as the SentencePiece batch (batch/batch.c): the items are cut
 * into one contiguous range per worker, balanced by bytes; each worker
 * runs the single-text call with its own workspace (its word cache stays
 * warm across calls) into its own output, and the outputs are joined in
 * item order, so the result does not depend on the thread count.  The
 * table is only read.  (batch.c's workers are bound to a spbpe_model; the
 * two could share one worker pool once a second engine needs the same.)
 */
#include <stdlib.h>
#include <string.h>

#include "bytelevel/bytelevel.h"

#if defined(_WIN32)
#define SP_NO_THREADS 1
#else
#include <pthread.h>
#endif

#define BL_MAX_WORKERS 64
/* Below this many bytes per extra thread, starting one costs more than it saves. */
#define BL_MIN_BYTES_PER_THREAD (32 * 1024)

typedef struct bl_worker {
    spbpe_workspace *ws;
    const spbpe_bytelevel *bl;
    const uint8_t *blob;          /* encode input */
    const uint8_t *modes;
    const int32_t *ids_in;        /* decode input */
    const size_t *starts;
    size_t first, last;           /* items [first, last) */
    int32_t *ids; size_t ids_len, ids_cap;
    uint8_t *text; size_t text_len, text_cap;
    size_t *counts; size_t counts_cap;  /* per item: output length after it */
    size_t bad_item;              /* first item with a disallowed special, or last */
    int32_t bad_special;
    int status;
    spbpe_error err;
} bl_worker;

struct spbpe_bytelevel_batch {
    bl_worker workers[BL_MAX_WORKERS];
    int32_t *ids; size_t ids_cap;
    uint8_t *text; size_t text_cap;
    size_t *offsets; size_t offsets_cap;
};

SP_API spbpe_bytelevel_batch *spbpe_bytelevel_batch_new(void) { return calloc(1, sizeof(spbpe_bytelevel_batch)); }

SP_API void spbpe_bytelevel_batch_free(spbpe_bytelevel_batch *b) {
    if (!b) return;
    for (int i = 0; i < BL_MAX_WORKERS; i++) {
        bl_worker *w = &b->workers[i];
        spbpe_workspace_free(w->ws);
        free(w->ids);
        free(w->text);
        free(w->counts);
    }
    free(b->ids);
    free(b->text);
    free(b->offsets);
    free(b);
}

static void *encode_range(void *arg) {
    bl_worker *w = arg;
    w->ids_len = 0;
    w->status = SPBPE_OK;
    w->bad_item = w->last;
    spbpe_bytelevel_options opt = {NULL, 0, w->modes, 0};
    for (size_t i = w->first; i < w->last; i++) {
        spbpe_bytelevel_ids out;
        int st = sp_bl_encode(w->bl, w->blob + w->starts[i], w->starts[i + 1] - w->starts[i], &opt, w->ws, &out,
                              &w->err);
        if (st) {
            w->status = st;
            return NULL;
        }
        if (out.disallowed >= 0) {
            w->bad_item = i;
            w->bad_special = out.disallowed;
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
    bl_worker *w = arg;
    w->text_len = 0;
    w->status = SPBPE_OK;
    w->bad_item = w->last;
    for (size_t i = w->first; i < w->last; i++) {
        int st = sp_bl_decode_append(w->bl, w->ids_in + w->starts[i], w->starts[i + 1] - w->starts[i], &w->text,
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

/* Cut the items into ranges of about equal weight and run fn on each. */
static int run_workers(spbpe_bytelevel_batch *b, const size_t *starts, size_t count, size_t weight, int num_threads,
                       void *(*fn)(void *), int *used, spbpe_error *err) {
    size_t want = num_threads > 1 ? (size_t)num_threads : 1;
    if (want > BL_MAX_WORKERS) want = BL_MAX_WORKERS;
    if (want > count) want = count ? count : 1;
    size_t by_size = weight / BL_MIN_BYTES_PER_THREAD + 1;
    if (want > by_size) want = by_size;
#ifdef SP_NO_THREADS
    want = 1;
#endif
    size_t item = 0;
    int n = 0;
    for (size_t t = 0; t < want; t++) {
        bl_worker *w = &b->workers[t];
        if (!w->ws && !(w->ws = spbpe_workspace_new())) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
        size_t target = starts[0] + ((starts[count] - starts[0]) * (t + 1)) / want;
        size_t end = item;
        if (t + 1 == want) end = count;
        else
            while (end < count && starts[end + 1] <= target) end++;
        if (end == item && item < count && t + 1 < want) end = item + 1;
        w->first = item;
        w->last = end;
        w->starts = starts;
        if (sp_reserve((void **)&w->counts, &w->counts_cap, end - item + 1, sizeof *w->counts))
            return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
        item = end;
        n++;
    }
#ifndef SP_NO_THREADS
    pthread_t tids[BL_MAX_WORKERS];
    int started[BL_MAX_WORKERS] = {0};
    for (int t = 1; t < n; t++) started[t] = pthread_create(&tids[t], NULL, fn, &b->workers[t]) == 0;
    fn(&b->workers[0]);
    for (int t = 1; t < n; t++) {
        if (started[t]) pthread_join(tids[t], NULL);
        else fn(&b->workers[t]); /* no thread: do its share here */
    }
#else
    for (int t = 0; t < n; t++) fn(&b->workers[t]);
#endif
    for (int t = 0; t < n; t++)
        if (b->workers[t].status) {
            if (err) *err = b->workers[t].err;
            return b->workers[t].status;
        }
    *used = n;
    return SPBPE_OK;
}

static void join_workers(spbpe_bytelevel_batch *b, int used, int text, uint8_t *dst, size_t elem) {
    size_t pos = 0, item = 0;
    b->offsets[0] = 0;
    for (int t = 0; t < used; t++) {
        const bl_worker *w = &b->workers[t];
        const void *src = text ? (const void *)w->text : (const void *)w->ids;
        size_t n = text ? w->text_len : w->ids_len;
        if (n) memcpy(dst + pos * elem, src, n * elem);
        for (size_t i = 0; i < w->last - w->first; i++, item++) b->offsets[item + 1] = pos + w->counts[i];
        pos += n;
    }
}

static int check_starts(const size_t *starts, size_t count, spbpe_error *err) {
    for (size_t i = 0; i < count; i++)
        if (starts[i + 1] < starts[i])
            return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, i, "starts must not decrease (item %zu)", i);
    return SPBPE_OK;
}

SP_API int spbpe_bytelevel_encode_batch(const spbpe_bytelevel *bl, const uint8_t *blob, const size_t *starts,
                                        size_t count, const uint8_t *modes, int num_threads,
                                        spbpe_bytelevel_batch *b, spbpe_batch_ids *out, size_t *bad_item,
                                        int32_t *bad_special, spbpe_error *err) {
    sp_clear_error(err);
    if (!bl || !b || !out || !starts || !bad_item || !bad_special || (!blob && count && starts[count] > starts[0]))
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    int st = check_starts(starts, count, err);
    if (st) return st;
    for (int t = 0; t < BL_MAX_WORKERS; t++) {
        b->workers[t].bl = bl;
        b->workers[t].blob = blob ? blob : (const uint8_t *)"";
        b->workers[t].modes = modes;
    }
    int used = 0;
    if ((st = run_workers(b, starts, count, starts[count] - starts[0], num_threads, encode_range, &used, err)))
        return st;
    *bad_item = count;
    *bad_special = -1;
    for (int t = 0; t < used; t++)
        if (b->workers[t].bad_item < b->workers[t].last) {
            *bad_item = b->workers[t].bad_item;
            *bad_special = b->workers[t].bad_special;
            return SPBPE_OK;
        }
    size_t total = 0;
    for (int t = 0; t < used; t++) total += b->workers[t].ids_len;
    if (sp_reserve((void **)&b->ids, &b->ids_cap, total + 1, sizeof *b->ids) ||
        sp_reserve((void **)&b->offsets, &b->offsets_cap, count + 1, sizeof *b->offsets))
        return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory in batch encode");
    join_workers(b, used, 0, (uint8_t *)b->ids, sizeof *b->ids);
    out->ids = b->ids;
    out->offsets = b->offsets;
    out->count = count;
    return SPBPE_OK;
}

SP_API int spbpe_bytelevel_decode_batch(const spbpe_bytelevel *bl, const int32_t *ids, const size_t *starts,
                                        size_t count, int num_threads, spbpe_bytelevel_batch *b,
                                        spbpe_batch_text *out, spbpe_error *err) {
    sp_clear_error(err);
    if (!bl || !b || !out || !starts || (!ids && count && starts[count] > starts[0]))
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    int st = check_starts(starts, count, err);
    if (st) return st;
    for (int t = 0; t < BL_MAX_WORKERS; t++) {
        b->workers[t].bl = bl;
        b->workers[t].ids_in = ids;
    }
    int used = 0;
    if ((st = run_workers(b, starts, count, 4 * (starts[count] - starts[0]), num_threads, decode_range, &used, err)))
        return st;
    size_t total = 0;
    for (int t = 0; t < used; t++) total += b->workers[t].text_len;
    if (sp_reserve((void **)&b->text, &b->text_cap, total + 1, 1) ||
        sp_reserve((void **)&b->offsets, &b->offsets_cap, count + 1, sizeof *b->offsets))
        return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory in batch decode");
    join_workers(b, used, 1, b->text, 1);
    out->text = b->text;
    out->offsets = b->offsets;
    out->count = count;
    return SPBPE_OK;
}

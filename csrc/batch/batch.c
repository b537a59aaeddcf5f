/*
 * batch.c - encode and decode many texts in one call, on C threads.
 *
 * The items are cut into one contiguous range per worker, balanced by
 * bytes; each worker runs the single-text encoder or decoder with its own
 * workspace (so its word cache stays warm across calls) and appends to its
 * own output.  The outputs are then joined in item order, which makes the
 * result independent of the thread count.  The model is only read, so
 * sharing it between workers is safe.
 */
#include <stdlib.h>
#include <string.h>

#include "encode/encode.h"

#if defined(_WIN32)
#define SP_NO_THREADS 1
#else
#include <pthread.h>
#endif

#define SP_MAX_WORKERS 64
/* Below this many bytes per extra thread, starting threads costs more
 * than it saves. */
#define SP_MIN_BYTES_PER_THREAD (64 * 1024)

typedef struct worker {
    spbpe_workspace *ws;
    /* job */
    const spbpe_model *model;
    const uint8_t *blob;        /* encode input */
    const int32_t *ids_in;      /* decode input */
    const size_t *starts;
    size_t first, last;         /* items [first, last) */
    /* output */
    int32_t *ids; size_t ids_len, ids_cap;
    uint8_t *text; size_t text_len, text_cap;
    size_t *counts; size_t counts_cap;   /* per item: ids or bytes this worker produced up to its end */
    int status;
    spbpe_error err;
} worker;

struct spbpe_batch {
    worker workers[SP_MAX_WORKERS];
    int32_t *ids; size_t ids_cap;
    uint8_t *text; size_t text_cap;
    size_t *offsets; size_t offsets_cap;
};

SP_API spbpe_batch *spbpe_batch_new(void) { return calloc(1, sizeof(spbpe_batch)); }

SP_API void spbpe_batch_free(spbpe_batch *b) {
    if (!b) return;
    for (int i = 0; i < SP_MAX_WORKERS; i++) {
        worker *w = &b->workers[i];
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

static void *encode_range(void *arg) {
    worker *w = arg;
    w->ids_len = 0;
    w->status = sp_encode_texts(w->model, w->blob, w->starts + w->first, w->last - w->first, w->ws, &w->ids,
                                &w->ids_len, &w->ids_cap, w->counts, &w->err);
    return NULL;
}

static void *decode_range(void *arg) {
    worker *w = arg;
    w->text_len = 0;
    w->status = SPBPE_OK;
    for (size_t i = w->first; i < w->last; i++) {
        spbpe_decoded dec;
        int st = spbpe_decode_ids(w->model, w->ids_in + w->starts[i], w->starts[i + 1] - w->starts[i], w->ws, &dec,
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

/* Split items into ranges of roughly equal size and run fn on each; the
 * weight (about the bytes of work) decides how many threads pay off. */
static int run_workers(spbpe_batch *b, const size_t *starts, size_t count, size_t weight_total, int num_threads,
                       void *(*fn)(void *), int *used, spbpe_error *err) {
    size_t want = num_threads > 1 ? (size_t)num_threads : 1;
    if (want > SP_MAX_WORKERS) want = SP_MAX_WORKERS;
    if (want > count) want = count ? count : 1;
    size_t by_size = weight_total / SP_MIN_BYTES_PER_THREAD + 1;
    if (want > by_size) want = by_size;
#ifdef SP_NO_THREADS
    want = 1;
#endif
    size_t item = 0;
    int n = 0;
    for (size_t t = 0; t < want; t++) {
        worker *w = &b->workers[t];
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
    pthread_t tids[SP_MAX_WORKERS];
    int started[SP_MAX_WORKERS] = {0};
    for (int t = 1; t < n; t++) started[t] = pthread_create(&tids[t], NULL, fn, &b->workers[t]) == 0;
    fn(&b->workers[0]);
    for (int t = 1; t < n; t++) {
        if (started[t]) pthread_join(tids[t], NULL);
        else fn(&b->workers[t]); /* could not start a thread: do its share here */
    }
#else
    for (int t = 0; t < n; t++) fn(&b->workers[t]);
#endif
    for (int t = 0; t < n; t++) {
        worker *w = &b->workers[t];
        if (w->status) {
            if (err) *err = w->err;
            return w->status;
        }
    }
    *used = n;
    return SPBPE_OK;
}

/* Copy every worker's output (ids, or text when text is set) into dst in
 * item order, and fill b->offsets from the workers' running counts. */
static void join_workers(spbpe_batch *b, int used, int text, uint8_t *dst, size_t elem) {
    size_t pos = 0, item = 0;
    b->offsets[0] = 0;
    for (int t = 0; t < used; t++) {
        const worker *w = &b->workers[t];
        const void *src = text ? (const void *)w->text : (const void *)w->ids;
        size_t n = text ? w->text_len : w->ids_len;
        if (n) memcpy(dst + pos * elem, src, n * elem);
        for (size_t i = 0; i < w->last - w->first; i++, item++) b->offsets[item + 1] = pos + w->counts[i];
        pos += n;
    }
}

static int check_starts(const size_t *starts, size_t count, spbpe_error *err) {
    for (size_t i = 0; i < count; i++)
        if (starts[i + 1] < starts[i]) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, i, "starts must not decrease (item %zu)", i);
    return SPBPE_OK;
}

SP_API int spbpe_encode_batch(const spbpe_model *m, const uint8_t *blob, const size_t *starts, size_t count,
                              int num_threads, spbpe_batch *b, spbpe_batch_ids *out, spbpe_error *err) {
    sp_clear_error(err);
    if (!m || !b || !out || !starts || (!blob && count && starts[count] > starts[0]))
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    int st = check_starts(starts, count, err);
    if (st) return st;
    for (int t = 0; t < SP_MAX_WORKERS; t++) {
        b->workers[t].model = m;
        b->workers[t].blob = blob ? blob : (const uint8_t *)"";
    }
    int used = 0;
    if ((st = run_workers(b, starts, count, starts[count] - starts[0], num_threads, encode_range, &used, err))) return st;
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

SP_API int spbpe_decode_batch(const spbpe_model *m, const int32_t *ids, const size_t *starts, size_t count,
                              int num_threads, spbpe_batch *b, spbpe_batch_text *out, spbpe_error *err) {
    sp_clear_error(err);
    if (!m || !b || !out || !starts || (!ids && count && starts[count] > starts[0]))
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    int st = check_starts(starts, count, err);
    if (st) return st;
    for (int t = 0; t < SP_MAX_WORKERS; t++) {
        b->workers[t].model = m;
        b->workers[t].ids_in = ids;
    }
    int used = 0;
    /* weigh decode work by ids, about 4 output bytes each */
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

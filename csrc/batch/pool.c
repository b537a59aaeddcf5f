/*
 * pool.c - the worker pool of every batch call (pool.h): cut the items
 * into one contiguous range per worker, balanced by input bytes; run the
 * engine's range function on each, the first on the calling thread and the
 * rest on fresh C threads; then join the workers' outputs in item order.
 * Because ranges are contiguous and joined in order, a batch's result does
 * not depend on how many threads ran it.  A thread that cannot be started
 * has its range run on the calling thread instead.
 */
#include <stdlib.h>
#include <string.h>

#include "batch/pool.h"

#if defined(_WIN32)
#define SP_NO_THREADS 1
#else
#include <pthread.h>
#endif

void sp_pool_release(sp_pool *p) {
    for (int i = 0; i < SP_POOL_MAX_WORKERS; i++) {
        sp_pool_worker *w = &p->workers[i];
        spbpe_workspace_free(w->ws);
        free(w->ids);
        free(w->text);
        free(w->counts);
    }
    free(p->ids);
    free(p->text);
    free(p->offsets);
}

static int check_starts(const size_t *starts, size_t count, spbpe_error *err) {
    for (size_t i = 0; i < count; i++)
        if (starts[i + 1] < starts[i])
            return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, i, "starts must not decrease (item %zu)", i);
    return SPBPE_OK;
}

static int run_workers(sp_pool *p, const void *job, const size_t *starts, size_t count, size_t weight,
                       size_t min_weight, int num_threads, void *(*fn)(void *), int *used, spbpe_error *err) {
    size_t want = num_threads > 1 ? (size_t)num_threads : 1;
    if (want > SP_POOL_MAX_WORKERS) want = SP_POOL_MAX_WORKERS;
    if (want > count) want = count ? count : 1;
    size_t by_size = weight / (min_weight ? min_weight : 1) + 1;
    if (want > by_size) want = by_size;
#ifdef SP_NO_THREADS
    want = 1;
#endif
    size_t item = 0;
    int n = 0;
    for (size_t t = 0; t < want; t++) {
        sp_pool_worker *w = &p->workers[t];
        if (!w->ws && !(w->ws = spbpe_workspace_new())) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
        size_t target = starts[0] + ((starts[count] - starts[0]) * (t + 1)) / want;
        size_t end = item;
        if (t + 1 == want) end = count;
        else
            while (end < count && starts[end + 1] <= target) end++;
        if (end == item && item < count && t + 1 < want) end = item + 1;
        w->job = job;
        w->first = item;
        w->last = end;
        w->starts = starts;
        if (sp_reserve((void **)&w->counts, &w->counts_cap, end - item + 1, sizeof *w->counts))
            return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
        item = end;
        n++;
    }
#ifndef SP_NO_THREADS
    pthread_t tids[SP_POOL_MAX_WORKERS];
    int started[SP_POOL_MAX_WORKERS] = {0};
    for (int t = 1; t < n; t++) started[t] = pthread_create(&tids[t], NULL, fn, &p->workers[t]) == 0;
    fn(&p->workers[0]);
    for (int t = 1; t < n; t++) {
        if (started[t]) pthread_join(tids[t], NULL);
        else fn(&p->workers[t]); /* could not start a thread: do its share here */
    }
#else
    for (int t = 0; t < n; t++) fn(&p->workers[t]);
#endif
    for (int t = 0; t < n; t++)
        if (p->workers[t].status) {
            if (err) *err = p->workers[t].err;
            return p->workers[t].status;
        }
    *used = n;
    return SPBPE_OK;
}

/* Join the used workers' ids or text in item order into p->ids or p->text,
 * and fill p->offsets[0..count]. */
static int join_workers(sp_pool *p, int used, int text, size_t count, spbpe_error *err) {
    size_t total = 0;
    for (int t = 0; t < used; t++) total += text ? p->workers[t].text_len : p->workers[t].ids_len;
    if ((text ? sp_reserve((void **)&p->text, &p->text_cap, total + 1, 1)
              : sp_reserve((void **)&p->ids, &p->ids_cap, total + 1, sizeof *p->ids)) ||
        sp_reserve((void **)&p->offsets, &p->offsets_cap, count + 1, sizeof *p->offsets))
        return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory joining a batch");
    uint8_t *dst = text ? p->text : (uint8_t *)p->ids;
    size_t elem = text ? 1 : sizeof *p->ids;
    size_t pos = 0, item = 0;
    p->offsets[0] = 0;
    for (int t = 0; t < used; t++) {
        const sp_pool_worker *w = &p->workers[t];
        const void *src = text ? (const void *)w->text : (const void *)w->ids;
        size_t n = text ? w->text_len : w->ids_len;
        if (n) memcpy(dst + pos * elem, src, n * elem);
        for (size_t i = 0; i < w->last - w->first; i++, item++) p->offsets[item + 1] = pos + w->counts[i];
        pos += n;
    }
    return SPBPE_OK;
}

int sp_pool_batch(sp_pool *p, const void *job, const size_t *starts, size_t count, size_t unit, size_t min_weight,
                  int num_threads, void *(*fn)(void *), spbpe_batch_ids *ids_out, spbpe_batch_text *text_out,
                  int *used, spbpe_error *err) {
    int st = check_starts(starts, count, err), n = 0;
    if (st) return st;
    if ((st = run_workers(p, job, starts, count, unit * (starts[count] - starts[0]), min_weight, num_threads, fn, &n,
                          err)) ||
        (st = join_workers(p, n, text_out != NULL, count, err)))
        return st;
    if (used) *used = n;
    if (text_out) {
        text_out->text = p->text;
        text_out->offsets = p->offsets;
        text_out->count = count;
    } else {
        ids_out->ids = p->ids;
        ids_out->offsets = p->offsets;
        ids_out->count = count;
    }
    return SPBPE_OK;
}

/*
 * batch_stream.c - a batch encode fed and read part by part while it runs.
 *
 * The caller pushes parts (each a blob of texts with their starts) and
 * then reads their ids back in the order pushed.  Background C threads
 * take pushed parts in order and encode each with their own workspace into
 * the part's own buffers.  When the part the caller wants to read is not
 * done, the caller encodes it if nobody has taken it, else the last part
 * nobody has taken instead of waiting, so num_threads threads in all
 * (num_threads - 1 of them in the background) keep the cores busy without
 * a third thread competing.  Taking from the back keeps each thread on
 * about the same parts from one call to the next, so the word cache of
 * each workspace holds the chunks of its parts (taking the next part, the
 * background thread met new chunks on every call of a repeated batch, and
 * spent 1.3-3x the CPU of one thread for ten calls and more).
 *
 * This lets a Python caller overlap the work that needs its interpreter
 * lock with the encoding: it prepares part k + 1 while part k is being
 * encoded, and builds the lists of part k while later parts are.
 *
 * The stream does not know the engine: its start passes a function that
 * encodes one part's texts (stream.h), the SentencePiece engine's below and
 * the byte-level engine's in bytelevel/bl_batch.c.  An engine may stop a
 * part early (the byte-level encode at a text holding a disallowed special
 * token); the reader learns where and why with the part's ids.
 *
 * Parts are handed out under one mutex; there are at most a few thousand
 * per call, so the lock costs nothing measurable and keeps the code
 * simple.  The parts array is sized at _start and never moves while
 * threads run.  A part's buffers are only rewritten by a later stream, so
 * what the reader got stays valid until then.  The engine (a model or a
 * rank table) is only read.
 */
#include <stdlib.h>
#include <string.h>

#include "batch/stream.h"
#include "encode/encode.h"

#if defined(_WIN32)
#define SP_NO_THREADS 1
#else
#include <pthread.h>
#include <unistd.h>
#endif

#define SP_STREAM_MAX_THREADS 64
#define SP_STREAM_MAX_PARTS 65536

typedef struct stream_part {
    const uint8_t *blob;                /* input, owned by the caller until _end */
    const size_t *starts;               /* count + 1 entries */
    size_t count;
    size_t first_item;                  /* items pushed before this part */
    sp_texts_out out;                   /* ids; out.ends is offsets + 1 */
    size_t *offsets; size_t offsets_cap; /* count + 1 entries, into out.ids */
    int taken, done;                    /* written under the lock */
    int status;
    spbpe_error err;
} stream_part;

struct spbpe_encode_stream {
    sp_texts_encoder encode;            /* the engine's, and its arguments */
    const void *engine;
    const void *engine_arg;             /* arg below, or NULL when the start gave none */
    void *arg; size_t arg_cap;          /* the stream's copy of the start's arg */
    stream_part *parts; size_t parts_cap;
    size_t max_parts;                   /* the limit given to _start */
    size_t part_count;                  /* parts pushed */
    size_t next_part;                   /* the next part a background thread takes (skipping taken ones) */
    size_t stolen_lo, stolen_hi;        /* the reader's last run of parts taken from the back */
    size_t next_read;                   /* the next part the reader gets */
    size_t items;                       /* texts pushed */
    int running;                        /* between _start and _end */
    int cancel;                         /* set by _end: threads stop */
    spbpe_workspace *ws[SP_STREAM_MAX_THREADS]; /* [t]: background thread t's; [0] the reader's if it has none */
    spbpe_workspace *reader_ws;         /* the caller's, or ws[0] */
    int threads;                        /* background threads started and not yet joined */
#ifndef SP_NO_THREADS
    pid_t owner;                        /* the process that started them: a forked child has none */
    pthread_t tids[SP_STREAM_MAX_THREADS];
    struct stream_worker { spbpe_encode_stream *s; int index; } args[SP_STREAM_MAX_THREADS];
    pthread_mutex_t lock;
    pthread_cond_t pushed;              /* a part was pushed, or cancel was set */
    pthread_cond_t part_done;
#endif
};

SP_API spbpe_encode_stream *spbpe_encode_stream_new(void) {
    spbpe_encode_stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
#ifndef SP_NO_THREADS
    if (pthread_mutex_init(&s->lock, NULL)) goto fail_lock;
    if (pthread_cond_init(&s->pushed, NULL)) goto fail_pushed;
    if (pthread_cond_init(&s->part_done, NULL)) goto fail_done;
#endif
    return s;
#ifndef SP_NO_THREADS
fail_done:
    pthread_cond_destroy(&s->pushed);
fail_pushed:
    pthread_mutex_destroy(&s->lock);
fail_lock:
    free(s);
    return NULL;
#endif
}

SP_API void spbpe_encode_stream_free(spbpe_encode_stream *s) {
    if (!s) return;
    spbpe_encode_stream_end(s);
    for (size_t k = 0; k < s->parts_cap; k++) {
        free(s->parts[k].out.ids);
        free(s->parts[k].offsets);
    }
    free(s->parts);
    free(s->arg);
    for (int t = 0; t < SP_STREAM_MAX_THREADS; t++) spbpe_workspace_free(s->ws[t]);
#ifndef SP_NO_THREADS
    pthread_cond_destroy(&s->part_done);
    pthread_cond_destroy(&s->pushed);
    pthread_mutex_destroy(&s->lock);
#endif
    free(s);
}

static void encode_part(const spbpe_encode_stream *s, stream_part *p, spbpe_workspace *ws) {
    p->offsets[0] = 0;
    p->out.len = 0;
    p->out.ends = p->offsets + 1;
    p->out.stop = p->count;
    p->out.stop_code = -1;
    p->status = s->encode(s->engine, s->engine_arg, p->blob, p->starts, p->count, ws, &p->out, &p->err);
}

/* The SentencePiece engine's texts encoder: it never stops early. */
static int encode_sp_texts(const void *engine, const void *arg, const uint8_t *blob, const size_t *starts,
                           size_t count, spbpe_workspace *ws, sp_texts_out *out, spbpe_error *err) {
    (void)arg;
    return sp_encode_texts(engine, blob, starts, count, ws, &out->ids, &out->len, &out->cap, out->ends, err);
}

/* The first part nobody has taken, or NULL; under the lock. */
static stream_part *take_front(spbpe_encode_stream *s) {
    while (s->next_part < s->part_count && s->parts[s->next_part].taken) s->next_part++;
    if (s->next_part == s->part_count) return NULL;
    stream_part *p = &s->parts[s->next_part++];
    p->taken = 1;
    return p;
}

/* The last part nobody has taken, just below the run the reader took from
 * the back before (or the last part pushed, starting a new run), else the
 * first; NULL when none is left.  Under the lock; O(1). */
static stream_part *take_back(spbpe_encode_stream *s) {
    size_t k = s->part_count == s->stolen_hi ? s->stolen_lo : s->part_count;
    if (k <= s->next_part || s->parts[k - 1].taken) return take_front(s);
    if (k != s->stolen_lo || s->stolen_hi != s->part_count) s->stolen_hi = k;
    s->stolen_lo = k - 1;
    s->parts[k - 1].taken = 1;
    return &s->parts[k - 1];
}

#ifndef SP_NO_THREADS
static void *stream_worker(void *arg) {
    struct stream_worker *w = arg;
    spbpe_encode_stream *s = w->s;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        stream_part *p = NULL;
        while (!s->cancel && !(p = take_front(s))) pthread_cond_wait(&s->pushed, &s->lock);
        if (s->cancel) break;
        pthread_mutex_unlock(&s->lock);
        encode_part(s, p, s->ws[w->index]);
        pthread_mutex_lock(&s->lock);
        p->done = 1;
        pthread_cond_broadcast(&s->part_done);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}
#endif

int sp_stream_start(spbpe_encode_stream *s, sp_texts_encoder encode, const void *engine, const void *arg,
                    size_t arg_size, int num_threads, size_t max_parts, spbpe_workspace *caller_ws, spbpe_error *err) {
    if (s->running) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "the stream is still running: end it first");
    if (max_parts == 0 || max_parts > SP_STREAM_MAX_PARTS)
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "max_parts must be 1 to %d", SP_STREAM_MAX_PARTS);
    if (max_parts > s->parts_cap) {
        stream_part *grown = realloc(s->parts, max_parts * sizeof *grown);
        if (!grown) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory in batch encode");
        memset(grown + s->parts_cap, 0, (max_parts - s->parts_cap) * sizeof *grown);
        s->parts = grown;
        s->parts_cap = max_parts;
    }
    int want = num_threads < 1 ? 1 : num_threads > SP_STREAM_MAX_THREADS ? SP_STREAM_MAX_THREADS : num_threads;
    for (int t = caller_ws ? 1 : 0; t < want; t++)
        if (!s->ws[t] && !(s->ws[t] = spbpe_workspace_new()))
            return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    if (arg_size) {
        if (sp_reserve(&s->arg, &s->arg_cap, arg_size, 1)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
        memcpy(s->arg, arg, arg_size);
    }
    s->reader_ws = caller_ws ? caller_ws : s->ws[0];
    s->encode = encode;
    s->engine = engine;
    s->engine_arg = arg_size ? s->arg : NULL;
    s->max_parts = max_parts;
    s->part_count = s->next_part = s->next_read = s->items = s->stolen_lo = s->stolen_hi = 0;
    s->cancel = 0;
    s->running = 1;
#ifndef SP_NO_THREADS
    /* Threads that cannot start leave their share to the reader. */
    s->owner = getpid();
    for (int t = 1; t < want; t++) {
        struct stream_worker *w = &s->args[s->threads];
        w->s = s;
        w->index = s->threads + 1;
        if (pthread_create(&s->tids[s->threads], NULL, stream_worker, w) == 0) s->threads++;
    }
#endif
    return SPBPE_OK;
}

SP_API int spbpe_encode_stream_start(const spbpe_model *m, int num_threads, size_t max_parts,
                                     spbpe_workspace *caller_ws, spbpe_encode_stream *s, spbpe_error *err) {
    sp_clear_error(err);
    if (!m || !s) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    return sp_stream_start(s, encode_sp_texts, m, NULL, 0, num_threads, max_parts, caller_ws, err);
}

SP_API int spbpe_encode_stream_push(spbpe_encode_stream *s, const uint8_t *blob, const size_t *starts, size_t count,
                                    spbpe_error *err) {
    sp_clear_error(err);
    if (!s || !starts || (!blob && count && starts[count] > starts[0]))
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    if (!s->running) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "the stream is not started");
    if (s->part_count == s->max_parts)
        return sp_fail(err, SPBPE_ERR_LIMIT, 0, "more than the %zu parts given to start", s->max_parts);
    for (size_t i = 0; i < count; i++)
        if (starts[i + 1] < starts[i])
            return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, i, "starts must not decrease (item %zu)", i);
    /* Only the pusher writes parts[part_count] before publishing it. */
    stream_part *p = &s->parts[s->part_count];
    if (sp_reserve((void **)&p->offsets, &p->offsets_cap, count + 1, sizeof *p->offsets))
        return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory in batch encode");
    p->blob = blob ? blob : (const uint8_t *)"";
    p->starts = starts;
    p->count = count;
    p->first_item = s->items;
    p->taken = p->done = 0;
    p->status = SPBPE_OK;
    s->items += count;
#ifndef SP_NO_THREADS
    pthread_mutex_lock(&s->lock);
    s->part_count++;
    pthread_cond_signal(&s->pushed);
    pthread_mutex_unlock(&s->lock);
#else
    s->part_count++;
#endif
    return SPBPE_OK;
}

int sp_stream_next(spbpe_encode_stream *s, spbpe_batch_ids *out, size_t *first_item, size_t *stop, int32_t *stop_code,
                   spbpe_error *err) {
    if (!s->running || s->next_read >= s->part_count)
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "every part pushed has been read");
    stream_part *p = &s->parts[s->next_read++];
#ifndef SP_NO_THREADS
    pthread_mutex_lock(&s->lock);
    while (!p->done) {
        stream_part *q = p->taken ? take_back(s) : take_front(s); /* p itself when nobody has taken it */
        if (q) {
            pthread_mutex_unlock(&s->lock);
            encode_part(s, q, s->reader_ws);
            pthread_mutex_lock(&s->lock);
            q->done = 1;
        } else {
            pthread_cond_wait(&s->part_done, &s->lock);
        }
    }
    pthread_mutex_unlock(&s->lock);
#else
    while (!p->done) {
        stream_part *q = take_front(s);
        encode_part(s, q, s->reader_ws);
        q->done = 1;
    }
#endif
    if (p->status) {
        if (err) *err = p->err;
        return p->status;
    }
    out->ids = p->out.ids;
    out->offsets = p->offsets;
    out->count = p->count;
    *first_item = p->first_item;
    *stop = p->out.stop;
    *stop_code = p->out.stop_code;
    return SPBPE_OK;
}

SP_API int spbpe_encode_stream_next(spbpe_encode_stream *s, spbpe_batch_ids *out, size_t *first_item,
                                    spbpe_error *err) {
    sp_clear_error(err);
    if (!s || !out || !first_item) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    size_t stop;
    int32_t code;
    int st = sp_stream_next(s, out, first_item, &stop, &code, err);
    if (st == SPBPE_OK && stop < out->count)
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0,
                       "the part stopped early at item %zu: read this stream with its engine's next", stop);
    return st;
}

SP_API void spbpe_encode_stream_end(spbpe_encode_stream *s) {
    if (!s) return;
#ifndef SP_NO_THREADS
    if (s->threads && s->owner == getpid()) {
        pthread_mutex_lock(&s->lock);
        s->cancel = 1;
        pthread_cond_broadcast(&s->pushed);
        pthread_mutex_unlock(&s->lock);
        for (int t = 0; t < s->threads; t++) pthread_join(s->tids[t], NULL);
    }
#endif
    s->threads = 0;
    s->running = 0;
}

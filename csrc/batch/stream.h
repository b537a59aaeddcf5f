/*
 * batch/stream.h - how an engine plugs into the streamed batch
 * (batch_stream.c).  The stream hands out parts and collects their ids; the
 * engine says how one part's texts are encoded.  The SentencePiece engine's
 * spbpe_encode_stream_start (batch_stream.c) and the byte-level engine's
 * spbpe_bytelevel_encode_stream_start (bytelevel/bl_batch.c) differ only in
 * the function and arguments they pass to sp_stream_start.
 */
#ifndef SPBPE_BATCH_STREAM_H
#define SPBPE_BATCH_STREAM_H

#include "common/internal.h"

/* Where one run of an engine's texts encoder writes. */
typedef struct sp_texts_out {
    int32_t *ids; size_t len, cap; /* ids appended here, grown as needed */
    size_t *ends;                  /* count entries: len after each text */
    size_t stop;                   /* the text the engine stopped at (none after it encoded), or count */
    int32_t stop_code;             /* why, engine-defined (the byte-level engine: the disallowed special); -1 */
} sp_texts_out;

/* Encode the texts blob[starts[i] .. starts[i+1]), i < count, with ws,
 * appending to out (the stream has set out->len = 0, stop = count,
 * stop_code = -1).  An engine that stops early at text k sets stop and
 * stop_code and every ends[i] for i >= k to the len it had.  engine and arg
 * are what the engine's start passed to sp_stream_start.  Runs on any of
 * the stream's threads at once: engine and arg are only read. */
typedef int (*sp_texts_encoder)(const void *engine, const void *arg, const uint8_t *blob, const size_t *starts,
                                size_t count, spbpe_workspace *ws, sp_texts_out *out, spbpe_error *err);

/* spbpe_encode_stream_start for any engine: encode runs every part, with
 * engine and a copy of arg_size bytes at arg (kept by the stream until the
 * next start) as its arguments. */
int sp_stream_start(spbpe_encode_stream *s, sp_texts_encoder encode, const void *engine, const void *arg,
                    size_t arg_size, int num_threads, size_t max_parts, spbpe_workspace *caller_ws, spbpe_error *err);

/* spbpe_encode_stream_next, also giving where the part's encoder stopped
 * (*stop == out->count when it did not) and why. */
int sp_stream_next(spbpe_encode_stream *s, spbpe_batch_ids *out, size_t *first_item, size_t *stop, int32_t *stop_code,
                   spbpe_error *err);

#endif /* SPBPE_BATCH_STREAM_H */

/*
 * workspace.c - the per-thread scratch of encode, decode and normalize.
 *
 * A workspace owns growable buffers (normalized text, symbols, heap, ids,
 * spans, the decode output) and the two per-thread shortcuts (word cache,
 * pair memo).  Buffers only grow: after the first calls on texts of a given
 * size, encoding allocates nothing.  One thread at a time uses a workspace;
 * its caches are keyed by the model's generation, so one workspace may
 * serve several models in turn.
 */
#include <stdlib.h>

#include "encode/encode.h"
#include "unigram/unigram.h"

SP_API spbpe_workspace *spbpe_workspace_new(void) { return calloc(1, sizeof(spbpe_workspace)); }

SP_API void spbpe_workspace_free(spbpe_workspace *ws) {
    if (!ws) return;
    sp_normbuf_release(&ws->norm);
    sp_normbuf_release(&ws->denorm);
    free(ws->sym);
    free(ws->heap);
    free(ws->ids);
    free(ws->nb);
    free(ws->ne);
    free(ws->ob);
    free(ws->oe);
    free(ws->stack);
    free(ws->rev);
    free(ws->out);
    free(ws->seg_toks);
    free(ws->seg_starts);
    sp_cache_release(&ws->cache);
    sp_pair_memo_release(&ws->memo);
    sp_uni_scratch_free(ws->uni);
    free(ws);
}

int sp_workspace_grow(spbpe_workspace *ws, const spbpe_model *m, size_t n) {
    /* n = normalized length: at most n symbols, at most n output tokens, and
     * at most 3n heap entries alive (n - 1 initial pairs + 2 per merge). */
    size_t stack_need = 2 * n + 2 + (m->info.has_unused ? (size_t)m->piece_count : 0);
    size_t starts_need = n / 3 + 2; /* a segment starts at a U+2581 (3 bytes) */
    if (n <= ws->sym_cap && 3 * n + 1 <= ws->heap_cap && n <= ws->ids_cap && n <= ws->span_cap &&
        starts_need <= ws->seg_starts_cap &&
        stack_need <= ws->stack_cap && (!m->info.has_unused || ws->rev_cap >= (size_t)m->piece_count))
        return 0; /* the usual case once warm: nothing to grow */
    if (sp_reserve((void **)&ws->sym, &ws->sym_cap, n, sizeof *ws->sym)) return -1;
    if (sp_reserve((void **)&ws->heap, &ws->heap_cap, 3 * n + 1, sizeof *ws->heap)) return -1;
    if (sp_reserve((void **)&ws->ids, &ws->ids_cap, n, sizeof *ws->ids)) return -1;
    size_t cap = ws->span_cap;
    if (sp_reserve((void **)&ws->nb, &cap, n, sizeof(uint32_t))) return -1;
    cap = ws->span_cap;
    if (sp_reserve((void **)&ws->ne, &cap, n, sizeof(uint32_t))) return -1;
    cap = ws->span_cap;
    if (sp_reserve((void **)&ws->ob, &cap, n, sizeof(uint32_t))) return -1;
    cap = ws->span_cap;
    if (sp_reserve((void **)&ws->oe, &cap, n, sizeof(uint32_t))) return -1;
    ws->span_cap = cap;
    /* stack: resegmentation work items (2 per level) + touched UNUSED ids */
    if (sp_reserve((void **)&ws->stack, &ws->stack_cap, stack_need, sizeof *ws->stack)) return -1;
    if (sp_reserve((void **)&ws->seg_starts, &ws->seg_starts_cap, starts_need, sizeof *ws->seg_starts)) return -1;
    if (m->info.has_unused && ws->rev_cap < (size_t)m->piece_count) {
        free(ws->rev);
        ws->rev = calloc((size_t)m->piece_count, sizeof *ws->rev);
        if (!ws->rev) {
            ws->rev_cap = 0;
            return -1;
        }
        ws->rev_cap = (size_t)m->piece_count;
    }
    return 0;
}

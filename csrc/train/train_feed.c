/*
 * train_feed.c - sentences -> distinct words with weighted counts, on one or
 * more threads.
 *
 * Per sentence, in sentencepiece 0.2.3's order (trainer_interface.cc,
 * LoadSentences and SplitSentencesByWhitespace):
 *   1. filters on the raw bytes: empty, longer than max_sentence_length,
 *      containing U+2585 -> skipped;
 *   2. normalize (sp_train_normalize: charsmap, dummy prefix, spaces -> U+2581);
 *   3. cut out every meta piece (longest match at each character start) and
 *      put the boundary byte U+001F in its place (PrefixMatcher::GlobalReplace);
 *   4. replace every pretokenization_delimiter by U+001F (byte-wise, left to
 *      right, non-overlapping, like absl::StrReplaceAll);
 *   5. split into words at U+2581 (SplitIntoWords, four modes) or keep the
 *      sentence whole when split_by_whitespace is false;
 *   6. add each word's frequency to the feeder's word table.
 *
 * sentencepiece counts characters and replaces rare ones by U+2585 before
 * step 5; that replacement maps one code point to one code point, so
 * splitting first and counting characters from the word table (train_bpe.c)
 * gives the same counts.  When U+2581 itself is rare, sentencepiece no longer
 * splits there (it has become U+2585) and we do; the split only removes
 * pairs that have U+2581 on one side (every boundary touches one), and a
 * pair with a rare character is never merged (GetPairSymbol), so the merges
 * are the same either way.
 *
 * Threads: spbpe_trainer_add_lines cuts a large buffer at line breaks into
 * one chunk per feeder; feeder k always takes chunk k, reads the trainer
 * only (the normalizer and meta pieces are immutable) and writes only its
 * own sp_feeder.  sp_feeders_merge folds the tables together in feeder
 * order.  Word order does not affect training, so any thread count gives
 * the same vocabulary.
 *
 * A pretokenizer callable (spbpe_trainer_prepare / _add_prepared) runs
 * between steps 3 and 4: the caller gets the text of step 3 and hands back
 * the chunks joined by U+001F, which go on at step 5.
 *
 * Unigram training (model_type 1) stops after step 4: it keeps each whole
 * normalized sentence, in input order, in the feeder's sp_sentlist (empty
 * ones too, which unigram_train.c drops as sentencepiece does), because its
 * seeds come from whole sentences.  (The 0.2.3 wheel trains a delimiter
 * exactly as a pretokenizer splitting there: U+001F in its place.)
 *
 * Invariants: every word in a table is non-empty valid UTF-8 (the
 * normalizer emits only valid UTF-8, and prepared text is checked); counts
 * are sums of frequencies >= 1.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

static const uint8_t UNK[3] = {0xE2, 0x96, 0x85}; /* SP_UNK_CHAR */

/* Chunks smaller than this are not worth a thread. */
#define MIN_CHUNK ((size_t)1 << 18)

void sp_feeder_release(sp_feeder *f) {
    sp_normbuf_release(&f->nb);
    free(f->scratch);
    free(f->scratch2);
    sp_wordtab_release(&f->words);
    sp_sentlist_release(&f->sents);
    free(f->cpcache);
    memset(f, 0, sizeof *f);
}

/* Make sure feeders 0..len-1 exist. */
static int need_feeders(spbpe_trainer *t, size_t n) {
    if (n <= t->nfeeders) return 0;
    sp_feeder *f = realloc(t->feeders, n * sizeof *f);
    if (!f) return -1;
    memset(f + t->nfeeders, 0, (n - t->nfeeders) * sizeof *f);
    t->feeders = f;
    t->nfeeders = n;
    return 0;
}

static int has_unk_char(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i + 3 <= n) {
        const uint8_t *p = memchr(s + i, UNK[0], n - 2 - i);
        if (!p) return 0;
        if (p[1] == UNK[1] && p[2] == UNK[2]) return 1;
        i = (size_t)(p - s) + 1;
    }
    return 0;
}

/* Split a normalized sentence into words and count them (SplitIntoWords). */
int sp_split_words(const spbpe_trainer *t, sp_wordtab *w, const uint8_t *s, size_t n, int64_t freq) {
    if (!t->split_by_whitespace) return sp_wordtab_add(w, s, n, freq);
    int allow = t->valid.allow_whitespace_only_pieces;
    size_t start = 0, i = 0;
    int in_ws = 0;
    if (t->valid.treat_whitespace_as_suffix) {
        while (i < n) {
            size_t l = sp_utf8_char_len(s + i, n - i);
            int is_ws = l == 3 && sp_is_space_symbol(s + i);
            if (is_ws) {
                in_ws = 1;
            } else if (in_ws) {
                if (allow) {
                    if (i > start && sp_wordtab_add(w, s + start, i - start, freq)) return -1;
                    start = i;
                }
                in_ws = 0;
            }
            i += l;
            if (i < n && is_ws && !allow) {
                if (sp_wordtab_add(w, s + start, i - start, freq)) return -1;
                start = i;
            }
        }
    } else {
        /* A word starts at every U+2581 (E2 is always a lead byte in valid
         * UTF-8); with allow_whitespace_only_pieces, only at one that does
         * not follow another U+2581. */
        while (i + 3 <= n) {
            const uint8_t *p = memchr(s + i, SP_SPACE_LEAD, n - 2 - i);
            if (!p) break;
            i = (size_t)(p - s);
            if (!sp_is_space_symbol(p)) {
                i++;
                continue;
            }
            if (i > start && !(allow && i >= 3 && sp_is_space_symbol(s + i - 3))) {
                if (sp_wordtab_add(w, s + start, i - start, freq)) return -1;
                start = i;
            }
            i += 3;
        }
    }
    if (n > start && sp_wordtab_add(w, s + start, n - start, freq)) return -1;
    return 0;
}

static int grow(uint8_t **p, size_t *cap, size_t need) { return sp_reserve((void **)p, cap, need, 1); }

/* Steps 2-3 for a sentence that passed the filters: *out (xn bytes) is
 * the normalized text with meta pieces cut out, in f's buffers. */
static int prepare(const spbpe_trainer *t, sp_feeder *f, const uint8_t *s, size_t n, const uint8_t **out,
                   size_t *out_len, spbpe_error *err) {
    int st = sp_train_normalize(t, f, s, n, err);
    if (st) return st;
    const uint8_t *x = f->nb.text;
    size_t xn = f->nb.len;
    *out = x;
    *out_len = xn;
    if (xn == 0) return SPBPE_OK;
    /* Cut out meta pieces.  Only bytes that start one (never a UTF-8
     * continuation byte) need a look; a sentence without any is used as is. */
    size_t i0 = 0;
    if (t->cut_single >= 0) { /* the usual case: <unk>, <s> and </s> all start with '<' */
        const uint8_t *hit = memchr(x, t->cut_single, xn);
        i0 = hit ? (size_t)(hit - x) : xn;
    } else {
        while (i0 < xn && !t->cut_any[x[i0]]) i0++;
    }
    if (i0 < xn) {
        if (grow(&f->scratch, &f->scratch_cap, xn)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
        memcpy(f->scratch, x, i0);
        size_t o = i0;
        for (size_t i = i0; i < xn;) {
            uint8_t b = x[i];
            size_t hit = 0;
            for (uint32_t k = t->cut_start[b]; k < t->cut_start[b + 1]; k++) {
                const sp_meta *m = &t->meta[t->cut_idx[k]];
                if (m->len <= xn - i && memcmp(x + i, m->piece, m->len) == 0) {
                    hit = m->len;
                    break;
                }
            }
            if (hit) {
                f->scratch[o++] = SP_BOUNDARY_CHAR;
                i += hit;
            } else {
                size_t l = sp_utf8_char_len(x + i, xn - i);
                memcpy(f->scratch + o, x + i, l);
                o += l;
                i += l;
            }
        }
        *out = f->scratch;
        *out_len = o;
    }
    return SPBPE_OK;
}

/* Steps 4-6 on a prepared text (delimit: apply pretokenization_delimiter). */
static int count_words(const spbpe_trainer *t, sp_feeder *f, const uint8_t *x, size_t xn, int64_t freq, int delimit,
                       spbpe_error *err) {
    /* Pretokenization delimiter -> U+001F. */
    if (delimit && t->delimiter_len && xn) {
        if (grow(&f->scratch2, &f->scratch2_cap, xn)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
        size_t d = t->delimiter_len;
        size_t o = 0;
        for (size_t i = 0; i < xn;) {
            if (d <= xn - i && memcmp(x + i, t->delimiter, d) == 0) {
                f->scratch2[o++] = SP_BOUNDARY_CHAR;
                i += d;
            } else {
                f->scratch2[o++] = x[i++];
            }
        }
        x = f->scratch2;
        xn = o;
    }
    if (t->model_type == 1) { /* whole sentences, empty ones too (unigram_train.c drops them as
                                 sentencepiece does) */
        if (xn && memchr(x, ' ', xn))
            return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "Normalized string must not include spaces");
        if (sp_sentlist_add(&f->sents, x, xn, freq)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
        if (xn) f->kept++;
        return SPBPE_OK;
    }
    if (xn == 0) return SPBPE_OK;
    if (memchr(x, ' ', xn))
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "Normalized string must not include spaces");
    if (sp_split_words(t, &f->words, x, xn, freq)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory counting words");
    f->kept++;
    return SPBPE_OK;
}

/* Steps 2-6 for a sentence that passed the filters. */
static int process(const spbpe_trainer *t, sp_feeder *f, const uint8_t *s, size_t n, int64_t freq,
                   spbpe_error *err) {
    const uint8_t *x;
    size_t xn;
    int st = prepare(t, f, s, n, &x, &xn, err);
    return st ? st : count_words(t, f, x, xn, freq, 1, err);
}

static int keep_sentence(const spbpe_trainer *t, const uint8_t *s, size_t n) {
    return n > 0 && n <= (size_t)t->max_sentence_length && !has_unk_char(s, n);
}

SP_API int spbpe_trainer_add_sentence(spbpe_trainer *t, const uint8_t *s, size_t n, int64_t freq, int *kept,
                                      spbpe_error *err) {
    sp_clear_error(err);
    if (kept) *kept = 0;
    if (!t || (!s && n)) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    if (t->trained) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "the trainer has already trained");
    if (freq < 1) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "frequency must be >= 1");
    if (!keep_sentence(t, s, n)) return SPBPE_OK;
    if (need_feeders(t, 1)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    int st = process(t, &t->feeders[0], s, n, freq, err);
    if (!st && kept) *kept = 1;
    return st;
}

static int valid_utf8(const uint8_t *s, size_t n) {
    for (size_t i = 0, l; i < n; i += l)
        if (!sp_utf8_valid_char(s + i, n - i, &l)) return 0;
    return 1;
}

SP_API int spbpe_trainer_prepare(spbpe_trainer *t, const uint8_t *s, size_t n, const uint8_t **out, size_t *out_len,
                                 int *kept, spbpe_error *err) {
    sp_clear_error(err);
    if (kept) *kept = 0;
    if (!t || !out || !out_len || (!s && n)) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    *out = NULL;
    *out_len = 0;
    if (t->trained) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "the trainer has already trained");
    if (!keep_sentence(t, s, n)) return SPBPE_OK;
    if (need_feeders(t, 1)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    int st = prepare(t, &t->feeders[0], s, n, out, out_len, err);
    if (st) {
        *out = NULL;
        *out_len = 0;
    } else if (kept) {
        *kept = 1;
    }
    return st;
}

SP_API int spbpe_trainer_add_prepared(spbpe_trainer *t, const uint8_t *x, size_t n, int64_t freq, spbpe_error *err) {
    sp_clear_error(err);
    if (!t || (!x && n)) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    if (t->trained) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "the trainer has already trained");
    if (freq < 1) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "frequency must be >= 1");
    if (!valid_utf8(x, n)) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "the pretokenized text is not valid UTF-8");
    if (need_feeders(t, 1)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    return count_words(t, &t->feeders[0], x, n, freq, 0, err);
}

SP_API int spbpe_trainer_normalize(spbpe_trainer *t, const uint8_t *text, size_t len, const uint8_t **out,
                                   size_t *out_len, spbpe_error *err) {
    sp_clear_error(err);
    if (!t || !out || !out_len || (!text && len)) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    *out = NULL;
    *out_len = 0;
    if (need_feeders(t, 1)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    sp_feeder *f = &t->feeders[0];
    int st = sp_train_normalize(t, f, text ? text : (const uint8_t *)"", len, err);
    if (!st && f->nb.len) {
        *out = f->nb.text;
        *out_len = f->nb.len;
    }
    return st;
}

/* One feeder's share of spbpe_trainer_add_lines. */
typedef struct sp_feed_job {
    const spbpe_trainer *trainer;
    sp_feeder *feeder;
    const uint8_t *buf;
    size_t len;
    uint64_t kept;
    int status;
    spbpe_error err;
} sp_feed_job;

static void run_chunk(sp_feed_job *j) {
    size_t i = 0;
    uint64_t k0 = j->feeder->kept;
    while (i < j->len) {
        const uint8_t *nl = memchr(j->buf + i, '\n', j->len - i);
        size_t e = nl ? (size_t)(nl - j->buf) : j->len;
        if (keep_sentence(j->trainer, j->buf + i, e - i)) {
            j->status = process(j->trainer, j->feeder, j->buf + i, e - i, 1, &j->err);
            if (j->status) break;
        }
        i = e + 1;
    }
    j->kept = j->feeder->kept - k0;
}

static void *chunk_thread(void *arg) {
    run_chunk(arg);
    return NULL;
}

SP_API int spbpe_trainer_add_lines(spbpe_trainer *t, const uint8_t *buf, size_t len, uint64_t *kept,
                                   spbpe_error *err) {
    sp_clear_error(err);
    if (kept) *kept = 0;
    if (!t || (!buf && len)) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "NULL argument");
    if (t->trained) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "the trainer has already trained");
    size_t n = (size_t)t->num_threads;
    if (n > len / MIN_CHUNK) n = len / MIN_CHUNK;
    if (n < 1) n = 1;
    if (need_feeders(t, n)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    sp_feed_job jobs[SP_MAX_FEEDERS];
    pthread_t tids[SP_MAX_FEEDERS];
    int started[SP_MAX_FEEDERS];
    size_t start = 0;
    for (size_t k = 0; k < n; k++) {
        /* Chunk k ends after the first line break at or past len*(k+1)/n. */
        size_t end = len;
        if (k + 1 < n) {
            size_t target = len / n * (k + 1);
            if (target < start) target = start;
            const uint8_t *nl = target < len ? memchr(buf + target, '\n', len - target) : NULL;
            end = nl ? (size_t)(nl - buf) + 1 : len;
        }
        memset(&jobs[k], 0, sizeof jobs[k]);
        jobs[k].trainer = t;
        jobs[k].feeder = &t->feeders[k];
        jobs[k].buf = buf + start;
        jobs[k].len = end - start;
        start = end;
    }
    for (size_t k = 1; k < n; k++) started[k] = pthread_create(&tids[k], NULL, chunk_thread, &jobs[k]) == 0;
    run_chunk(&jobs[0]);
    for (size_t k = 1; k < n; k++) {
        if (started[k]) pthread_join(tids[k], NULL);
        else run_chunk(&jobs[k]);  /* no thread: do it here */
    }
    uint64_t total = 0;
    for (size_t k = 0; k < n; k++) {
        total += jobs[k].kept;
        if (jobs[k].status) {
            if (err) *err = jobs[k].err;
            return jobs[k].status;
        }
    }
    if (kept) *kept = total;
    return SPBPE_OK;
}

int sp_feeders_merge(spbpe_trainer *t) {
    if (t->nfeeders == 0) return 0;
    for (size_t k = 0; k < t->nfeeders; k++) { /* unigram: chunks are consecutive, so this keeps input order */
        sp_sentlist *l = &t->feeders[k].sents;
        for (size_t i = 0; i < l->len; i++)
            if (sp_sentlist_add(&t->sents, l->arena + l->off[i], (size_t)(l->off[i + 1] - l->off[i]), l->freq[i]))
                return -1;
        sp_sentlist_release(l);
    }
    size_t k0 = 0;
    if (t->words.len == 0) { /* the usual case: take feeder 0's table whole */
        sp_wordtab_release(&t->words);
        t->words = t->feeders[0].words;
        memset(&t->feeders[0].words, 0, sizeof t->feeders[0].words);
        k0 = 1;
    } /* else words were folded before (train_counts.c) and more came since */
    for (size_t k = k0; k < t->nfeeders; k++) {
        sp_wordtab *w = &t->feeders[k].words;
        for (size_t i = 0; i < w->len; i++) {
            const sp_word *x = &w->words[i];
            if (sp_wordtab_add_hashed(&t->words, w->arena + x->off, x->len, x->hash, x->count)) return -1;
        }
        sp_wordtab_release(w);
    }
    for (size_t k = 0; k < t->nfeeders; k++) sp_feeder_release(&t->feeders[k]);
    return 0;
}

/*
 * unigram_train.c - unigram training from the collected sentences, as
 * sentencepiece 0.2.3's unigram::Trainer::Train, and its
 * FinalizeSentencePieces.
 *
 * Order of work (each step in its own file where it is more than glue):
 *   1. the sentences in input order; empty ones dropped with
 *      LoadSentences' swap-with-last loop (which reorders, and skips the
 *      sentence it swaps in);
 *   2. character_coverage (train_chars.c over the sentences), then every
 *      character that is not kept becomes U+2585;
 *   3. seeds (unigram_seed.c) from the whole sentences.  Their order matters
 *      only through float sums (the M-step adds the expected counts in
 *      piece order), so an order that differs from the wheel's shows up
 *      as every score off by one ulp: with the counts of the first M-steps
 *      dumped, only ties broken longer-in-UTF-8-bytes first gave the
 *      wheel's digamma(sum) on Korean and split_digits text;
 *   4. the pretokenization_delimiter is removed and, with
 *      split_by_whitespace, sentences become distinct words sorted by count
 *      descending then bytes (SplitSentencesByWhitespace);
 *   5. EM (unigram_em.c) num_sub_iterations times, then prune
 *      (unigram_prune.c), until at most vocab_size x 1.1 pieces remain.
 *      The 0.2.3 wheel prunes once more after the last EM round before it
 *      checks the size (the source on GitHub checks first): measured on
 *      botchan with vocabularies that never need pruning, where it still
 *      drops pieces no Viterbi path uses;
 *   6. finalize: the kept characters (those missing get min score +
 *      0.0001 k), then the best-scoring pieces up to vocab_size minus the
 *      meta pieces, sorted by score descending then bytes;
 *   7. meta pieces at their ids around them (train_vocab.c).
 */
#include <stdlib.h>
#include <string.h>

#include "train/unigram_train.h"

static int nomem(spbpe_error *err) { return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory"); }

/* LoadSentences' removal of empty sentences, with its quirk. */
static int drop_empty(const sp_sentlist *in, sp_sentlist *out) {
    size_t n = in->len;
    size_t *idx = malloc((n + 1) * sizeof *idx);
    if (!idx) return -1;
    for (size_t i = 0; i < n; i++) idx[i] = i;
    for (size_t i = 0; i < n; i++) {
        size_t k = idx[i];
        if (in->off[k + 1] == in->off[k]) {
            idx[i] = idx[n - 1];
            n--;
        }
    }
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        size_t k = idx[i];
        if (sp_sentlist_add(out, in->arena + in->off[k], (size_t)(in->off[k + 1] - in->off[k]), in->freq[k])) {
            free(idx);
            return -1;
        }
    }
    free(idx);
    return 0;
}

/* Characters not kept -> U+2585. */
static int replace_rare(const sp_charset *cs, const sp_sentlist *in, sp_sentlist *out) {
    memset(out, 0, sizeof *out);
    uint8_t *buf = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < in->len; i++) {
        const uint8_t *s = in->arena + in->off[i];
        size_t n = (size_t)(in->off[i + 1] - in->off[i]), o = 0;
        if (sp_reserve((void **)&buf, &cap, n * 3 + 4, 1)) goto oom;
        for (size_t j = 0; j < n;) {
            size_t l;
            uint32_t c = sp_utf8_decode(s + j, n - j, &l);
            if (sp_charset_find(cs, c) >= 0) {
                memcpy(buf + o, s + j, l);
                o += l;
            } else {
                o += sp_utf8_encode(SP_UNK_CHAR, buf + o);
            }
            j += l;
        }
        if (sp_sentlist_add(out, buf, o, in->freq[i])) goto oom;
    }
    free(buf);
    return 0;
oom:
    free(buf);
    return -1;
}

/* absl::StrReplaceAll(s, {{delimiter, ""}}) */
static size_t remove_delimiter(const uint8_t *d, size_t dn, const uint8_t *s, size_t n, uint8_t *out) {
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (dn && dn <= n - i && memcmp(s + i, d, dn) == 0) {
            i += dn;
        } else {
            out[o++] = s[i++];
        }
    }
    return o;
}

typedef struct sp_cword {
    const uint8_t *p;
    uint32_t len;
    int64_t count;
} sp_cword;

/* Byte order, a prefix first (std::string's operator<). */
static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

static int by_count_bytes(const void *pa, const void *pb) {
    const sp_cword *a = pa, *b = pb;
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    return cmp_bytes(a->p, a->len, b->p, b->len);
}

/* Step 4: the sentences EM reads. */
static int em_sentences(const spbpe_trainer *t, const sp_sentlist *in, sp_sentlist *out) {
    memset(out, 0, sizeof *out);
    uint8_t *buf = NULL;
    size_t cap = 0;
    sp_wordtab w;
    memset(&w, 0, sizeof w);
    sp_cword *order = NULL;
    for (size_t i = 0; i < in->len; i++) {
        const uint8_t *s = in->arena + in->off[i];
        size_t n = (size_t)(in->off[i + 1] - in->off[i]);
        if (sp_reserve((void **)&buf, &cap, n + 1, 1)) goto oom;
        n = remove_delimiter(t->delimiter, t->delimiter_len, s, n, buf);
        if (!t->split_by_whitespace) {
            if (sp_sentlist_add(out, buf, n, in->freq[i])) goto oom;
        } else if (n && sp_split_words(t, &w, buf, n, in->freq[i])) {
            goto oom;
        }
    }
    if (t->split_by_whitespace) {
        order = malloc((w.len + 1) * sizeof *order);
        if (!order) goto oom;
        for (size_t i = 0; i < w.len; i++)
            order[i] = (sp_cword){w.arena + w.words[i].off, w.words[i].len, w.words[i].count};
        qsort(order, w.len, sizeof *order, by_count_bytes);
        for (size_t i = 0; i < w.len; i++)
            if (sp_sentlist_add(out, order[i].p, order[i].len, order[i].count)) goto oom;
    }
    free(buf);
    free(order);
    sp_wordtab_release(&w);
    return 0;
oom:
    free(buf);
    free(order);
    sp_wordtab_release(&w);
    return -1;
}

/* ---------------------------------------------------------- finalize */

typedef struct sp_fpiece {
    const uint8_t *p;
    uint32_t len;
    float score;
} sp_fpiece;

static int by_bytes(const void *pa, const void *pb) {
    const sp_fpiece *a = pa, *b = pb;
    return cmp_bytes(a->p, a->len, b->p, b->len);
}

static int by_score_bytes(const void *pa, const void *pb) {
    const sp_fpiece *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return by_bytes(pa, pb);
}

static int finalize(spbpe_trainer *t, const sp_charset *cs, const sp_upieces *p, float min_score, spbpe_error *err) {
    size_t np = p->n;
    sp_fpiece *all = malloc((np + 1) * sizeof *all), *byb = malloc((np + 1) * sizeof *byb);
    sp_fpiece *fin = malloc((np + cs->len + 1) * sizeof *fin);
    sp_fpiece *finb = malloc((np + cs->len + 1) * sizeof *finb);
    uint8_t *chars = malloc(cs->len * 4 + 1);
    sp_upieces out;
    uint64_t *off64 = NULL;
    memset(&out, 0, sizeof out);
    int st = SPBPE_OK;
    if (!all || !byb || !fin || !finb || !chars) goto oom;
    for (size_t i = 0; i < np; i++) all[i] = (sp_fpiece){p->arena + p->off[i], p->off[i + 1] - p->off[i], p->score[i]};
    memcpy(byb, all, np * sizeof *byb);
    qsort(byb, np, sizeof *byb, by_bytes);
    size_t nf = 0, co = 0;
    float penalty = 0.0f;
    for (size_t i = 0; i < cs->len; i++) {
        size_t l = sp_utf8_encode(cs->cps[i], chars + co);
        sp_fpiece key = {chars + co, (uint32_t)l, 0.0f};
        co += l;
        const sp_fpiece *hit = bsearch(&key, byb, np, sizeof *byb, by_bytes);
        if (hit) {
            key.score = hit->score;
        } else {
            key.score = min_score + penalty;
            penalty += 0.0001f;
        }
        fin[nf++] = key;
    }
    int64_t budget = (int64_t)t->vocab_size - (int64_t)t->meta_count;
    if (budget <= 0) {
        st = sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "vocab_size must be larger than the meta pieces");
        goto out;
    }
    memcpy(finb, fin, nf * sizeof *finb);
    size_t nreq = nf;
    qsort(finb, nreq, sizeof *finb, by_bytes);
    qsort(all, np, sizeof *all, by_score_bytes);
    for (size_t i = 0; i < np; i++) {
        if (bsearch(&all[i], finb, nreq, sizeof *finb, by_bytes)) continue;
        if ((size_t)budget == nf) break;
        fin[nf++] = all[i];
    }
    qsort(fin, nf, sizeof *fin, by_score_bytes);
    for (size_t i = 0; i < nf; i++)
        if (sp_upieces_add(&out, fin[i].p, fin[i].len, fin[i].score)) goto oom;
    off64 = malloc((out.n + 1) * sizeof *off64);
    if (!off64) goto oom;
    off64[0] = 0;
    for (size_t i = 0; i < out.n; i++) off64[i + 1] = out.off[i + 1];
    st = sp_assemble_scored(t, out.arena, off64, out.score, out.n, err);
    goto out;
oom:
    st = nomem(err);
out:
    free(off64);
    free(all);
    free(byb);
    free(fin);
    free(finb);
    free(chars);
    sp_upieces_release(&out);
    return st;
}

/* ------------------------------------------------------------ driver */

int sp_unigram_train(spbpe_trainer *t, spbpe_error *err) {
    sp_sentlist sents, words;
    sp_upieces pieces, next;
    sp_charset cs;
    memset(&sents, 0, sizeof sents);
    memset(&words, 0, sizeof words);
    memset(&pieces, 0, sizeof pieces);
    memset(&next, 0, sizeof next);
    memset(&cs, 0, sizeof cs);
    float *expected = NULL;
    int st = SPBPE_OK;
    if (drop_empty(&t->sents, &sents)) goto oom;
    sp_sentlist_release(&t->sents);
    if (sents.len == 0) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "no sentences to train on");
    /* 2. coverage over the sentences as they are */
    sp_wordtab_release(&t->words);
    for (size_t i = 0; i < sents.len; i++)
        if (sp_wordtab_add(&t->words, sents.arena + sents.off[i], (size_t)(sents.off[i + 1] - sents.off[i]),
                           sents.freq[i]))
            goto oom;
    st = sp_char_coverage(t, &cs, err);
    sp_wordtab_release(&t->words);
    if (st) goto out;
    {
        sp_sentlist r;
        if (replace_rare(&cs, &sents, &r)) goto oom;
        sp_sentlist_release(&sents);
        sents = r;
    }
    /* 3. seeds */
    st = sp_uni_seeds(t, &sents, &pieces, err);
    if (st) goto out;
    /* 4. */
    if (em_sentences(t, &sents, &words)) goto oom;
    sp_sentlist_release(&sents);
    /* 5. EM and pruning */
    size_t desired = (size_t)((double)t->vocab_size * 1.1);
    atomic_store_explicit(&t->merges_target, (size_t)t->vocab_size, memory_order_relaxed);
    for (;;) {
        for (int32_t it = 0; it < t->sub_iterations; it++) {
            sp_umodel um;
            st = sp_umodel_build(&um, &pieces, err);
            if (st) goto out;
            float *e = realloc(expected, (pieces.n + 1) * sizeof *e);
            if (!e) {
                sp_umodel_release(&um);
                goto oom;
            }
            expected = e;
            float obj = 0.0f;
            st = sp_uni_estep(&um, &words, t->em_threads, t->num_threads, expected, &obj, err);
            sp_umodel_release(&um);
            if (st) goto out;
            if (sp_uni_mstep(&pieces, expected, &next)) goto oom;
            sp_upieces_release(&pieces);
            pieces = next;
            memset(&next, 0, sizeof next);
            if (pieces.n == 0) {
                st = sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "no pieces survived the M-step");
                goto out;
            }
        }
        size_t shown = pieces.n < (size_t)t->vocab_size ? (size_t)t->vocab_size : pieces.n;
        atomic_store_explicit(&t->merges_done, (size_t)t->vocab_size * (size_t)t->vocab_size / shown,
                              memory_order_relaxed);
        sp_umodel um;
        st = sp_umodel_build(&um, &pieces, err);
        if (st) goto out;
        st = sp_uni_prune(&um, &pieces, &words, t->em_threads, desired, t->shrinking_factor, &next, err);
        sp_umodel_release(&um);
        if (st) goto out;
        sp_upieces_release(&pieces);
        pieces = next;
        memset(&next, 0, sizeof next);
        if (pieces.n <= desired) break;
    }
    /* 6-7. */
    {
        float mn = pieces.n ? pieces.score[0] : 0.0f;
        for (size_t i = 1; i < pieces.n; i++) mn = pieces.score[i] < mn ? pieces.score[i] : mn;
        st = finalize(t, &cs, &pieces, mn, err);
    }
    goto out;
oom:
    st = nomem(err);
out:
    free(expected);
    sp_sentlist_release(&sents);
    sp_sentlist_release(&words);
    sp_upieces_release(&pieces);
    sp_upieces_release(&next);
    sp_charset_release(&cs);
    return st;
}

/*
 * train_chars.c - character counting and character_coverage
 * (the second half of LoadSentences in sentencepiece's trainer_interface.cc).
 *
 * Counts come from the word table: the words of a sentence concatenate back
 * to the sentence, so weighted word counts give the same character counts.
 * NUL is never counted.  Entries sort by (is_required, count) descending,
 * then code point ascending; the walk stops once
 *   (float)((double)covered / all) >= (float)character_coverage,
 * which is checked *before* taking each entry, so required characters can be
 * cut too when they alone reach the coverage.  The boundary U+001F is
 * counted but never kept.  Everything not kept becomes U+2585 in train_bpe.c.
 */
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

typedef struct sp_char_entry {
    uint32_t cp;
    int required;
    int64_t count;
} sp_char_entry;

typedef struct sp_char_counts {
    sp_char_entry *entries;
    size_t len, cap;
    uint32_t *keys;     /* cp + 1 */
    uint32_t *idx;
    size_t mask;
    uint32_t *bmp;      /* entry index + 1 of each BMP code point: text is mostly BMP */
} sp_char_counts;

static int char_counts_grow(sp_char_counts *m) {
    size_t ns = m->keys ? (m->mask + 1) * 2 : 256;
    uint32_t *k = calloc(ns, sizeof *k), *v = malloc(ns * sizeof *v);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    for (size_t i = 0; i < m->len; i++) {
        size_t h = (m->entries[i].cp * 0x9E3779B1u) & (ns - 1);
        while (k[h]) h = (h + 1) & (ns - 1);
        k[h] = m->entries[i].cp + 1;
        v[h] = (uint32_t)i;
    }
    free(m->keys);
    free(m->idx);
    m->keys = k;
    m->idx = v;
    m->mask = ns - 1;
    return 0;
}

static sp_char_entry *char_counts_add(sp_char_counts *m, uint32_t cp);

static sp_char_entry *char_counts_get(sp_char_counts *m, uint32_t cp) {
    if (cp < 0x10000 && m->bmp) {
        uint32_t k = m->bmp[cp];
        if (k) return &m->entries[k - 1];
        sp_char_entry *e = char_counts_add(m, cp);
        if (e) m->bmp[cp] = (uint32_t)m->len;
        return e;
    }
    return char_counts_add(m, cp);
}

/* The hashed map: every entry is in it, so char_counts_grow can rebuild it. */
static sp_char_entry *char_counts_add(sp_char_counts *m, uint32_t cp) {
    if ((m->len + 1) * 2 > (m->keys ? m->mask + 1 : 0) && char_counts_grow(m)) return NULL;
    size_t h = (cp * 0x9E3779B1u) & m->mask;
    while (m->keys[h]) {
        if (m->keys[h] == cp + 1) return &m->entries[m->idx[h]];
        h = (h + 1) & m->mask;
    }
    if (sp_reserve((void **)&m->entries, &m->cap, m->len + 1, sizeof *m->entries)) return NULL;
    m->keys[h] = cp + 1;
    m->idx[h] = (uint32_t)m->len;
    m->entries[m->len] = (sp_char_entry){.cp = cp, .required = 0, .count = 0};
    return &m->entries[m->len++];
}

static int cmp_entry(const void *a, const void *b) {
    const sp_char_entry *x = a, *y = b;
    if (x->required != y->required) return x->required ? -1 : 1;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return (x->cp > y->cp) - (x->cp < y->cp);
}

int32_t sp_charset_find(const sp_charset *cs, uint32_t cp) {
    if (!cs->keys) return -1;
    size_t h = (cp * 0x9E3779B1u) & cs->mask;
    while (cs->keys[h]) {
        if (cs->keys[h] == cp + 1) return cs->vals[h];
        h = (h + 1) & cs->mask;
    }
    return -1;
}

void sp_charset_release(sp_charset *cs) {
    free(cs->cps);
    free(cs->counts);
    free(cs->keys);
    free(cs->vals);
    memset(cs, 0, sizeof *cs);
}

static int nomem(spbpe_error *err) { return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory counting characters"); }

int sp_char_coverage(const spbpe_trainer *t, sp_charset *cs, spbpe_error *err) {
    memset(cs, 0, sizeof *cs);
    sp_char_counts m = {0};
    m.bmp = calloc(0x10000, sizeof *m.bmp); /* NULL: everything goes through the hash */
    int st = SPBPE_OK;
    /* Required characters first (they need no occurrence). */
    for (size_t i = 0; i < t->required_chars_len;) {
        size_t l;
        uint32_t c = sp_utf8_decode(t->required_chars + i, t->required_chars_len - i, &l);
        i += l;
        if (c == 0) continue;
        sp_char_entry *e = char_counts_get(&m, c);
        if (!e) goto oom;
        e->required = 1;
    }
    int64_t all = 0;
    for (size_t w = 0; w < t->words.len; w++) {
        const sp_word *wd = &t->words.words[w];
        const uint8_t *s = t->words.arena + wd->off;
        uint32_t last = 0xFFFFFFFFu;
        sp_char_entry *le = NULL;
        for (size_t i = 0; i < wd->len;) {
            size_t l;
            uint32_t c = sp_utf8_decode(s + i, wd->len - i, &l);
            i += l;
            if (c == 0) continue;
            if (c == 0x20) {
                st = sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "space must not be included in normalized string.");
                goto out;
            }
            if (c != last) {
                le = char_counts_get(&m, c);
                if (!le) goto oom;
                last = c;
            }
            le->count += wd->count;
            all += wd->count;
        }
    }
    if (all <= 0) {
        st = sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "no characters to train on (all_chars_count == 0)");
        goto out;
    }
    qsort(m.entries, m.len, sizeof *m.entries, cmp_entry);

    cs->cps = malloc((m.len + 1) * sizeof *cs->cps);
    cs->counts = malloc((m.len + 1) * sizeof *cs->counts);
    if (!cs->cps || !cs->counts) goto oom;
    int64_t acc = 0;
    for (size_t i = 0; i < m.len; i++) {
        if (t->auto_coverage) { /* every character is a symbol; none is required */
            /* U+001F stays unknown: sentencepiece makes it a symbol, but no
             * piece may hold it and, one byte long, it gains nothing alone. */
            if (m.entries[i].cp == SP_BOUNDARY_CHAR) continue;
            cs->cps[cs->len] = m.entries[i].cp;
            cs->counts[cs->len] = m.entries[i].count;
            cs->len++;
            continue;
        }
        float coverage = (float)((double)acc / (double)all);
        if (!t->use_all_vocab && coverage >= t->character_coverage) break;
        acc += m.entries[i].count;
        if (m.entries[i].cp == 0x20) { /* only a required character can be one */
            st = sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "space must not be included in normalized string.");
            goto out;
        }
        if (m.entries[i].cp == SP_BOUNDARY_CHAR) continue;
        cs->cps[cs->len] = m.entries[i].cp;
        cs->counts[cs->len] = m.entries[i].count;
        cs->len++;
    }
    /* Final order of required_chars_: count descending, code point ascending. */
    for (size_t i = 0; i < cs->len; i++) m.entries[i] = (sp_char_entry){.cp = cs->cps[i], .required = 0, .count = cs->counts[i]};
    qsort(m.entries, cs->len, sizeof *m.entries, cmp_entry);
    for (size_t i = 0; i < cs->len; i++) {
        cs->cps[i] = m.entries[i].cp;
        cs->counts[i] = m.entries[i].count;
    }
    size_t ns = 16;
    while (ns < cs->len * 2 + 2) ns *= 2;
    cs->keys = calloc(ns, sizeof *cs->keys);
    cs->vals = malloc(ns * sizeof *cs->vals);
    if (!cs->keys || !cs->vals) goto oom;
    cs->mask = ns - 1;
    for (size_t i = 0; i < cs->len; i++) {
        size_t h = (cs->cps[i] * 0x9E3779B1u) & cs->mask;
        while (cs->keys[h]) h = (h + 1) & cs->mask;
        cs->keys[h] = cs->cps[i] + 1;
        cs->vals[h] = (int32_t)i;
    }
    if (sp_charset_find(cs, SP_UNK_CHAR) >= 0) {
        st = sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "U+2585 must not be a required character");
        goto out;
    }
    if (t->auto_coverage) {
        if (t->meta_count >= (size_t)t->vocab_size)
            st = sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0,
                         "Vocabulary size must be larger than the number of meta pieces (%d vs %zu).",
                         (int)t->vocab_size, t->meta_count);
        goto out;
    }
    if ((t->model_type == 1 || t->model_type == 2) && cs->len + t->meta_count > (size_t)t->vocab_size) {
        /* unigram and bpe (the wheel checks after loading; word/char: no such check) */
        st = sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0,
                     "Vocabulary size is smaller than required_chars. %d vs %zu. Increase vocab_size or "
                     "decrease character_coverage with --character_coverage option.",
                     (int)t->vocab_size, cs->len + t->meta_count);
        goto out;
    }
    goto out;
oom:
    st = nomem(err);
out:
    free(m.entries);
    free(m.keys);
    free(m.idx);
    free(m.bmp);
    if (st) sp_charset_release(cs);
    return st;
}

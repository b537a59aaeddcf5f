/*
 * train_sentences.c - the trainer handle: options, meta pieces (with the
 * cut-out index used by train_feed.c) and the distinct-word table.
 *
 * The word table maps a word's bytes to its weighted count, in insertion
 * order; every word is non-empty valid UTF-8 and every count >= 1.  The
 * sentences -> words pipeline is in train_feed.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

/* ------------------------------------------------------------ word table */

/* A slot keeps the high half of the word's hash beside its index, so a
 * probe that meets another word rarely has to read that word. */
static inline uint64_t word_slot(uint64_t hash, size_t index) { return (hash >> 32) << 32 | (uint64_t)(index + 1); }

static int wordtab_grow(sp_wordtab *t) {
    size_t nslots = t->slots ? (t->mask + 1) * 2 : 1024;
    uint64_t *slots = calloc(nslots, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < t->len; i++) {
        size_t h = (size_t)t->words[i].hash & (nslots - 1);
        while (slots[h]) h = (h + 1) & (nslots - 1);
        slots[h] = word_slot(t->words[i].hash, i);
    }
    free(t->slots);
    t->slots = slots;
    t->mask = nslots - 1;
    return 0;
}

int sp_wordtab_add(sp_wordtab *t, const uint8_t *s, size_t len, int64_t count) {
    return sp_wordtab_add_hashed(t, s, len, sp_hash_bytes(s, len), count);
}

int sp_wordtab_add_hashed(sp_wordtab *t, const uint8_t *s, size_t len, uint64_t hash, int64_t count) {
    if ((t->len + 1) * 2 > (t->slots ? t->mask + 1 : 0) && wordtab_grow(t)) return -1;
    size_t h = (size_t)hash & t->mask;
    uint64_t tag = hash >> 32;
    for (uint64_t slot; (slot = t->slots[h]) != 0; h = (h + 1) & t->mask) {
        if (slot >> 32 != tag) continue;
        sp_word *w = &t->words[(uint32_t)slot - 1];
        if (w->hash == hash && w->len == len && sp_bytes_equal(t->arena + w->off, s, len)) {
            w->count += count;
            return 0;
        }
    }
    if (t->len >= UINT32_MAX - 1 || len > UINT32_MAX) return -1;
    if (sp_reserve_inline((void **)&t->words, &t->cap, t->len + 1, sizeof *t->words)) return -1;
    if (sp_reserve_inline((void **)&t->arena, &t->arena_cap, t->arena_len + len, 1)) return -1;
    memcpy(t->arena + t->arena_len, s, len);
    t->words[t->len] = (sp_word){.hash = hash, .off = t->arena_len, .len = (uint32_t)len, .count = count};
    t->arena_len += len;
    t->slots[h] = word_slot(hash, t->len++);
    return 0;
}

int sp_sentlist_add(sp_sentlist *l, const uint8_t *s, size_t n, int64_t freq) {
    if (l->len == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 1024;
        uint64_t *off = realloc(l->off, (nc + 1) * sizeof *off);
        if (!off) return -1;
        l->off = off;
        int64_t *fq = realloc(l->freq, nc * sizeof *fq);
        if (!fq) return -1;
        l->freq = fq;
        if (l->cap == 0) l->off[0] = 0;
        l->cap = nc;
    }
    if (n && sp_reserve_inline((void **)&l->arena, &l->arena_cap, l->arena_len + n, 1)) return -1;
    if (n) memcpy(l->arena + l->arena_len, s, n);
    l->arena_len += n;
    l->freq[l->len] = freq;
    l->off[++l->len] = l->arena_len;
    return 0;
}

void sp_sentlist_release(sp_sentlist *l) {
    free(l->arena);
    free(l->off);
    free(l->freq);
    memset(l, 0, sizeof *l);
}

void sp_wordtab_release(sp_wordtab *t) {
    free(t->arena);
    free(t->words);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

/* ------------------------------------------------------------ meta pieces */

static uint8_t *dup_bytes(const uint8_t *p, size_t n) {
    uint8_t *d = malloc(n ? n : 1);
    if (d && n) memcpy(d, p, n);
    return d;
}

static int same(const uint8_t *a, size_t al, const uint8_t *b, size_t bl) {
    return al == bl && (al == 0 || memcmp(a, b, al) == 0);
}

static sp_meta *meta_find_id(spbpe_trainer *t, int32_t id) {
    for (size_t i = 0; i < t->meta_count; i++)
        if (t->meta[i].id == id) return &t->meta[i];
    return NULL;
}

static int meta_push(spbpe_trainer *t, const uint8_t *p, size_t n, int32_t id, int type) {
    sp_meta *m = &t->meta[t->meta_count];
    m->piece = dup_bytes(p, n);
    if (!m->piece) return -1;
    m->len = n;
    m->id = id;
    m->type = type;
    t->meta_count++;
    return 0;
}

static int cmp_meta_id(const void *a, const void *b) {
    int32_t x = ((const sp_meta *)a)->id, y = ((const sp_meta *)b)->id;
    return (x > y) - (x < y);
}

/* InitMetaPieces (trainer_interface.cc). */
static int init_meta(spbpe_trainer *t, const spbpe_trainer_options *o, spbpe_error *err) {
    size_t nsym = o->control_symbol_count + o->user_symbol_count;
    t->meta = calloc(4 + nsym + 256, sizeof *t->meta);
    if (!t->meta) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    const uint8_t *up = o->unk_piece;
    size_t ul = o->unk_piece_len;
    struct { int32_t id; const uint8_t *piece; size_t len; const char *name; } fixed[4] = {
        {o->unk_id, o->unk_piece, o->unk_piece_len, "unk"},
        {o->bos_id, o->bos_piece, o->bos_piece_len, "bos"},
        {o->eos_id, o->eos_piece, o->eos_piece_len, "eos"},
        {o->pad_id, o->pad_piece, o->pad_piece_len, "pad"},
    };
    int has_unk = 0;
    for (int i = 0; i < 4; i++) {
        if (fixed[i].id < 0) continue;
        int is_unk = same(fixed[i].piece, fixed[i].len, up, ul);
        if (fixed[i].id >= t->vocab_size || meta_find_id(t, fixed[i].id) || (has_unk && is_unk))
            return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0,
                           "%s_id=%d: id is out of range [0, vocab_size), already used, or the piece "
                           "repeats unk_piece", fixed[i].name, (int)fixed[i].id);
        if (is_unk) has_unk = 1;
        if (meta_push(t, fixed[i].piece, fixed[i].len, fixed[i].id,
                      is_unk ? SPBPE_PIECE_UNKNOWN : SPBPE_PIECE_CONTROL))
            return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    }
    if (!o->byte_fallback && !has_unk)
        return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "%.*s must be defined.", (int)ul, (const char *)up);

    int32_t cursor = 0;
    size_t first_sym = t->meta_count;
    const uint8_t *p = o->symbols;
    for (size_t k = 0; k < nsym + (o->byte_fallback ? 256 : 0); k++) {
        uint8_t buf[8];
        const uint8_t *w;
        size_t n;
        int type;
        if (k < nsym) {
            w = p;
            n = o->symbol_lens[k];
            p += n;
            type = k < o->control_symbol_count ? SPBPE_PIECE_CONTROL : SPBPE_PIECE_USER_DEFINED;
        } else {
            snprintf((char *)buf, sizeof buf, "<0x%02X>", (unsigned)(k - nsym));
            w = buf;
            n = 6;
            type = SPBPE_PIECE_BYTE;
        }
        if (n == 0) return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "empty control or user-defined symbol");
        for (size_t j = first_sym; j < t->meta_count; j++)
            if (same(t->meta[j].piece, t->meta[j].len, w, n))
                return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0,
                               "%.*s is already defined. duplicated symbols are not allowed.", (int)n, (const char *)w);
        if (same(w, n, up, ul))
            return sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0,
                           "%.*s must not be defined with --control_symbols and --user_defined_symbols.",
                           (int)ul, (const char *)up);
        sp_meta *fixed_hit = NULL;
        for (int i = 1; i < 4 && !fixed_hit; i++)
            if (fixed[i].id >= 0 && same(w, n, fixed[i].piece, fixed[i].len)) fixed_hit = meta_find_id(t, fixed[i].id);
        if (fixed_hit) {
            /* sentencepiece only re-types the existing entry.  Keep a
             * zero-length marker so the duplicate check above still sees w. */
            fixed_hit->type = type;
            if (meta_push(t, w, n, -1, 0)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
            continue;
        }
        while (meta_find_id(t, cursor)) cursor++;
        if (meta_push(t, w, n, cursor, type)) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    }
    /* Drop the re-type markers (id -1) and sort by id. */
    size_t kept = 0;
    for (size_t i = 0; i < t->meta_count; i++) {
        if (t->meta[i].id < 0) {
            free(t->meta[i].piece);
            continue;
        }
        t->meta[kept++] = t->meta[i];
    }
    t->meta_count = kept;
    qsort(t->meta, t->meta_count, sizeof *t->meta, cmp_meta_id);
    return SPBPE_OK;
}

/* Index the meta pieces by first byte, longest first, for the cut-out. */
static int init_cut(spbpe_trainer *t, spbpe_error *err) {
    t->cut_idx = malloc((t->meta_count + 1) * sizeof *t->cut_idx);
    if (!t->cut_idx) return sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    uint32_t counts[256] = {0};
    for (size_t i = 0; i < t->meta_count; i++) counts[t->meta[i].piece[0]]++;
    t->cut_start[0] = 0;
    for (int b = 0; b < 256; b++) t->cut_start[b + 1] = t->cut_start[b] + counts[b];
    uint32_t fill[256];
    memcpy(fill, t->cut_start, sizeof fill);
    for (size_t i = 0; i < t->meta_count; i++) t->cut_idx[fill[t->meta[i].piece[0]]++] = (uint32_t)i;
    int distinct = 0;
    t->cut_single = -1;
    for (int b = 0; b < 256; b++) {
        t->cut_any[b] = t->cut_start[b + 1] > t->cut_start[b] && (b < 0x80 || b > 0xBF);
        if (t->cut_any[b]) {
            distinct++;
            t->cut_single = b;
        }
    }
    if (distinct != 1) t->cut_single = -1;
    for (int b = 0; b < 256; b++) {   /* insertion sort by length, descending */
        for (uint32_t i = t->cut_start[b] + 1; i < t->cut_start[b + 1]; i++) {
            uint32_t v = t->cut_idx[i], j = i;
            while (j > t->cut_start[b] && t->meta[t->cut_idx[j - 1]].len < t->meta[v].len) {
                t->cut_idx[j] = t->cut_idx[j - 1];
                j--;
            }
            t->cut_idx[j] = v;
        }
    }
    return SPBPE_OK;
}

/* ------------------------------------------------------------- new / free */

SP_API spbpe_trainer *spbpe_trainer_new(const spbpe_trainer_options *o, spbpe_error *err) {
    sp_clear_error(err);
    if (!o) {
        sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "options is NULL");
        return NULL;
    }
    const char *bad = NULL;
    if (o->vocab_size <= 0) bad = "vocab_size must be > 0";
    else if (!(o->character_coverage >= 0.98f && o->character_coverage <= 1.0f)) bad = "character_coverage must be in [0.98, 1]";
    else if (o->max_sentencepiece_length < 1 || o->max_sentencepiece_length > 512) bad = "max_sentencepiece_length must be in [1, 512]";
    else if (o->max_sentence_length < 10 || o->max_sentence_length > 1073741824) bad = "max_sentence_length must be in [10, 1073741824]";
    else if (!o->unk_piece_len || !o->bos_piece_len || !o->eos_piece_len || !o->pad_piece_len) bad = "unk/bos/eos/pad pieces must not be empty";
    else if (!o->escape_whitespaces) bad = "BPE training requires escape_whitespaces=true";
    else if (o->model_type == 1 && (o->seed_sentencepiece_size < 1 || o->num_sub_iterations < 1 ||
                                    !(o->shrinking_factor > 0.0f && o->shrinking_factor < 1.0f)))
        bad = "seed_sentencepiece_size, num_sub_iterations and shrinking_factor are out of range";
    if (bad) {
        sp_fail(err, SPBPE_ERR_INVALID_ARGUMENT, 0, "%s", bad);
        return NULL;
    }
    spbpe_trainer *t = calloc(1, sizeof *t);
    if (!t) {
        sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
        return NULL;
    }
    t->vocab_size = o->vocab_size;
    t->num_threads = o->num_threads < 1 ? 1 : o->num_threads > SP_MAX_FEEDERS ? SP_MAX_FEEDERS : o->num_threads;
    t->character_coverage = o->character_coverage;
    t->max_sentence_length = o->max_sentence_length;
    t->split_by_whitespace = o->split_by_whitespace != 0;
    t->hard_vocab_limit = o->hard_vocab_limit != 0;
    t->auto_coverage = o->auto_character_coverage != 0;
    t->em_threads = o->em_threads < 1 ? 1 : o->em_threads > 1024 ? 1024 : o->em_threads;
    t->seed_size = o->seed_sentencepiece_size;
    t->shrinking_factor = o->shrinking_factor;
    t->sub_iterations = o->num_sub_iterations;
    t->input_tsv = o->input_tsv != 0;
    t->valid = (sp_valid_opts){
        .max_piece_chars = o->max_sentencepiece_length,
        .split_by_unicode_script = o->split_by_unicode_script != 0,
        .split_by_number = o->split_by_number != 0,
        .split_by_whitespace = o->split_by_whitespace != 0,
        .split_digits = o->split_digits != 0,
        .treat_whitespace_as_suffix = o->treat_whitespace_as_suffix != 0,
        .allow_whitespace_only_pieces = o->allow_whitespace_only_pieces != 0,
        .bmp_script = NULL,
    };
    t->model_type = o->model_type == 1 || o->model_type == 3 || o->model_type == 4 ? o->model_type : 2;
    t->use_all_vocab = (t->model_type == 3 || t->model_type == 4) && o->use_all_vocab;
    if (t->model_type == 3) { /* the word trainer splits with SplitIntoWords' defaults */
        t->split_by_whitespace = 1;
        t->valid.treat_whitespace_as_suffix = 0;
        t->valid.allow_whitespace_only_pieces = 0;
    }
    int st = SPBPE_OK;
    t->required_chars = dup_bytes(o->required_chars, o->required_chars_len);
    t->required_chars_len = o->required_chars_len;
    t->delimiter = dup_bytes(o->pretokenization_delimiter, o->pretokenization_delimiter_len);
    t->delimiter_len = o->pretokenization_delimiter_len;
    if (!t->required_chars || !t->delimiter) st = sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory");
    if (!st) st = init_meta(t, o, err);
    if (!st) st = init_cut(t, err);
    if (!st)
        st = sp_normalizer_init(&t->nz, o->charsmap, o->charsmap_len, o->add_dummy_prefix,
                                o->remove_extra_whitespaces, 1, o->treat_whitespace_as_suffix, err);
    if (!st) sp_train_norm_init(t);
    if (st) {
        spbpe_trainer_free(t);
        return NULL;
    }
    return t;
}

SP_API void spbpe_trainer_free(spbpe_trainer *t) {
    if (!t) return;
    for (size_t i = 0; i < t->meta_count; i++) free(t->meta[i].piece);
    free(t->meta);
    free(t->cut_idx);
    free(t->required_chars);
    free(t->delimiter);
    sp_normalizer_release(&t->nz);
    for (size_t i = 0; i < t->nfeeders; i++) sp_feeder_release(&t->feeders[i]);
    free(t->feeders);
    sp_wordtab_release(&t->words);
    sp_sentlist_release(&t->sents);
    free(t->out_arena);
    free(t->out_off);
    free(t->out_len);
    free(t->out_score);
    free(t->out_type);
    free(t->ser_pieces);
    free(t->ser_vocab);
    free(t);
}

/*
 * train/train_internal.h - declarations shared by every C file of the BPE
 * trainer (train/train_*.c) and by tests/c/test_vsum.c.  Nothing here is
 * part of the public contract (see include/spbpe.h).
 *
 * Data flow: sentences -> normalize -> cut meta pieces -> pretokenize ->
 * split into words -> sp_wordtab (distinct word -> weighted count).  Memory
 * is proportional to the distinct words, never to the corpus.  Training
 * (train_bpe.c) reads only the word table.
 */
#ifndef SPBPE_TRAINER_INTERNAL_H
#define SPBPE_TRAINER_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>
#include <stddef.h>

#include "model/normalizer.h"
#include "model/script_table.h"

#define SP_UNK_CHAR 0x2585u      /* "\xe2\x96\x85", rare characters in training */
#define SP_BOUNDARY_CHAR 0x1Fu   /* meta-piece cut-outs and pretokenization */

/* The options that decide piece validity (IsValidSentencePiece). */
typedef struct sp_valid_opts {
    int max_piece_chars;
    int split_by_unicode_script;
    int split_by_number;
    int split_by_whitespace;
    int split_digits;
    int treat_whitespace_as_suffix;
    int allow_whitespace_only_pieces;
    const uint8_t *bmp_script;   /* sp_script_fill_bmp's table while training, else NULL */
} sp_valid_opts;

/* train_piece_valid.c: IsValidSentencePiece on the code points cps[0..n). */
int sp_piece_valid(const sp_valid_opts *o, const uint32_t *cps, size_t n);

/* What the validity rules need to know of a valid piece to judge it joined
 * to another one, without reading either again (train_piece_valid.c). */
enum {
    SP_VS_ALL_WS = 1,           /* every character is U+2581 */
    SP_VS_WS_FIRST = 2,         /* U+2581 at position 0 */
    SP_VS_WS_REST = 4,          /* U+2581 at a position > 0 */
    SP_VS_WS_LAST = 8,          /* U+2581 at the last position */
    SP_VS_WS_BEFORE_LAST = 16,  /* U+2581 before the last position */
    SP_VS_DIGIT = 32            /* a decimal digit */
};
#define SP_VS_SCRIPT_NONE 254   /* no character that sets the script context */
#define SP_VS_SCRIPT_ANY 255
typedef struct sp_vsum {
    uint8_t flags;
    uint8_t script_in;          /* script of the first character that sets the context */
    uint8_t script_out;         /* the context after the last character, read alone */
} sp_vsum;
sp_vsum sp_vsum_char(const sp_valid_opts *o, uint32_t cp);
/* Is a + b valid (a and b valid, nchars their total length)?  Same answer
 * as sp_piece_valid on the joined code points. */
int sp_vsum_join_valid(const sp_valid_opts *o, sp_vsum a, sp_vsum b, size_t nchars);
sp_vsum sp_vsum_join(sp_vsum a, sp_vsum b);

/* ------------------------------------------------------------ word table */

typedef struct sp_word {
    uint64_t hash;
    uint64_t off;       /* bytes in sp_wordtab.arena */
    uint32_t len;
    int64_t count;      /* sum of sentence frequencies */
} sp_word;

typedef struct sp_wordtab {
    uint8_t *arena;
    size_t arena_len, arena_cap;
    sp_word *words;
    size_t len, cap;    /* words in use, room */
    uint64_t *slots;    /* hash's high 32 bits << 32 | word index + 1; 0 = empty; size mask + 1 */
    size_t mask;
} sp_wordtab;

int sp_wordtab_add(sp_wordtab *t, const uint8_t *s, size_t len, int64_t count);
/* As sp_wordtab_add with hash = sp_hash_bytes(s, len) already known. */
int sp_wordtab_add_hashed(sp_wordtab *t, const uint8_t *s, size_t len, uint64_t hash, int64_t count);
void sp_wordtab_release(sp_wordtab *t);

/* -------------------------------------------- sentences (unigram input) */

/* Normalized sentences in input order with their frequencies, for the
 * unigram trainer, which needs whole sentences (its seed pieces come from
 * a suffix array over them) and their order (ties between seeds). */
typedef struct sp_sentlist {
    uint8_t *arena;
    size_t arena_len, arena_cap;
    uint64_t *off;      /* sentence i is arena[off[i] .. off[i + 1]) */
    int64_t *freq;
    size_t len, cap;    /* sentences, room (off has room for cap + 1) */
} sp_sentlist;

int sp_sentlist_add(sp_sentlist *l, const uint8_t *s, size_t n, int64_t freq);
void sp_sentlist_release(sp_sentlist *l);

/* ------------------------------------------------------------ feeders */

#define SP_MAX_FEEDERS 64

/* The input state of one feeding thread (train_feed.c): its scratch
 * buffers and its own word table, merged into the trainer's at train time
 * in feeder order.  Training does not depend on the order of the words, so
 * the result is the same for every thread count. */
typedef struct sp_feeder {
    sp_normbuf nb;                       /* normalized sentence */
    uint8_t *scratch;                    /* cut/pretokenized sentence */
    size_t scratch_cap;
    uint8_t *scratch2;
    size_t scratch2_cap;
    sp_wordtab words;
    sp_sentlist sents;                   /* unigram: the normalized sentences, in order */
    uint64_t kept;                       /* sentences that reached the table */
    uint64_t *cpcache;                   /* train_normalize.c memo, BMP; lazy */
} sp_feeder;

void sp_feeder_release(sp_feeder *f);

/* ------------------------------------------------------------ meta pieces */

typedef struct sp_meta {
    uint8_t *piece;     /* owned */
    size_t len;
    int32_t id;
    int type;           /* SPBPE_PIECE_* */
} sp_meta;

/* ------------------------------------------------------------- the handle */

struct spbpe_trainer {
    int32_t vocab_size;
    float character_coverage;
    int32_t max_sentence_length;
    int split_by_whitespace;
    int hard_vocab_limit;
    int auto_coverage;                   /* auto_character_coverage */
    int model_type;                      /* 1 = unigram, 2 = BPE, 3 = word, 4 = char (TrainerSpec.ModelType) */
    int use_all_vocab;                   /* word/char: no coverage cut, no vocabulary cut */
    sp_valid_opts valid;
    uint8_t *required_chars;             /* owned UTF-8 */
    size_t required_chars_len;
    uint8_t *delimiter;                  /* owned; pretokenization_delimiter */
    size_t delimiter_len;

    sp_meta *meta;                       /* sorted by id */
    size_t meta_count;
    /* cut-out matcher: meta pieces whose first byte is b are
     * cut_idx[cut_start[b] .. cut_start[b+1]), longest first. */
    uint32_t cut_start[257];
    uint32_t *cut_idx;
    uint8_t cut_any[256];                /* b starts a meta piece and is not a UTF-8 trail byte */
    int cut_single;                      /* the one such byte when there is only one, else -1 */

    sp_normalizer nz;                    /* immutable once built: shared by the feeders */
    uint64_t norm_ascii[128];            /* train_normalize.c memo for ASCII */
    uint8_t norm_copy[128];              /* ASCII bytes the normalizer copies as is */
    uint8_t space_copy;                  /* the same for ' ' (then escaped and squeezed) */
    uint8_t printable_copy;              /* every byte 0x21-0x7E has norm_copy 1 or 2 */
    int num_threads;                     /* feeding threads, 1..SP_MAX_FEEDERS */
    sp_feeder *feeders;                  /* up to num_threads, created on demand */
    size_t nfeeders;

    sp_wordtab words;                    /* all feeders' words (sp_feeders_merge) */
    /* unigram only */
    int32_t em_threads;                  /* sentencepiece's num_threads: the E/prune partition */
    int32_t seed_size;                   /* seed_sentencepiece_size */
    float shrinking_factor;
    int32_t sub_iterations;              /* num_sub_iterations */
    int input_tsv;                       /* input_format=tsv: seeds see each sentence twice */
    sp_sentlist sents;                   /* all feeders' sentences, in input order */
    int trained;
    atomic_size_t merges_done;           /* merges so far, for spbpe_trainer_progress (another thread reads) */
    atomic_size_t merges_target;         /* the most merges this run can make; 0 before the merge loop */

    /* Results (spbpe_trainer_train). */
    uint8_t *out_arena;
    size_t out_arena_len, out_arena_cap;
    uint64_t *out_off;
    uint32_t *out_len;
    float *out_score;
    int32_t *out_type;
    size_t out_count, out_cap;
    uint8_t *ser_pieces, *ser_vocab;     /* spbpe_trainer_serialize's output */
    size_t ser_pieces_len, ser_vocab_len;
};

/* ------------------------------------------------------ train_chars.c */

/* The kept alphabet (required_chars_ of sentencepiece) in final order:
 * count descending, code point ascending. */
typedef struct sp_charset {
    uint32_t *cps;
    int64_t *counts;
    size_t len;
    uint32_t *keys;     /* open addressing: code point + 1, 0 = empty */
    int32_t *vals;      /* index into cps */
    size_t mask;
} sp_charset;

/* Count characters over the word table, apply character_coverage (float32
 * comparison, required_chars first, U+001F never kept) and check the
 * vocabulary budget. */
int sp_char_coverage(const struct spbpe_trainer *t, sp_charset *cs, spbpe_error *err);
/* Index of cp in cs->cps, or -1 when cp is not kept. */
int32_t sp_charset_find(const sp_charset *cs, uint32_t cp);
void sp_charset_release(sp_charset *cs);

/* ------------------------------------------------ train_bpe.c symbols */

/* 64 bytes, the fields the merge loop touches for every neighbour first:
 * symbols are read at random, and one cache line per symbol is what it
 * costs (pair counts dominate training time on large vocabularies). */
typedef struct sp_sym {
    int64_t freq;
    uint32_t *pos;        /* slots of its left half, in recorded order */
    uint32_t npos, cappos;
    uint8_t accepted;     /* merged, or dropped as a duplicate string */
    uint8_t pending;
    uint8_t unk;
    uint8_t vflags;       /* sp_vsum of the symbol, in the padding */
    int32_t left, right;  /* halves of a pair symbol; -1 for characters */
    uint32_t off;         /* string in the merge arena (below 4 GiB) */
    uint32_t len;         /* bytes */
    uint16_t nchars;      /* code points (max_sentencepiece_length <= 512) */
    uint8_t script_in, script_out;
    uint64_t prefix;      /* first 8 bytes, big-endian, zero padded */
    int64_t inheap;       /* freq of its newest queue entry, -1 = none */
} sp_sym;

/* train_auto_coverage.c: the final pieces (symbol ids into final, at most
 * nmerged + cs->n) of an auto_character_coverage run from its nmerged merges
 * (with the counts they had when chosen) and budget free ids. */
int sp_auto_coverage_select(const sp_charset *cs, const sp_sym *syms, const uint8_t *arena,
                            const int32_t *merged, const int64_t *merged_freq, size_t nmerged, size_t budget,
                            int32_t *final, size_t *nfinal, spbpe_error *err);

/* ------------------------------------------------------- train_pool.c */

/* Blocks of up to this many slots come from the pool (size classes 4 << k,
 * k < SP_POOL_CLASSES); bigger ones from malloc. */
#define SP_POOL_CLASSES 15
#define SP_POOL_MAX_BLOCK ((uint32_t)4 << (SP_POOL_CLASSES - 1))

typedef struct sp_pospool {
    uint32_t *free_head[SP_POOL_CLASSES]; /* freed blocks per class, linked through their first bytes */
    uint8_t **chunks;
    size_t n_chunks, cap_chunks;
    uint8_t *cur;                         /* unused rest of the newest chunk */
    size_t left;
} sp_pospool;

/* A block of new_cap slots holding the first `used` of block (cap slots),
 * which is given back; NULL when out of memory (block is then untouched). */
uint32_t *sp_pospool_grow(sp_pospool *p, uint32_t *block, uint32_t used, uint32_t cap, uint32_t new_cap);
void sp_pospool_free(sp_pospool *p, uint32_t *block, uint32_t cap);
void sp_pospool_release(sp_pospool *p);

/* ------------------------------------------------------ train_queue.c */

#define SP_QBUCKETS 4096

typedef struct sp_qentry {
    int64_t freq;         /* snapshot at push */
    uint64_t prefix;
    int32_t sym;
    uint32_t nchars;
} sp_qentry;

typedef struct sp_bucket {
    int32_t *ids;
    size_t len, cap;
} sp_bucket;

typedef struct sp_queue {
    sp_qentry *heap;      /* entries with freq >= level */
    size_t len, cap;
    int64_t level;
    sp_bucket *buckets;   /* [SP_QBUCKETS]: entries with 0 < freq < level */
    size_t top;           /* no bucket above this one holds entries */
} sp_queue;

int sp_queue_init(sp_queue *q);
void sp_queue_release(sp_queue *q);
/* Queue syms[s] at its current freq (and record it as s's inheap). */
int sp_queue_push(sp_queue *q, sp_sym *syms, const uint8_t *arena, int32_t s);
/* Empty the queue, then queue ids[0..n) in one heap. */
int sp_queue_build(sp_queue *q, sp_sym *syms, const uint8_t *arena, const int32_t *ids, size_t n);
/* 1 with the best entry in *out, 0 when empty, -1 out of memory. */
int sp_queue_pop(sp_queue *q, const sp_sym *syms, const uint8_t *arena, sp_qentry *out);

/* train_vocab.c: the results from n final pieces given as bytes with their
 * scores (piece i is arena[off[i] .. off[i+1])), meta pieces at their ids;
 * duplicate and hard_vocab_limit checks as sp_assemble. */
int sp_assemble_scored(struct spbpe_trainer *t, const uint8_t *arena, const uint64_t *off, const float *score,
                       size_t n, spbpe_error *err);

/* train_vocab.c: the pieces of a word or char model, in final order, with
 * their counts; sp_assemble_logfreq scores each logf(count) - logf(sum) in
 * float32 (word_model_trainer.cc, char_model_trainer.cc), sets vocab_size
 * with use_all_vocab, and lays them out as sp_assemble_scored. */
typedef struct sp_piece_list {
    uint8_t *arena;
    size_t arena_len, arena_cap;
    uint64_t *off;      /* len + 1 entries once anything is added */
    int64_t *count;
    size_t len, cap;
} sp_piece_list;
int sp_piece_list_add(sp_piece_list *l, const uint8_t *p, size_t n, int64_t count);
void sp_piece_list_release(sp_piece_list *l);
int sp_assemble_logfreq(struct spbpe_trainer *t, const sp_piece_list *l, uint64_t sum, spbpe_error *err);

/* train_word.c, train_char_model.c: the word and char model trainers (after coverage). */
int sp_train_word(struct spbpe_trainer *t, const sp_charset *cs, spbpe_error *err);
int sp_train_char(struct spbpe_trainer *t, const sp_charset *cs, spbpe_error *err);

/* train_normalize.c: sp_normalize without alignment, into f->nb.text. */
void sp_train_norm_init(struct spbpe_trainer *t);
int sp_train_normalize(const struct spbpe_trainer *t, sp_feeder *f, const uint8_t *in, size_t n,
                       spbpe_error *err);

/* train_feed.c: move every feeder's words into t->words. */
int sp_feeders_merge(struct spbpe_trainer *t);

/* train_vocab.c: append one final piece to the results. */
int sp_trainer_emit(struct spbpe_trainer *t, const uint8_t *p, size_t len, float score, int type);
/* train_vocab.c: the results from the final symbols (merged, then chars). */
int sp_assemble(struct spbpe_trainer *t, const sp_sym *syms, const uint8_t *arena, const int32_t *final,
                size_t nfinal, spbpe_error *err);

/* train_feed.c: split a normalized sentence into words (SplitIntoWords, or
 * the whole sentence without split_by_whitespace) and count them in w. */
int sp_split_words(const struct spbpe_trainer *t, sp_wordtab *w, const uint8_t *s, size_t n, int64_t freq);

/* ------------------------------------------------ unigram (unigram_*.c) */

/* A unigram vocabulary while training: piece i is arena[off[i] .. off[i+1])
 * with score[i] (sentencepiece's TrainerModel::SentencePieces). */
typedef struct sp_upieces {
    uint8_t *arena;
    size_t arena_len, arena_cap;
    uint32_t *off;      /* n + 1 entries */
    float *score;
    size_t n, cap;
} sp_upieces;

int sp_upieces_add(sp_upieces *p, const uint8_t *s, size_t n, float score);
void sp_upieces_release(sp_upieces *p);

/* unigram_seed.c: MakeSeedSentencePieces over the sentences (rare
 * characters already U+2585): the characters, then the top seed_size
 * substrings by frequency x length from the suffix array; log-probs. */
int sp_uni_seeds(const struct spbpe_trainer *t, const sp_sentlist *sents, sp_upieces *out, spbpe_error *err);

/* unigram_train.c: the whole unigram training (spbpe_trainer_train). */
int sp_unigram_train(struct spbpe_trainer *t, spbpe_error *err);

#endif /* SPBPE_TRAINER_INTERNAL_H */

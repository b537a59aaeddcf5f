/*
 * train/unigram_train.h - what the unigram trainer's files (unigram_*.c)
 * share beyond train_internal.h: the per-iteration model and the steps.
 * Internal; nothing here is part of include/spbpe.h.
 */
#ifndef SPBPE_UNIGRAM_TRAIN_H
#define SPBPE_UNIGRAM_TRAIN_H

#include "model/model.h"
#include "train/train_internal.h"

/* The model of one EM iteration: a spbpe_model over an sp_upieces (which
 * it borrows and must outlive), with the trie the lattice needs. */
typedef struct sp_umodel {
    spbpe_model m;
    uint8_t *type;      /* every piece NORMAL */
    float min_score;    /* TrainerModel::min_score() */
} sp_umodel;

int sp_umodel_build(sp_umodel *um, const sp_upieces *p, spbpe_error *err);
void sp_umodel_release(sp_umodel *um);

/* RunEStep: expected[0..pieces) (float) over words with their counts,
 * partitioned i % threads and reduced in thread order, computed on up to
 * `workers` real threads (same result for any); *obj the objective. */
int sp_uni_estep(const sp_umodel *um, const sp_sentlist *words, int32_t threads, int workers, float *expected,
                 float *obj, spbpe_error *err);
/* RunMStep: out = the pieces of `in` with expected >= 0.5, digamma scores. */
int sp_uni_mstep(const sp_upieces *in, const float *expected, sp_upieces *out);
/* PruneSentencePieces: out = the kept pieces of `in`, in sentencepiece's order. */
int sp_uni_prune(const sp_umodel *um, const sp_upieces *in, const sp_sentlist *words, int32_t threads,
                 size_t desired, float shrinking_factor, sp_upieces *out, spbpe_error *err);

#endif /* SPBPE_UNIGRAM_TRAIN_H */

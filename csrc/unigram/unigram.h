/*
 * unigram/unigram.h - the unigram engine's internal types: the piece trie
 * built at load (trie.c), the per-workspace scratch (lattice.c), and the
 * entry points the shared encoder dispatches to (encode.c for the Viterbi
 * encode of model_type 1 and the word (3) and char (4) models; lattice.c,
 * nbest.c and sample.c for n-best, sampling and entropy).
 *
 * Everything in sp_unigram is written once at load and only read after, so
 * a model stays shareable between threads; per-call state lives in the
 * workspace's sp_uni_scratch.
 */
#ifndef SPBPE_UNIGRAM_H
#define SPBPE_UNIGRAM_H

#include "encode/encode.h"

/* A double-array trie over the normal-map pieces (NORMAL, USER_DEFINED,
 * UNUSED), as sentencepiece's (trie.c), or over the character ids of the
 * NORMAL and USER_DEFINED pieces (chars.c).  Node 0 is the root.  Every
 * base is >= 0 and base + the largest label < size, so a step needs no
 * range test. */
typedef struct sp_da_unit {
    int32_t base;            /* children at base + byte (0 for a leaf: no unit there names it) */
    int32_t check;           /* the parent node, -1 for a free unit, -2 for the root */
    int32_t value;           /* id of the NORMAL or USER_DEFINED piece ending here, or -1 (UNUSED too) */
    float score;             /* what that piece adds in the Viterbi encode (sp_uni_step_score) */
} sp_da_unit;

typedef struct sp_trie {
    sp_da_unit *units;
    size_t size;
} sp_trie;

/* The child of `node` by byte b, or 0 (the root is nobody's child). */
static inline uint32_t sp_trie_step(const sp_trie *t, uint32_t node, uint8_t b) {
    uint32_t child = (uint32_t)t->units[node].base + b;
    return t->units[child].check == (int32_t)node ? child : 0;
}
/* The id of the NORMAL or USER_DEFINED piece ending at `node`, or -1
 * (UNUSED pieces, which every walk skips, read as -1). */
static inline int32_t sp_trie_value(const sp_trie *t, uint32_t node) { return t->units[node].value; }

/* A key for sp_da_build: its labels (bytes, or character ids) and piece. */
typedef struct sp_da_key {
    const uint32_t *p;
    uint32_t len;
    int32_t id;
} sp_da_key;

/* Build a double array over keys (sorted here) with labels below
 * `alphabet`: a node's value and score are its piece's, as above (trie.c). */
int sp_da_build(sp_trie *t, const spbpe_model *m, sp_da_key *keys, size_t count, uint32_t alphabet,
                spbpe_error *err);

/* The character trie (chars.c): the NORMAL and USER_DEFINED pieces as
 * sequences of character ids, a character being what the Viterbi steps
 * by (OneCharLen, so a lead byte and what follows, clipped at the end).
 * Each character found in some piece has an id >= 1; any other reads 0,
 * which no node has a child by. */
typedef struct sp_uchars {
    sp_trie trie;            /* labels: character ids, alphabet count + 1 */
    uint32_t count;          /* ids are 1..count */
    uint32_t one[256];       /* 1-byte characters */
    uint32_t two[32 * 64];   /* C0..DF + a trail byte: [(b0 - 0xC0) << 6 | (b1 & 0x3F)] */
    uint32_t three[16 * 64]; /* E0..EF + two trail bytes: the block of 64 ids for b0, b1 in `blocks` */
    uint32_t *blocks;        /* block 0 is all zero (no character of it in a piece) */
    uint64_t *other_key;     /* the rest (4 bytes, clipped, stray trail bytes): open addressing, */
    uint32_t *other_id;      /* key = bytes | length << 32, 0 = empty slot */
    size_t other_mask;       /* slots - 1; 0 and NULL arrays when there are none */
} sp_uchars;

static inline int sp_is_trail(uint8_t b) { return (b & 0xC0) == 0x80; }

uint32_t sp_uchar_other(const sp_uchars *c, const uint8_t *p, size_t len);

/* The id of the character p[0..len) (len its clipped OneCharLen), 0 when
 * no piece holds it. */
static inline uint32_t sp_uchar_id(const sp_uchars *c, const uint8_t *p, size_t len) {
    uint8_t b0 = p[0];
    if (len == 1) return c->one[b0];
    if (len == 3 && b0 < 0xF0 && sp_is_trail(p[1]) && sp_is_trail(p[2]))
        return c->blocks[c->three[(b0 & 0x0F) << 6 | (p[1] & 0x3F)] + (p[2] & 0x3F)];
    if (len == 2 && b0 < 0xE0 && sp_is_trail(p[1])) return c->two[(b0 - 0xC0) << 6 | (p[1] & 0x3F)];
    return sp_uchar_other(c, p, len);
}

/* Where a sentence may be cut into words that encode independently: no
 * NORMAL or USER_DEFINED piece spans the cut, so the Viterbi path passes
 * through it (trie.c decides from the pieces; encode.c uses it). */
enum {
    SP_UNI_CUT_NONE = 0,     /* some piece holds U+2581 both after its first and before its last byte */
    SP_UNI_CUT_BEFORE = 1,   /* no piece holds U+2581 past its start: cut before each U+2581 */
    SP_UNI_CUT_AFTER = 2     /* no piece holds U+2581 before its end: cut after each U+2581 */
};

typedef struct sp_unigram {
    sp_trie trie;
    float min_score;         /* over NORMAL pieces (FLT_MAX when none) */
    float max_score;         /* over NORMAL pieces (FLT_MIN when none) */
    float unk_score;         /* min_score - 10 (kUnkPenalty) */
    size_t max_piece_len;    /* bytes of the longest normal-map piece */
    double score_bound;      /* the largest |score| of a Viterbi step (NORMAL, USER_DEFINED, unknown) */
    int cut;                 /* SP_UNI_CUT_*: NONE also when scores are not finite and moderate */
    sp_uchars chars;         /* the character trie of the Viterbi encode (chars.c) */
} sp_unigram;

/* chars.c: build u->chars (after the byte trie), free it. */
int sp_uchars_build(sp_unigram *u, const spbpe_model *m, spbpe_error *err);
void sp_uchars_release(sp_unigram *u);

/* A USER_DEFINED piece of `length` units (bytes in the Viterbi encode,
 * characters in the lattice) scores (float)((length - 1) * 0.1), computed
 * in double: what the 0.2.3 wheel's machine code does (cvtsi2sd of
 * length - 1, mulsd by 0.1, cvtsd2ss), whatever the NORMAL scores are.
 * (The source at HEAD reads length * max_score - 0.1; the float form
 * length * 0.1f - 0.1f differs from the wheel by one ulp for 46 of the
 * lengths below 300, e.g. 3 and 7.) */
static inline float sp_uni_udef_score(size_t length) { return (float)((double)((int)length - 1) * 0.1); }

/* sentencepiece 0.2.3's encode rebases its running path score: when the
 * best score at a character start leaves [-kRebase, kRebase], it is
 * subtracted (in float) from every position that has a candidate from
 * there on (encode.c). */
#define SP_UNI_REBASE 100000.0f

/* Built by model.c for model_type 1; NULL on out of memory (err filled). */
sp_unigram *sp_unigram_new(const spbpe_model *m, spbpe_error *err);
void sp_unigram_free(sp_unigram *u);

/* spbpe_encode for model types 1 (unigram), 3 (word) and 4 (char) (encode.c). */
int sp_unigram_encode(const spbpe_model *m, const uint8_t *text, size_t len, const spbpe_encode_options *opt,
                      spbpe_workspace *ws, spbpe_encoding *out, spbpe_error *err);

/* ------------------------------------------------------------- lattice */

/* One lattice node, as sentencepiece's Lattice::Node (positions in
 * characters); node 0 is BOS, node 1 EOS. */
typedef struct sp_lnode {
    uint32_t pos, length;    /* in characters */
    int32_t id;              /* vocabulary id (unk_index for an unknown character), -1 for BOS/EOS */
    float score;
    float backtrace;         /* Viterbi: best score of a path ending with this node */
    int32_t prev;            /* Viterbi: best previous node */
} sp_lnode;

/* A path found by n-best or sampling: nodes[off .. off + len) of the path
 * store, and its score. */
typedef struct sp_path {
    size_t off, len;
    float score;
} sp_path;

/* The n-best search's hypotheses (nbest.c). */
typedef struct sp_hyp {
    int32_t node, next;      /* lattice node; the hypothesis to its right (-1 at EOS) */
    float fx, gx;
} sp_hyp;

/* The Viterbi encode's best path ending at one byte position (encode.c). */
typedef struct sp_ubest {
    float score;             /* of the best path ending here */
    int32_t start;           /* where its last token starts; -1: no candidate yet */
    int32_t id;              /* that token's id (unk_index, maybe -1, for an unknown character) */
} sp_ubest;

typedef struct sp_uni_scratch {
    /* Viterbi encode (encode.c), per normalized byte position */
    sp_ubest *best; size_t best_cap;
    uint32_t *chr_id, *chr_off; size_t chr_cap;  /* by characters: id (sp_uchar_id), byte offset */
    /* the lattice */
    uint32_t *char_off; size_t char_cap;      /* byte offset of each character, then the length */
    uint32_t chars;                           /* characters of the lattice built last */
    sp_lnode *nodes; size_t node_len, node_cap;
    int32_t *begin_list; size_t begin_cap;    /* node ids grouped by begin position */
    uint32_t *begin_at;                       /* chars + 2: begin_list[begin_at[p] .. begin_at[p+1]) */
    int32_t *end_list; size_t end_cap;
    uint32_t *end_at; size_t at_cap;
    float *alpha; float *h; size_t alpha_cap;
    double *probs; size_t probs_cap;
    /* results of n-best / sampling: paths of node ids */
    int32_t *path_nodes; size_t path_len, path_cap;
    sp_path *paths; size_t paths_len, paths_cap;
    sp_hyp *hyps; size_t hyps_cap;
    sp_hyp *hyps2; size_t hyps2_cap;
    int32_t *heap, *heap2; size_t heap_cap, heap2_cap;
    int32_t *clone; size_t clone_cap;
    /* multi-result output (spbpe_unigram_results) */
    int32_t *ids; uint32_t *nb, *ne, *ob, *oe; size_t out_cap;
    size_t *offsets; float *scores; size_t res_cap;
} sp_uni_scratch;

void sp_uni_scratch_free(sp_uni_scratch *s);
/* The workspace's unigram scratch, created on first use; NULL when out of memory. */
sp_uni_scratch *sp_uni_scratch_get(spbpe_workspace *ws);

/* Build the lattice of t[0..n) (sentencepiece's SetSentence + PopulateNodes). */
int sp_lattice_build(const spbpe_model *m, sp_uni_scratch *s, const uint8_t *t, size_t n);
/* Lattice Viterbi: fills backtrace/prev; appends the best path to the path store. */
int sp_lattice_viterbi(sp_uni_scratch *s, uint32_t chars, sp_path *best);
/* Forward algorithm into s->alpha (log domain, float, sentencepiece's LogSumExp). */
int sp_lattice_forward(sp_uni_scratch *s, uint32_t chars, float inv_theta);
/* Entropy of the lattice distribution at inverse temperature inv_theta. */
int sp_lattice_entropy(sp_uni_scratch *s, uint32_t chars, float inv_theta, float *entropy);
/* Forward-filtering backward-sampling of one path (after sp_lattice_forward). */
int sp_lattice_sample(sp_uni_scratch *s, uint32_t chars, float inv_theta, uint64_t *rng, sp_path *out);
/* sentencepiece's NBest: A* from EOS, with libstdc++'s heap order; with
 * `sample`, Gumbel-perturbed (stochastic beam without replacement).  Past
 * deadline_ms (sp_clock_ms; 0 = none) it leaves the Viterbi best path alone
 * and returns SP_NBEST_TIMED_OUT; -1 out of memory, -2 no path. */
#define SP_NBEST_TIMED_OUT 1
int sp_lattice_nbest(sp_uni_scratch *s, uint32_t chars, size_t nbest, int sample, float inv_theta, uint64_t *rng,
                     uint64_t deadline_ms);

/* A uniform float in [0, 1) and a double in [0, 1) from a splitmix64 state. */
uint64_t sp_rng_next(uint64_t *state);
static inline double sp_rng_double(uint64_t *state) { return (double)(sp_rng_next(state) >> 11) * (1.0 / 9007199254740992.0); }
static inline float sp_rng_float(uint64_t *state) { return (float)(sp_rng_next(state) >> 40) * (1.0f / 16777216.0f); }

#endif /* SPBPE_UNIGRAM_H */

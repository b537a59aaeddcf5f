/*
 * spbpe.h - the public contract of the spbpe C core.
 *
 * spbpe reproduces SentencePiece BPE (sentencepiece 0.2.3) byte for byte:
 * model parsing, normalization, BPE encoding with byte fallback, decoding and
 * training.  Everything here works on bytes: text is `const uint8_t *` plus a
 * length and is never assumed to be NUL-terminated; every offset is in bytes.
 *
 * Conventions shared by every function below:
 *  - Handles are opaque and come in *_new / *_free pairs; *_free(NULL) is a
 *    no-op.
 *  - Functions that can fail return an spbpe_status (or NULL) and, when the
 *    caller passes a non-NULL spbpe_error, fill it with a message.  The
 *    library never aborts, never prints and keeps no mutable global state.
 *  - A spbpe_model is immutable after spbpe_model_new: any number of threads
 *    may use one model at once.  A spbpe_workspace holds per-call scratch
 *    and results and must be used by one thread at a time.
 *  - Pointers returned inside result structs point into the workspace and
 *    stay valid until the next call that uses the same workspace.
 *
 * The region between the CFFI markers is read verbatim by spbpe/_build.py as
 * the cffi cdef, so it holds only declarations cffi can parse.
 */
#ifndef SPBPE_H
#define SPBPE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* CFFI-BEGIN */

typedef enum {
    SPBPE_OK = 0,
    SPBPE_ERR_NOMEM = 1,            /* an allocation failed */
    SPBPE_ERR_INVALID_ARGUMENT = 2, /* a caller passed a bad value (NULL, bad option) */
    SPBPE_ERR_MODEL_FORMAT = 3,     /* model bytes are not a valid SentencePiece model */
    SPBPE_ERR_UNSUPPORTED = 4,      /* valid model or option this library does not handle */
    SPBPE_ERR_OUT_OF_RANGE = 5,     /* an id outside [0, piece_count) */
    SPBPE_ERR_LIMIT = 6,            /* input larger than the library's size limits */
    SPBPE_ERR_INTERNAL = 7          /* an invariant failed: a bug in spbpe */
} spbpe_status;

typedef struct spbpe_error {
    int status;            /* an spbpe_status */
    size_t offset;         /* byte offset in the parsed blob, when it applies */
    char message[256];     /* NUL-terminated, human readable */
} spbpe_error;

/* A static description of a status code; never NULL. */
const char *spbpe_strerror(int status);

/* Piece types, numbered as in sentencepiece_model.proto. */
enum {
    SPBPE_PIECE_NORMAL = 1,
    SPBPE_PIECE_UNKNOWN = 2,
    SPBPE_PIECE_CONTROL = 3,
    SPBPE_PIECE_USER_DEFINED = 4,
    SPBPE_PIECE_UNUSED = 5,
    SPBPE_PIECE_BYTE = 6
};

/* ---------------------------------------------------------------- model */
/* (model_type 1 = unigram, 2 = BPE, 3 = word, 4 = char all load.) */

typedef struct spbpe_model spbpe_model;

/* Parse a serialized ModelProto (the bytes of a `.model` file) and build a
 * BPE model.  The bytes are copied; the caller may free them afterwards.
 * Returns NULL on failure with err filled: SPBPE_ERR_MODEL_FORMAT for bytes
 * that are not a valid model (with sentencepiece's message where it has one),
 * SPBPE_ERR_UNSUPPORTED for a model_type other than 1-4. */
spbpe_model *spbpe_model_new(const uint8_t *proto, size_t len, spbpe_error *err);
void spbpe_model_free(spbpe_model *model);

typedef struct spbpe_model_info {
    int32_t piece_count;
    int32_t unk_id;                  /* -1 when there is none */
    int32_t bos_id;                  /* -1 when bos_piece is not a CONTROL piece */
    int32_t eos_id;
    int32_t pad_id;
    int model_type;                  /* TrainerSpec.ModelType: 1 = unigram, 2 = BPE, 3 = word, 4 = char */
    int byte_fallback;
    int add_dummy_prefix;
    int remove_extra_whitespaces;
    int escape_whitespaces;
    int treat_whitespace_as_suffix;
    int has_charsmap;                /* normalizer_spec carries a precompiled_charsmap */
    int has_denormalizer;            /* decode runs a denormalizer */
    int has_user_defined;            /* at least one USER_DEFINED piece */
    int has_unused;                  /* at least one UNUSED piece */
    int word_split_safe;             /* encode may cache words (no piece has a non-leading "\xe2\x96\x81") */
} spbpe_model_info;

void spbpe_model_get_info(const spbpe_model *model, spbpe_model_info *info);

/* The piece string of `id` (not NUL-terminated) and its length, or NULL when
 * id is out of range.  The pointer lives as long as the model. */
const uint8_t *spbpe_model_piece(const spbpe_model *model, int32_t id, size_t *len);
/* Score and type of `id`; 0.0 and 0 when id is out of range. */
float spbpe_model_score(const spbpe_model *model, int32_t id);
int spbpe_model_type(const spbpe_model *model, int32_t id);
/* sentencepiece's PieceToId: the id of the piece with exactly these bytes,
 * whatever its type, else the unk id (which is -1 when there is none). */
int32_t spbpe_model_piece_to_id(const spbpe_model *model, const uint8_t *piece, size_t len);
/* The unk_surface decode prints for the unknown piece. */
const uint8_t *spbpe_model_unk_surface(const spbpe_model *model, size_t *len);

/* ------------------------------------------------------------ workspace */

typedef struct spbpe_workspace spbpe_workspace;

/* Scratch memory and result buffers for encode/decode/normalize.  Reusing a
 * workspace makes calls allocation-free once its buffers have grown. */
spbpe_workspace *spbpe_workspace_new(void);
void spbpe_workspace_free(spbpe_workspace *ws);

/* ------------------------------------------------------------ normalize */

typedef struct spbpe_normalized {
    const uint8_t *text;          /* normalized bytes, "\xe2\x96\x81" for spaces when escaping */
    size_t len;
    const uint32_t *norm_to_orig; /* len + 1 input byte offsets (empty, count 0, for an empty result) */
    size_t norm_to_orig_count;
} spbpe_normalized;

/* Normalize `text` exactly as sentencepiece's Normalizer does for this model
 * (charsmap, dummy prefix, whitespace rules, user-defined symbols passed
 * through).  Results live in ws. */
int spbpe_normalize(const spbpe_model *model, const uint8_t *text, size_t len,
                    spbpe_workspace *ws, spbpe_normalized *out, spbpe_error *err);

/* A standalone normalizer, as sentencepiece's SentencePieceNormalizer: a
 * precompiled_charsmap blob (len 0 = the identity rule) and the four flags,
 * with no vocabulary and so no user-defined symbols.  The blob is copied.
 * Returns NULL on failure with err filled: SPBPE_ERR_MODEL_FORMAT for a
 * blob whose header or trie does not fit in it, SPBPE_ERR_NOMEM.  Immutable
 * afterwards: any number of threads may use one normalizer at once. */
typedef struct spbpe_normalizer spbpe_normalizer;
spbpe_normalizer *spbpe_normalizer_new(const uint8_t *charsmap, size_t charsmap_len,
                                       int add_dummy_prefix, int remove_extra_whitespaces,
                                       int escape_whitespaces, int treat_whitespace_as_suffix,
                                       spbpe_error *err);
void spbpe_normalizer_free(spbpe_normalizer *normalizer);
/* As spbpe_normalize, with a standalone normalizer.  Results live in ws. */
int spbpe_normalizer_normalize(const spbpe_normalizer *normalizer, const uint8_t *text, size_t len,
                               spbpe_workspace *ws, spbpe_normalized *out, spbpe_error *err);

/* -------------------------------------------------------------- encode */

typedef struct spbpe_encode_options {
    double alpha;          /* BPE-dropout probability; <= 0 means deterministic */
    uint64_t seed;         /* seed for dropout's random numbers */
    int with_offsets;      /* fill norm/orig spans in the result */
    int reference_path;    /* skip every shortcut (word cache, integer tables): for testing them */
    int sample;            /* unigram models: sample a segmentation (sentencepiece's enable_sampling),
                              alpha being the inverse temperature; BPE uses alpha > 0 alone */
    int32_t nbest_size;    /* unigram sampling: < 0 samples the lattice, 0 or 1 encodes plainly,
                              > 1 samples from the nbest_size best (at most 512) */
    int32_t nbest_timeout_ms; /* that n-best search stops after this many ms and leaves the
                                 Viterbi best alone (sentencepiece's SetNBestTimeout); <= 0: never */
} spbpe_encode_options;

typedef struct spbpe_encoding {
    const int32_t *ids;
    size_t count;
    /* With with_offsets (else NULL): per token, its span in the normalized
     * text and in the original input, as sentencepiece's begin/end. */
    const uint32_t *norm_begin;
    const uint32_t *norm_end;
    const uint32_t *orig_begin;
    const uint32_t *orig_end;
    const uint8_t *normalized;     /* the normalized text the spans point into */
    size_t normalized_len;
    /* Work done by the merge loop in this call: heap pushes plus pops.  A
     * debugging counter for tests that check encode stays O(n log n) on
     * adversarial input (it is at most about 5x the normalized length). */
    uint64_t merge_steps;
} spbpe_encoding;

/* Encode `text` to ids exactly as sentencepiece's Encode.  options may be NULL
 * (deterministic, no offsets).  Results live in ws. */
int spbpe_encode(const spbpe_model *model, const uint8_t *text, size_t len,
                 const spbpe_encode_options *options, spbpe_workspace *ws,
                 spbpe_encoding *out, spbpe_error *err);

/* spbpe_encode with default options, the ids copied into dst (room for cap
 * ids; 3 * len + 3 always suffice).  Returns the number of ids, or minus a
 * status on failure (err filled; SPBPE_ERR_LIMIT when cap is too small).
 * The short path for one text from a binding: one call, no result struct. */
int64_t spbpe_encode_to(const spbpe_model *model, const uint8_t *text, size_t len, spbpe_workspace *ws,
                        int32_t *dst, size_t cap, spbpe_error *err);

/* -------------------------------------------------------------- decode */

typedef struct spbpe_decoded {
    const uint8_t *text;
    size_t len;
} spbpe_decoded;

/* Decode ids.  Any id outside [0, piece_count) gives SPBPE_ERR_OUT_OF_RANGE
 * with err->offset set to its index. */
int spbpe_decode_ids(const spbpe_model *model, const int32_t *ids, size_t count,
                     spbpe_workspace *ws, spbpe_decoded *out, spbpe_error *err);

/* spbpe_decode_ids with the text copied into dst (room for cap bytes).
 * Returns its length, or minus a status on failure (err filled;
 * SPBPE_ERR_LIMIT when cap is too small).  The short path from a binding. */
int64_t spbpe_decode_to(const spbpe_model *model, const int32_t *ids, size_t count, spbpe_workspace *ws,
                        uint8_t *dst, size_t cap, spbpe_error *err);

/* Decode piece strings: `pieces` holds them back to back, lengths[i] is the
 * byte length of piece i.  Pieces that are not in the vocabulary decode as
 * their raw text, as sentencepiece does. */
int spbpe_decode_pieces(const spbpe_model *model, const uint8_t *pieces,
                        const size_t *lengths, size_t count,
                        spbpe_workspace *ws, spbpe_decoded *out, spbpe_error *err);

/* --------------------------------------------------------------- batch */

typedef struct spbpe_batch spbpe_batch;

/* A reusable batch context: one workspace per worker thread plus result
 * buffers.  Reusing it keeps each worker's word cache warm.  One caller
 * thread at a time. */
spbpe_batch *spbpe_batch_new(void);
void spbpe_batch_free(spbpe_batch *batch);

typedef struct spbpe_batch_ids {
    const int32_t *ids;        /* every item's ids, back to back */
    const size_t *offsets;     /* count + 1 entries: item i is ids[offsets[i] .. offsets[i+1]) */
    size_t count;
} spbpe_batch_ids;

/* Encode `count` texts held back to back in `blob`: text i is
 * blob[starts[i] .. starts[i+1]) (starts has count + 1 entries, non-
 * decreasing).  Same result as spbpe_encode on each text, with up to
 * num_threads C threads (<= 1: the calling thread only).  Results live in
 * the batch until its next use. */
int spbpe_encode_batch(const spbpe_model *model, const uint8_t *blob, const size_t *starts, size_t count,
                       int num_threads, spbpe_batch *batch, spbpe_batch_ids *out, spbpe_error *err);

/* A batch encode fed and read part by part while it runs.  The caller
 * pushes parts (texts held back to back, as for spbpe_encode_batch) and
 * reads their ids back in the same order; background C threads encode the
 * parts pushed, and a caller that reaches a part not yet done encodes the
 * next untaken part itself meanwhile.  So a Python caller can prepare one
 * part and build the lists of another while the threads encode.  One
 * caller thread at a time; every successful _start must be followed by
 * _end. */
typedef struct spbpe_encode_stream spbpe_encode_stream;
spbpe_encode_stream *spbpe_encode_stream_new(void);
void spbpe_encode_stream_free(spbpe_encode_stream *stream);

/* Start a stream of at most max_parts parts (1 to 65536) on num_threads
 * threads in all: num_threads - 1 background threads, plus the caller's
 * inside spbpe_encode_stream_next, which encodes with caller_ws (so its
 * word cache is the one the caller's other encodes warm) or, when NULL, a
 * workspace of the stream's.  caller_ws is not used by anyone else until
 * _end.  SPBPE_ERR_INVALID_ARGUMENT if the stream is already running. */
int spbpe_encode_stream_start(const spbpe_model *model, int num_threads, size_t max_parts,
                              spbpe_workspace *caller_ws, spbpe_encode_stream *stream, spbpe_error *err);

/* Push a part: `count` texts, text i being blob[starts[i] .. starts[i+1])
 * (starts has count + 1 non-decreasing entries).  blob and starts must stay
 * alive and unchanged until spbpe_encode_stream_end.  SPBPE_ERR_LIMIT past
 * max_parts. */
int spbpe_encode_stream_push(spbpe_encode_stream *stream, const uint8_t *blob, const size_t *starts, size_t count,
                             spbpe_error *err);

/* Wait for the next part in push order and point `out` at its ids (offsets
 * relative to out->ids); *first_item is the number of texts pushed before
 * it.  Valid until the stream is started again or freed.  Returns the
 * part's encode error if it failed, and SPBPE_ERR_INVALID_ARGUMENT when
 * every part pushed has been read (or for a part that a byte-level stream
 * stopped early: read those with spbpe_bytelevel_encode_stream_next). */
int spbpe_encode_stream_next(spbpe_encode_stream *stream, spbpe_batch_ids *out, size_t *first_item,
                             spbpe_error *err);

/* Stop the threads and wait for them; a no-op when the stream is not running. */
void spbpe_encode_stream_end(spbpe_encode_stream *stream);

typedef struct spbpe_batch_text {
    const uint8_t *text;       /* every decoded text, back to back */
    const size_t *offsets;     /* count + 1 entries */
    size_t count;
} spbpe_batch_text;

/* Decode `count` id sequences held back to back (sequence i is
 * ids[starts[i] .. starts[i+1])).  An id out of range fails the whole call
 * with SPBPE_ERR_OUT_OF_RANGE and err->offset = its index in ids. */
int spbpe_decode_batch(const spbpe_model *model, const int32_t *ids, const size_t *starts, size_t count,
                       int num_threads, spbpe_batch *batch, spbpe_batch_text *out, spbpe_error *err);

/* --------------------------------------------------------- pre-tokenizer */

/* The byte-level family's built-in split patterns (tiktoken 0.14's). */
enum {
    SPBPE_PRETOK_R50K = 1,   /* r50k_base / GPT-2 */
    SPBPE_PRETOK_CL100K = 2, /* cl100k_base */
    SPBPE_PRETOK_O200K = 3,  /* o200k_base */
    SPBPE_PRETOK_LLAMA3 = 4, /* Meta's Llama 3 */
    SPBPE_PRETOK_REFERENCE_PATH = 0x100 /* or'ed into kind: the plain twin (no fast path), for tests */
};

/* Split text[0..len) into the chunks of pattern `kind` (an SPBPE_PRETOK_*),
 * exactly as tiktoken's regex does: ends[i] is the end offset of chunk i, so
 * chunk i is [ends[i-1], ends[i]) (ends[-1] = 0) and the last end is len.
 * Invalid UTF-8 bytes are one non-letter, non-number, non-space character
 * each.  Writes at most cap ends and sets *n_out to the number of chunks
 * (more than cap means the caller's array was too small; len ends always
 * suffice).  With SPBPE_PRETOK_REFERENCE_PATH in kind it runs the plain
 * twin, which must give the same ends.  SPBPE_ERR_INVALID_ARGUMENT for an
 * unknown kind or NULLs,
 * SPBPE_ERR_LIMIT above 1 GiB.  No allocation; thread-safe. */
int spbpe_pretok_split(int kind, const uint8_t *text, size_t len, size_t *ends, size_t cap, size_t *n_out,
                       spbpe_error *err);
/* The pre-tokenizer's class byte of code point cp (its Unicode 16.0 table,
 * bits in csrc/bytelevel/unicode_classes.h: 1 Lu/Lt, 2 Ll, 4 Lm/Lo, 8 M,
 * 16 N, 32 White_Space, 64 \r \n); 0 above U+10FFFF.  For tests that check
 * the table against tiktoken's engine.  Pure; thread-safe. */
int spbpe_pretok_class(uint32_t cp);

/* --------------------------------------------------------------- trainer */

/* A BPE trainer reproducing `spm_train --model_type=bpe` of sentencepiece
 * 0.2.3: same pieces, scores, types and order.  Feed it sentences, call
 * spbpe_trainer_train once, then read the vocabulary.  Memory grows with the
 * number of distinct words, not with the corpus.  One thread at a time
 * calls into a trainer (spbpe_trainer_add_lines may start its own worker
 * threads and joins them before it returns). */
typedef struct spbpe_trainer spbpe_trainer;

typedef struct spbpe_trainer_options {
    int32_t vocab_size;
    float character_coverage;          /* compared in float32, as sentencepiece does */
    int32_t max_sentence_length;       /* bytes; longer sentences are dropped */
    int32_t max_sentencepiece_length;  /* code points */
    int split_by_unicode_script;
    int split_by_number;
    int split_by_whitespace;
    int split_digits;
    int treat_whitespace_as_suffix;
    int allow_whitespace_only_pieces;
    int byte_fallback;
    int hard_vocab_limit;
    int auto_character_coverage;       /* every character merges; the vocabulary is cut by
                                          global search (0.2.3); needs byte_fallback */
    int32_t unk_id;                    /* -1 = absent */
    int32_t bos_id;
    int32_t eos_id;
    int32_t pad_id;
    const uint8_t *unk_piece;  size_t unk_piece_len;
    const uint8_t *bos_piece;  size_t bos_piece_len;
    const uint8_t *eos_piece;  size_t eos_piece_len;
    const uint8_t *pad_piece;  size_t pad_piece_len;
    const uint8_t *required_chars; size_t required_chars_len;   /* UTF-8 */
    const uint8_t *pretokenization_delimiter; size_t pretokenization_delimiter_len;
    /* control_symbols then user_defined_symbols, back to back: symbol i has
     * symbol_lens[i] bytes; the first control_symbol_count are CONTROL. */
    const uint8_t *symbols;
    const size_t *symbol_lens;
    size_t control_symbol_count;
    size_t user_symbol_count;
    /* Normalizer: an empty charsmap is the identity rule. */
    const uint8_t *charsmap; size_t charsmap_len;
    int add_dummy_prefix;
    int remove_extra_whitespaces;
    int escape_whitespaces;
    /* Threads for spbpe_trainer_add_lines (1 = the calling thread only);
     * the trained vocabulary is the same for every value. */
    int32_t num_threads;
    /* TrainerSpec.ModelType: 1 = unigram, 2 = BPE (also 0), 3 = word, 4 = char. */
    int32_t model_type;
    int use_all_vocab;                 /* word/char only: every word or kept character, and
                                          every character is kept (no coverage cut) */
    /* The rest is read for unigram only. */
    int32_t em_threads;                /* sentencepiece's num_threads (1..1024): the E-step and
                                          pruning partition sentences i % em_threads and add
                                          the per-thread float sums in thread order, as it
                                          does, so the model is its model for that count */
    int32_t seed_sentencepiece_size;
    float shrinking_factor;
    int32_t num_sub_iterations;
    int input_tsv;                     /* input_format=tsv (seeds count each sentence twice) */
} spbpe_trainer_options;

/* Validate the options and lay out the meta pieces (unk/bos/eos/pad,
 * control, user-defined, byte pieces).  Every string is copied.  NULL on
 * failure with err filled (sentencepiece's message where it has one). */
spbpe_trainer *spbpe_trainer_new(const spbpe_trainer_options *options, spbpe_error *err);
void spbpe_trainer_free(spbpe_trainer *trainer);

/* Add one raw sentence (one input line without its '\n') with frequency
 * freq >= 1.  Empty sentences, sentences longer than max_sentence_length
 * bytes and sentences containing U+2585 are skipped, as sentencepiece
 * does; *kept (may be NULL) tells which. */
int spbpe_trainer_add_sentence(spbpe_trainer *trainer, const uint8_t *sentence, size_t len,
                               int64_t freq, int *kept, spbpe_error *err);

/* Add every '\n'-separated line of buf (text format, frequency 1), with the
 * same filters.  A last line without '\n' is a line.  *kept (may be NULL)
 * receives the number of lines kept.  Large buffers are split at line
 * breaks over up to num_threads threads. */
int spbpe_trainer_add_lines(spbpe_trainer *trainer, const uint8_t *buf, size_t len,
                            uint64_t *kept, spbpe_error *err);

/* For tests and fuzzers (the oracle of the trainer's normalizer): the text
 * the trainer makes of one raw sentence before cutting it into words, from
 * its memoized normalizer (train_normalize.c).  It must equal what
 * spbpe_normalizer_normalize gives for the same charsmap, add_dummy_prefix,
 * remove_extra_whitespaces and treat_whitespace_as_suffix, with
 * escape_whitespaces on (the trainer always escapes).  *out (NULL when
 * *out_len is 0) lives in the trainer until its next call.  Adds no
 * sentence; same threading rule as the other trainer calls. */
int spbpe_trainer_normalize(spbpe_trainer *trainer, const uint8_t *text, size_t len, const uint8_t **out,
                            size_t *out_len, spbpe_error *err);

/* Pretokenizer hooks (sentencepiece's pretokenizer= callable): the caller
 * feeds a sentence in two steps instead of spbpe_trainer_add_sentence.
 * spbpe_trainer_prepare applies the same filters (*kept 0: skipped, *out
 * NULL), normalizes and cuts out the meta pieces (each becomes U+001F), and
 * gives that text in *out (*out_len bytes; may be 0), which lives in the
 * trainer until its next call.  The caller pretokenizes it and passes the
 * chunks joined by U+001F to spbpe_trainer_add_prepared, which counts its
 * words as spbpe_trainer_add_sentence would (the text must not contain a
 * space; an empty text is dropped).  pretokenization_delimiter is not
 * applied there.  Same threading rule as the other trainer calls. */
int spbpe_trainer_prepare(spbpe_trainer *trainer, const uint8_t *sentence, size_t len, const uint8_t **out,
                          size_t *out_len, int *kept, spbpe_error *err);
int spbpe_trainer_add_prepared(spbpe_trainer *trainer, const uint8_t *text, size_t len, int64_t freq,
                               spbpe_error *err);

/* Word counts out and in (train_counts.c), for training from counts
 * gathered elsewhere: the word table is all that training reads.
 * spbpe_trainer_count_size folds every word counted so far into one table
 * and gives its size (words, and their bytes back to back); the trainer
 * can keep counting after it.  spbpe_trainer_count_export then copies the
 * table into caller buffers of exactly those sizes, sorted bytewise: word i
 * is the next lens[i] bytes of arena, with counts[i] (the summed sentence
 * frequencies).  Words are normalized, with U+2581 for spaces and U+001F
 * where a meta piece or the pretokenization delimiter was cut out.
 * spbpe_trainer_add_counts adds such words as they are (no filter, no
 * normalization, no splitting): every word non-empty valid UTF-8 without
 * ' ' or U+2585, every count >= 1, the lengths adding up to arena_len
 * (SPBPE_ERR_INVALID_ARGUMENT otherwise, before anything is added);
 * SPBPE_ERR_LIMIT when a sum passes INT64_MAX (the words before it are
 * added: free the trainer).  None of the three after spbpe_trainer_train.
 * Inputs are copied.  Same threading rule as the other trainer calls. */
int spbpe_trainer_count_size(spbpe_trainer *trainer, size_t *nwords, size_t *nbytes, spbpe_error *err);
int spbpe_trainer_count_export(const spbpe_trainer *trainer, uint8_t *arena, size_t arena_len, uint32_t *lens,
                               int64_t *counts, size_t nwords, spbpe_error *err);
int spbpe_trainer_add_counts(spbpe_trainer *trainer, const uint8_t *arena, size_t arena_len, const uint32_t *lens,
                             const int64_t *counts, size_t nwords, spbpe_error *err);

/* Run character coverage and then the model type's training: for unigram,
 * seeds, EM and pruning (unigram_train.c); the BPE merges; for word, the most frequent words (SplitIntoWords) made only of
 * kept characters, score log(count) - log(all words); for char, the kept
 * characters, score log(count) - log(all kept).  Only once per trainer. */
int spbpe_trainer_train(spbpe_trainer *trainer, spbpe_error *err);

/* Progress of a spbpe_trainer_train running on another thread: merges made
 * so far and the most the run can make (0 until the merge loop starts; the
 * run may stop earlier when no pair is left).  Safe to call from any thread
 * while the trainer trains (relaxed atomic reads); SPBPE_ERR_INVALID_ARGUMENT
 * for a NULL argument. */
int spbpe_trainer_progress(const spbpe_trainer *trainer, uint64_t *merges_done, uint64_t *merges_target);

/* The trained vocabulary, in id order (valid after a successful train):
 * the piece count, and one piece's bytes (NULL, *len 0, when id is out of
 * range).  Piece pointers live as long as the trainer; scores and types
 * come with spbpe_trainer_export. */
size_t spbpe_trainer_piece_count(const spbpe_trainer *trainer);
const uint8_t *spbpe_trainer_piece(const spbpe_trainer *trainer, size_t id, size_t *len);
/* The whole vocabulary at once: piece i is (*arena)[(*off)[i] ..
 * (*off)[i] + (*len)[i]), with (*score)[i] and (*type)[i].  Returns the
 * piece count (0, with NULL arrays, before a successful train); the arrays
 * live as long as the trainer. */
size_t spbpe_trainer_export(const spbpe_trainer *trainer, const uint8_t **arena, size_t *arena_len,
                            const uint64_t **off, const uint32_t **len, const float **score,
                            const int32_t **type);
/* The trained vocabulary as files: *pieces is the ModelProto's repeated
 * `pieces` field serialized as sentencepiece writes it (the caller appends
 * trainer_spec and normalizer_spec), *vocab the .vocab text ("piece\tscore"
 * with %.6g, or the piece alone when with_score is 0, one per line).  Both
 * live in the trainer until it is freed or serializes again. */
int spbpe_trainer_serialize(spbpe_trainer *trainer, int with_score, const uint8_t **pieces, size_t *pieces_len,
                            const uint8_t **vocab, size_t *vocab_len, spbpe_error *err);

/* ------------------------------------------------------ byte-level BPE */

/* A byte-level BPE encoding's tables (tiktoken's CoreBPE): mergeable
 * tokens with their ranks, special tokens with their values, and which
 * built-in pre-tokenizer splits text (1 = r50k/GPT-2, 2 = cl100k,
 * 3 = o200k, 4 = Llama 3; 0 = none, the caller passes chunks).  Token i is
 * tokens[starts[i] .. starts[i+1]) with rank ranks[i]; special k is
 * specials[special_starts[k] .. special_starts[k+1]) with value
 * special_ids[k] (starts arrays have count + 1 entries).  Everything is
 * copied.  NULL on failure with err filled: SPBPE_ERR_MODEL_FORMAT for a
 * rank given twice, SPBPE_ERR_UNSUPPORTED for a rank or value of 2^21 or
 * more, SPBPE_ERR_INVALID_ARGUMENT for an empty or repeated special.
 * Immutable afterwards: any number of threads may use one table at once. */
typedef struct spbpe_bytelevel spbpe_bytelevel;
spbpe_bytelevel *spbpe_bytelevel_new(const uint8_t *tokens, const size_t *starts, const uint32_t *ranks, size_t count,
                                     const uint8_t *specials, const size_t *special_starts,
                                     const uint32_t *special_ids, size_t special_count, int pretok,
                                     spbpe_error *err);
void spbpe_bytelevel_free(spbpe_bytelevel *bl);
/* 1 when this build has the built-in pre-tokenizers, else 0 (encode then
 * needs chunks from the caller). */
int spbpe_bytelevel_builtin_pretok(void);
/* The largest rank or special value + 1 (0 for NULL). */
uint32_t spbpe_bytelevel_id_limit(const spbpe_bytelevel *bl);

typedef struct spbpe_bytelevel_options {
    /* NULL: split with the table's built-in pre-tokenizer.  Else
     * chunk_count (start, end) byte pairs, in order, from the caller's own
     * pattern (they need not tile the text: unmatched text is dropped, as
     * tiktoken drops it); a start with bit 31 set marks the text of a
     * special token, emitted as its value.  special_modes is then unused. */
    const uint32_t *chunks;
    size_t chunk_count;
    /* special_count bytes, one per special token: 0 = ordinary text, 1 =
     * allowed (emitted as its value), 2 = disallowed (reported); NULL: all
     * ordinary text. */
    const uint8_t *special_modes;
    int reference_path;    /* skip every shortcut (word cache, pair table, heap): for testing them */
} spbpe_bytelevel_options;

typedef struct spbpe_bytelevel_ids {
    const int32_t *ids;
    size_t count;
    int32_t disallowed;    /* index of the leftmost disallowed special in the text (then no ids), else -1 */
    size_t disallowed_at;  /* its byte offset */
} spbpe_bytelevel_ids;

/* Encode text exactly as tiktoken's Encoding.encode with these special
 * modes (encode_ordinary when special_modes is NULL).  options may be NULL.
 * Results live in ws until its next use.  Fails with
 * SPBPE_ERR_MODEL_FORMAT when a byte of the text has no rank. */
int spbpe_bytelevel_encode(const spbpe_bytelevel *bl, const uint8_t *text, size_t len,
                           const spbpe_bytelevel_options *options, spbpe_workspace *ws, spbpe_bytelevel_ids *out,
                           spbpe_error *err);

/* The bytes of ids (tiktoken's decode_bytes).  An id that is neither a
 * rank nor a special value gives SPBPE_ERR_OUT_OF_RANGE with err->offset
 * its index.  Results live in ws. */
int spbpe_bytelevel_decode(const spbpe_bytelevel *bl, const int32_t *ids, size_t count, spbpe_workspace *ws,
                           spbpe_decoded *out, spbpe_error *err);

/* A reusable context for byte-level batches: one workspace per worker
 * thread (their word caches stay warm across calls) and result buffers.
 * One caller thread at a time. */
typedef struct spbpe_bytelevel_batch spbpe_bytelevel_batch;
spbpe_bytelevel_batch *spbpe_bytelevel_batch_new(void);
void spbpe_bytelevel_batch_free(spbpe_bytelevel_batch *batch);

/* Encode count texts held back to back in blob (text i is
 * blob[starts[i] .. starts[i+1])) with the built-in pre-tokenizer, as
 * spbpe_bytelevel_encode on each, on up to num_threads C threads.  When a
 * text holds a disallowed special, *bad_item is the first such text and
 * *bad_special the special's index (no ids); else *bad_item is count.
 * Results live in the batch until its next use. */
int spbpe_bytelevel_encode_batch(const spbpe_bytelevel *bl, const uint8_t *blob, const size_t *starts, size_t count,
                                 const uint8_t *special_modes, int num_threads, spbpe_bytelevel_batch *batch,
                                 spbpe_batch_ids *out, size_t *bad_item, int32_t *bad_special, spbpe_error *err);

/* The streamed batch (spbpe_encode_stream_*) on a rank table: start it
 * with this, push parts with spbpe_encode_stream_push, read them with
 * spbpe_bytelevel_encode_stream_next, end it with spbpe_encode_stream_end.
 * Every text is encoded as by spbpe_bytelevel_encode with the built-in
 * pre-tokenizer and special_modes (special_count bytes, copied; NULL: all
 * ordinary).  The table must outlive the stream's _end; the other
 * arguments are as for spbpe_encode_stream_start.
 * SPBPE_ERR_INVALID_ARGUMENT for a table without a built-in pre-tokenizer. */
int spbpe_bytelevel_encode_stream_start(const spbpe_bytelevel *bl, const uint8_t *special_modes, int num_threads,
                                        size_t max_parts, spbpe_workspace *caller_ws, spbpe_encode_stream *stream,
                                        spbpe_error *err);

/* spbpe_encode_stream_next for a stream started on a rank table: when a
 * text of the part holds a disallowed special, *bad_item is its index in
 * the part (< out->count) and *bad_special the special's index, and no
 * text from it on has ids (offsets stay put); else *bad_item is out->count
 * and *bad_special -1.  (spbpe_encode_stream_next refuses such a part.) */
int spbpe_bytelevel_encode_stream_next(spbpe_encode_stream *stream, spbpe_batch_ids *out, size_t *first_item,
                                       size_t *bad_item, int32_t *bad_special, spbpe_error *err);

/* Decode count id sequences held back to back (sequence i is
 * ids[starts[i] .. starts[i+1])) on up to num_threads threads.  A bad id
 * fails the call with SPBPE_ERR_OUT_OF_RANGE, err->offset its index in ids. */
int spbpe_bytelevel_decode_batch(const spbpe_bytelevel *bl, const int32_t *ids, const size_t *starts, size_t count,
                                 int num_threads, spbpe_bytelevel_batch *batch, spbpe_batch_text *out,
                                 spbpe_error *err);

/* ------------------------------------------------- unigram: n-best, sampling */

/* Several segmentations of one text: result i is ids[offsets[i] ..
 * offsets[i+1]) with score scores[i]; the spans are per token, as in
 * spbpe_encoding.  Everything lives in the workspace until its next use. */
typedef struct spbpe_results {
    size_t count;
    const size_t *offsets;         /* count + 1 entries */
    const float *scores;
    const int32_t *ids;
    const uint32_t *norm_begin;
    const uint32_t *norm_end;
    const uint32_t *orig_begin;
    const uint32_t *orig_end;
    const uint8_t *normalized;
    size_t normalized_len;
    int timed_out;                 /* n-best stopped at its timeout: count is 1, the Viterbi best */
} spbpe_results;

/* sentencepiece's NBestEncode on a unigram model: the nbest_size best
 * segmentations (clamped to 1..1024) best first, with their scores (0 for
 * nbest_size 1).  A search longer than timeout_ms (> 0; sentencepiece's
 * SetNBestTimeout) stops and returns the Viterbi best alone with its
 * Viterbi score, out->timed_out set.  SPBPE_ERR_UNSUPPORTED for other model
 * types.  Model is shared; ws is the calling thread's. */
int spbpe_nbest_encode(const spbpe_model *model, const uint8_t *text, size_t len, int32_t nbest_size,
                       int32_t timeout_ms, spbpe_workspace *ws, spbpe_results *out, spbpe_error *err);

/* sentencepiece's SampleEncodeAndScore: `samples` segmentations drawn at
 * inverse temperature alpha, with replacement (wor = 0; scores are log
 * probabilities) or without (wor = 1; scores are log inclusion
 * probabilities, include_best puts the best path first with score 0).
 * Random numbers come from `seed` alone.  count = 0 where sentencepiece
 * returns no result (empty text, include_best without wor). */
int spbpe_sample_encode_and_score(const spbpe_model *model, const uint8_t *text, size_t len, float alpha,
                                  int32_t samples, int wor, int include_best, uint64_t seed,
                                  spbpe_workspace *ws, spbpe_results *out, spbpe_error *err);

/* sentencepiece's CalculateEntropy: the entropy of the segmentation
 * distribution at inverse temperature alpha, into *entropy. */
int spbpe_calculate_entropy(const spbpe_model *model, const uint8_t *text, size_t len, float alpha,
                            spbpe_workspace *ws, float *entropy, spbpe_error *err);

/* A seedable random generator (splitmix64) for the binding's sampling
 * seeds: spbpe_rng_next returns the next 64 bits.  One thread at a time
 * per generator; the library keeps none of its own. */
typedef struct spbpe_rng spbpe_rng;
spbpe_rng *spbpe_rng_new(uint64_t seed);
void spbpe_rng_free(spbpe_rng *rng);
uint64_t spbpe_rng_next(spbpe_rng *rng);
/* ------------------------------------------------- minbpe: byte-level BPE */

/* minbpe's training (RegexTokenizer.train / BasicTokenizer.train), exactly:
 * each step merges the adjacent pair of ids with the most occurrences, ties
 * going to the pair that occurs first, into the next id (256, 257, ...),
 * left to right in every chunk.  The caller passes each DISTINCT chunk of
 * the text once, in order of first appearance, with its multiplicity:
 * chunk i is blob[starts[i] .. starts[i+1]) (starts has count + 1 non-
 * decreasing entries; at most 1 GiB in all) and occurs counts[i] times
 * (1 to 2^32 - 1).  BasicTokenizer's text is one chunk of count 1.  The
 * bytes are copied.  NULL on failure with err filled (SPBPE_ERR_NOMEM,
 * SPBPE_ERR_INVALID_ARGUMENT, SPBPE_ERR_LIMIT).  One thread at a time
 * calls into a trainer. */
typedef struct spbpe_bytebpe_trainer spbpe_bytebpe_trainer;
spbpe_bytebpe_trainer *spbpe_bytebpe_trainer_new(const uint8_t *blob, const size_t *starts, const int64_t *counts,
                                                 size_t count, spbpe_error *err);
void spbpe_bytebpe_trainer_free(spbpe_bytebpe_trainer *trainer);

/* Run up to max_merges more merges.  Merge k of this call writes its pair
 * to pairs[2k], pairs[2k+1] (its new id is 256 + the number of merges the
 * trainer has made before it) and its weighted number of occurrences (what
 * minbpe's verbose line prints) to freqs[k].  *done receives the number
 * made: fewer than max_merges only when no adjacent pair is left (minbpe's
 * max() of an empty dict).  Merges may be asked for in any number of
 * calls; the result is the same. */
int spbpe_bytebpe_trainer_merge(spbpe_bytebpe_trainer *trainer, size_t max_merges, int32_t *pairs, int64_t *freqs,
                                size_t *done, spbpe_error *err);

/* The most bytes the trainer's tables have held so far (its peak memory,
 * counting capacity, not the caller's buffers). */
size_t spbpe_bytebpe_trainer_peak_bytes(const spbpe_bytebpe_trainer *trainer);

/* minbpe's encode: merges of id pairs by merge index.  merges holds count
 * triples (left, right, new id); the new id is the merge's rank (lower
 * merges first) and must exceed both ids of its pair; no pair twice.
 * byte_map (NULL = identity) gives each byte's starting id, distinct
 * (GPT4Tokenizer's byte shuffle).  NULL on failure with err filled
 * (SPBPE_ERR_INVALID_ARGUMENT for a merge that breaks those rules, with
 * err->offset its index).  Immutable afterwards: any number of threads may
 * encode with one at once. */
typedef struct spbpe_pair_merges spbpe_pair_merges;
spbpe_pair_merges *spbpe_pair_merges_new(const int32_t *merges, size_t count, const uint8_t *byte_map,
                                         spbpe_error *err);
void spbpe_pair_merges_free(spbpe_pair_merges *merges);

/* Encode count chunks (chunk i is blob[starts[i] .. starts[i+1])) as
 * minbpe's _encode_chunk does each, ids back to back into dst (cap ids;
 * the total byte length always suffices).  reference_path runs minbpe's
 * quadratic scan on every chunk instead of the segment merge on long ones (the
 * plain twin for tests).  Returns the number of ids, or minus a status
 * (SPBPE_ERR_LIMIT when cap is too small).  Thread-safe; allocates its
 * scratch per call. */
int64_t spbpe_pair_merges_encode(const spbpe_pair_merges *merges, const uint8_t *blob, const size_t *starts,
                                 size_t count, int reference_path, int32_t *dst, size_t cap, spbpe_error *err);

/* CFFI-END */

#ifdef __cplusplus
}
#endif

#endif /* SPBPE_H */

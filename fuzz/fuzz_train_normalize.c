/*
 * fuzz_train_normalize.c - the trainer's memoized normalizer
 * (train_normalize.c, through spbpe_trainer_normalize) against the
 * encoder's (normalize.c, through spbpe_normalizer_normalize) on arbitrary
 * bytes: the two must give the same text.  Byte 0 picks the table (identity,
 * the four built-in ones in spbpe/data, and a custom rule set that
 * fuzz/build.sh compiles with spbpe's compiler when it can) from its low 3
 * bits and add_dummy_prefix, remove_extra_whitespaces and
 * treat_whitespace_as_suffix from the next three; whitespace is always
 * escaped, as the trainer does.  tests/test_train_normalizer_oracle.py
 * checks the same property on generated text.
 */
#include "fuzz_common.h"

#ifndef SPBPE_FUZZ_DEFAULT_CUSTOM_CHARSMAP
#define SPBPE_FUZZ_DEFAULT_CUSTOM_CHARSMAP ""
#endif

static const char *NAMES[] = {"", "nmt_nfkc.bin", "nfkc.bin", "nmt_nfkc_cf.bin", "nfkc_cf.bin", "custom"};
#define NTABLES (sizeof NAMES / sizeof NAMES[0])
static uint8_t *blobs[NTABLES];
static size_t blob_lens[NTABLES];
static size_t ntables = NTABLES;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_read_data_files(NAMES, 1, NTABLES - 1, blobs, blob_lens);
    const char *custom = getenv("SPBPE_FUZZ_CUSTOM_CHARSMAP");
    if (!custom || !*custom) custom = SPBPE_FUZZ_DEFAULT_CUSTOM_CHARSMAP;
    blobs[NTABLES - 1] = *custom ? fuzz_read_file(custom, &blob_lens[NTABLES - 1]) : NULL;
    if (!blobs[NTABLES - 1]) ntables = NTABLES - 1; /* no custom rules: the built-in tables only */
    return 0;
}

typedef struct pair {
    spbpe_trainer *trainer;
    spbpe_normalizer *normalizer;
} pair;

static pair make_pair(size_t table, int dummy, int rew, int suffix) {
    static const uint8_t empty[1];
    spbpe_trainer_options o;
    memset(&o, 0, sizeof o);
    o.vocab_size = 100;
    o.character_coverage = 1.0f;
    o.max_sentence_length = 1 << 20;
    o.max_sentencepiece_length = 16;
    o.split_by_unicode_script = o.split_by_number = o.split_by_whitespace = 1;
    o.treat_whitespace_as_suffix = suffix;
    o.unk_id = 0, o.bos_id = 1, o.eos_id = 2, o.pad_id = -1;
    o.unk_piece = (const uint8_t *)"<unk>", o.unk_piece_len = 5;
    o.bos_piece = (const uint8_t *)"<s>", o.bos_piece_len = 3;
    o.eos_piece = (const uint8_t *)"</s>", o.eos_piece_len = 4;
    o.pad_piece = (const uint8_t *)"<pad>", o.pad_piece_len = 5;
    o.required_chars = empty;
    o.pretokenization_delimiter = empty;
    o.symbols = empty;
    o.charsmap = blobs[table] ? blobs[table] : empty;
    o.charsmap_len = blob_lens[table];
    o.add_dummy_prefix = dummy, o.remove_extra_whitespaces = rew, o.escape_whitespaces = 1;
    o.num_threads = 1;
    spbpe_error err;
    pair p;
    p.trainer = spbpe_trainer_new(&o, &err);
    FUZZ_CHECK(p.trainer != NULL);
    p.normalizer = spbpe_normalizer_new(o.charsmap, o.charsmap_len, dummy, rew, 1, suffix, &err);
    FUZZ_CHECK(p.normalizer != NULL);
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t sel = data[0];
    data++;
    size--;
    size_t table = (size_t)(sel & 7) % ntables;
    int flags = (sel >> 3) & 7;
    /* one trainer and one normalizer per (table, flags), built on first use */
    static pair pairs[NTABLES][8];
    static spbpe_workspace *ws;
    if (!ws) FUZZ_CHECK((ws = spbpe_workspace_new()) != NULL);
    pair *p = &pairs[table][flags];
    if (!p->trainer) *p = make_pair(table, flags & 1, (flags >> 1) & 1, (flags >> 2) & 1);

    spbpe_error err;
    const uint8_t *got;
    size_t got_len;
    FUZZ_CHECK(spbpe_trainer_normalize(p->trainer, data, size, &got, &got_len, &err) == SPBPE_OK);
    spbpe_normalized want;
    FUZZ_CHECK(spbpe_normalizer_normalize(p->normalizer, data, size, ws, &want, &err) == SPBPE_OK);
    FUZZ_CHECK(got_len == want.len);
    FUZZ_CHECK(got_len == 0 || memcmp(got, want.text, got_len) == 0);
    return 0;
}

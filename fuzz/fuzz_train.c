/*
 * fuzz_train.c - the trainer on arbitrary small corpora.  Bytes 0-1
 * pick the options (vocab size, byte fallback, splitting rules, coverage,
 * identity or nmt_nfkc normalization); the rest is the corpus, one
 * sentence per line, whose last byte also picks the model type (bits 0-1:
 * BPE, unigram, word, char; bit 2: use_all_vocab) and, with bit 3, feeds each
 * line through the pretokenizer hooks (spbpe_trainer_prepare, then
 * spbpe_trainer_add_prepared with U+001F before every ASCII letter 'e').  Training may fail with a message (e.g. a vocabulary
 * too large for the corpus) but must never crash, and a trained vocabulary
 * has no empty or duplicate pieces and at most vocab_size of them.
 */
#include "fuzz_common.h"

static uint8_t *nfkc;
static size_t nfkc_len;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    static const char *const names[] = {"nmt_nfkc.bin"};
    fuzz_read_data_files(names, 0, 1, &nfkc, &nfkc_len);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2 || size > 4096) return 0;
    uint8_t a = data[0], b = data[1];
    data += 2;
    size -= 2;
    static const uint8_t syms[] = "<sep>[INST]ab";
    static const size_t sym_lens[] = {5, 6, 2};
    spbpe_trainer_options o;
    fuzz_trainer_defaults(&o);
    o.vocab_size = 8 + (a & 0x3F) * 4;
    o.character_coverage = (b & 1) ? 1.0f : 0.9995f;
    o.max_sentencepiece_length = 1 + ((b >> 1) & 15);
    o.split_by_unicode_script = !(a & 0x40);
    o.split_by_whitespace = !(b & 0x20);
    o.split_digits = (b >> 6) & 1;
    o.treat_whitespace_as_suffix = (b >> 7) & 1;
    o.allow_whitespace_only_pieces = (b >> 5) & 1;
    o.byte_fallback = (a >> 7) & 1;
    o.auto_character_coverage = (b & 1) && (a & 1); /* coverage 1.0 runs, half of them */
    if (b & 0x10) {
        o.symbols = syms;
        o.symbol_lens = sym_lens;
        o.control_symbol_count = 1;
        o.user_symbol_count = 2;
    }
    if (a & 0x40) {
        o.charsmap = nfkc;
        o.charsmap_len = nfkc_len;
    }
    uint8_t c = size ? data[size - 1] : 0;
    o.model_type = (c & 3) == 1 ? 1 : (c & 3) == 2 ? 3 : (c & 3) == 3 ? 4 : 2;
    o.use_all_vocab = o.model_type > 2 && (c & 4);
    if (o.use_all_vocab) o.auto_character_coverage = 0;

    spbpe_error err;
    spbpe_trainer *t = spbpe_trainer_new(&o, &err);
    if (!t) {
        FUZZ_CHECK(err.message[0] != 0);
        return 0;
    }
    uint64_t kept = 0;
    int st = SPBPE_OK;
    if (c & 8) { /* the pretokenizer hooks, line by line */
        uint8_t *buf = NULL;
        for (size_t i = 0; i < size && st == SPBPE_OK;) {
            const uint8_t *nl = memchr(data + i, '\n', size - i);
            size_t e = nl ? (size_t)(nl - data) : size;
            const uint8_t *x;
            size_t xn;
            int k = 0;
            st = spbpe_trainer_prepare(t, data + i, e - i, &x, &xn, &k, &err);
            if (st == SPBPE_OK && k) {
                free(buf);
                buf = malloc(2 * xn + 1);
                FUZZ_CHECK(buf != NULL);
                size_t o2 = 0;
                for (size_t j = 0; j < xn; j++) {
                    if (x[j] == 'e') buf[o2++] = 0x1F;
                    buf[o2++] = x[j];
                }
                st = spbpe_trainer_add_prepared(t, buf, o2, 1, &err);
            }
            i = e + 1;
        }
        free(buf);
    } else {
        st = spbpe_trainer_add_lines(t, data, size, &kept, &err);
    }
    if (st == SPBPE_OK && spbpe_trainer_train(t, &err) == SPBPE_OK) {
        size_t n = spbpe_trainer_piece_count(t);
        FUZZ_CHECK(n <= (size_t)o.vocab_size || o.byte_fallback || o.use_all_vocab);
        for (size_t i = 0; i < n; i++) {
            size_t len = 0;
            const uint8_t *p = spbpe_trainer_piece(t, i, &len);
            FUZZ_CHECK(p != NULL && len > 0);
            for (size_t j = 0; j < i && j < 512; j++) {
                size_t l2;
                const uint8_t *q = spbpe_trainer_piece(t, j, &l2);
                FUZZ_CHECK(!(l2 == len && memcmp(p, q, len) == 0));
            }
        }
    } else {
        FUZZ_CHECK(err.message[0] != 0);
    }
    spbpe_trainer_free(t);
    return 0;
}

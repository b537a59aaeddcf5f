/*
 * fuzz_common.h - helpers shared by the libFuzzer targets in fuzz/.
 *
 * Real models are read from files named by environment variables (the
 * harness is not the library, so file I/O is fine here):
 *   SPBPE_FUZZ_MODELS  colon-separated .model paths (fuzz/build.sh sets a
 *                      default at compile time: SPBPE_FUZZ_DEFAULT_MODELS)
 *   SPBPE_FUZZ_DATA    directory with the *.bin charsmaps (spbpe/data)
 * A failed invariant calls abort(), which libFuzzer reports as a crash.
 */
#ifndef SPBPE_FUZZ_COMMON_H
#define SPBPE_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spbpe.h"

#ifndef SPBPE_FUZZ_DEFAULT_MODELS
#define SPBPE_FUZZ_DEFAULT_MODELS ""
#endif
#ifndef SPBPE_FUZZ_DEFAULT_DATA
#define SPBPE_FUZZ_DEFAULT_DATA "spbpe/data"
#endif

#define FUZZ_CHECK(cond)                                                              \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

static inline uint8_t *fuzz_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

#define FUZZ_MAX_MODELS 16
static spbpe_model *fuzz_models[FUZZ_MAX_MODELS];
static int fuzz_model_count;

/* Load every model named by SPBPE_FUZZ_MODELS (once); aborts if none loads. */
static inline void fuzz_load_models(void) {
    if (fuzz_model_count) return;
    const char *env = getenv("SPBPE_FUZZ_MODELS");
    if (!env || !*env) env = SPBPE_FUZZ_DEFAULT_MODELS;
    char *list = strdup(env);
    for (char *save = NULL, *tok = strtok_r(list, ":", &save); tok && fuzz_model_count < FUZZ_MAX_MODELS;
         tok = strtok_r(NULL, ":", &save)) {
        size_t n;
        uint8_t *b = fuzz_read_file(tok, &n);
        if (!b) continue;
        spbpe_error err;
        spbpe_model *m = spbpe_model_new(b, n, &err);
        free(b);
        if (m) fuzz_models[fuzz_model_count++] = m;
        else fprintf(stderr, "fuzz: %s: %s\n", tok, err.message);
    }
    free(list);
    if (!fuzz_model_count) {
        fprintf(stderr, "fuzz: no model loaded; set SPBPE_FUZZ_MODELS=path.model[:...]\n");
        abort();
    }
}

/* The targets' input convention: byte 0 selects a model (low 4 bits) and
 * options (the caller reads the rest of *sel); *data, *size then hold the
 * remaining bytes.  NULL for an empty input. */
static inline const spbpe_model *fuzz_pick_model(const uint8_t **data, size_t *size, uint8_t *sel,
                                                 spbpe_model_info *info) {
    if (*size < 1) return NULL;
    *sel = (*data)[0];
    (*data)++;
    (*size)--;
    const spbpe_model *m = fuzz_models[(*sel & 0x0F) % fuzz_model_count];
    spbpe_model_get_info(m, info);
    return m;
}

/* Reads names[first..end) from $SPBPE_FUZZ_DATA (the charsmaps of
 * spbpe/data) into blobs/lens; a missing file aborts with a message. */
static inline void fuzz_read_data_files(const char *const *names, size_t first, size_t end, uint8_t **blobs,
                                        size_t *lens) {
    const char *dir = getenv("SPBPE_FUZZ_DATA");
    if (!dir || !*dir) dir = SPBPE_FUZZ_DEFAULT_DATA;
    for (size_t i = first; i < end; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        blobs[i] = fuzz_read_file(path, &lens[i]);
        if (!blobs[i]) {
            fprintf(stderr, "fuzz: cannot read %s (set SPBPE_FUZZ_DATA)\n", path);
            abort();
        }
    }
}

/* The trainer options both trainer targets start from: sentencepiece's
 * defaults (ids 0-2 for <unk> <s> </s>, no <pad>, the usual whitespace
 * handling); each target then varies what its input bytes select. */
static inline void fuzz_trainer_defaults(spbpe_trainer_options *o) {
    memset(o, 0, sizeof *o);
    o->character_coverage = 1.0f;
    o->max_sentence_length = 4192;
    o->max_sentencepiece_length = 16;
    o->split_by_unicode_script = 1;
    o->split_by_number = 1;
    o->split_by_whitespace = 1;
    o->unk_id = 0;
    o->bos_id = 1;
    o->eos_id = 2;
    o->pad_id = -1;
    o->unk_piece = (const uint8_t *)"<unk>";
    o->unk_piece_len = 5;
    o->bos_piece = (const uint8_t *)"<s>";
    o->bos_piece_len = 3;
    o->eos_piece = (const uint8_t *)"</s>";
    o->eos_piece_len = 4;
    o->pad_piece = (const uint8_t *)"<pad>";
    o->pad_piece_len = 5;
    o->add_dummy_prefix = 1;
    o->remove_extra_whitespaces = 1;
    o->escape_whitespaces = 1;
}

#endif

/*
 * model/normalizer.h - the precompiled charsmap (charsmap.c) and the
 * normalizer built on it (normalize.c): shared by the model, the standalone
 * normalizer and the trainer.
 */
#ifndef SPBPE_NORMALIZER_H
#define SPBPE_NORMALIZER_H

#include "common/internal.h"

/* ------------------------------------------------------------- charsmap.c */

typedef struct sp_charsmap {
    const uint32_t *units;   /* darts-clone double array (little-endian host copy) */
    size_t unit_count;
    const uint8_t *pool;     /* NUL-terminated replacement strings */
    size_t pool_len;
    uint32_t *owned_units;   /* aligned copy of the units (owned) */
} sp_charsmap;

/* Validate and load a precompiled_charsmap blob (copied). */
int sp_charsmap_init(sp_charsmap *cm, const uint8_t *blob, size_t len, spbpe_error *err);
void sp_charsmap_release(sp_charsmap *cm);
/* darts-clone unit fields */
static inline uint32_t sp_darts_offset(uint32_t u) { return (u >> 10) << ((u & 0x200) >> 6); }
static inline uint32_t sp_darts_label(uint32_t u) { return u & 0x800000FFu; }
static inline int sp_darts_has_leaf(uint32_t u) { return (u >> 8) & 1; }
static inline uint32_t sp_darts_value(uint32_t u) { return u & 0x7FFFFFFFu; }

/* Walk the trie over s[0..n).  Returns how many bytes were walked before
 * the walk stopped (n when every byte matched), sets best_len and best_value
 * to the longest rule seen (best_len 0: none) and *node to where it stopped. */
size_t sp_charsmap_walk(const sp_charsmap *cm, const uint8_t *s, size_t n, size_t *best_len, uint32_t *best_value,
                        size_t *node);
/* Longest rule matching a prefix of s[0..n): returns the matched key length
 * (0 when none) and points out/out_len at the replacement. */
size_t sp_charsmap_longest(const sp_charsmap *cm, const uint8_t *s, size_t n,
                           const uint8_t **out, size_t *out_len);

/* -------------------------------------------------------------- normalize.c */

/* Longest user-defined symbol that is a prefix of text, 0 when none. */
typedef size_t (*sp_prefix_matcher_fn)(const void *ctx, const uint8_t *s, size_t n);

typedef struct sp_normalizer {
    sp_charsmap charsmap;
    int has_charsmap;
    int add_dummy_prefix;
    int remove_extra_whitespaces;
    int escape_whitespaces;
    int treat_whitespace_as_suffix;
    sp_prefix_matcher_fn matcher; /* optional; user-defined symbols pass through */
    const void *matcher_ctx;
    const uint8_t *matcher_first; /* optional 32-byte bitset: the only first bytes the matcher can match */
    uint8_t ascii_alone[128];     /* 1: no charsmap rule for this ASCII byte alone */
    uint64_t ascii_next[128][2];  /* bit c: some charsmap rule starts with this byte then ASCII byte c */
    int ascii_pairs;              /* some ascii_next bit is set */
    int graph_alone;              /* every byte 0x21..0x7E is ascii_alone and ascii_pairs is 0 */
    uint64_t *bmp_plain;          /* 1024 words, owned: bit cp for a 2- or 3-byte code point no charsmap
                                     rule starts with (nor with a prefix of its bytes): copied as it is */
    uint64_t *bmp_prefix;         /* 1024 words after bmp_plain (same block): bit cp when rules only
                                     start with its bytes and continue (kana before a combining mark):
                                     copied as it is unless the walk on from it reaches a rule */
    uint64_t *bmp_next;           /* 1024 words after bmp_prefix: bit cp for a 2- or 3-byte character
                                     whose bytes may continue a rule after a bmp_prefix character */
} sp_normalizer;

/* Output of sp_normalize: caller-owned growable buffers. */
typedef struct sp_normbuf {
    uint8_t *text;
    size_t len, cap;
    uint32_t *align;         /* len + 1 entries after a non-empty result */
    size_t align_len, align_cap;
    uint32_t *starts;        /* SP_NORM_STARTS: offset 0, then every U+2581 not right after another */
    size_t starts_len, starts_cap; /* starts_len = 0: not recorded (the caller scans) */
    int whole_chars;         /* 1: each lead byte is followed by the trail bytes it announces and no
                                trail byte stands alone, so OneCharLen steps start at every non-trail
                                byte (0 when a replacement string or user symbol broke that) */
} sp_normbuf;

int sp_normalizer_init(sp_normalizer *nz, const uint8_t *charsmap, size_t charsmap_len,
                       int add_dummy_prefix, int remove_extra_whitespaces,
                       int escape_whitespaces, int treat_whitespace_as_suffix,
                       spbpe_error *err);
void sp_normalizer_release(sp_normalizer *nz);
int sp_normalize(const sp_normalizer *nz, const uint8_t *in, size_t n, sp_normbuf *out,
                 spbpe_error *err);
/* sp_normalize_ex's `want`: SP_NORM_ALIGN fills the alignment (without it
 * the identity fast path may leave it empty); SP_NORM_STARTS asks the
 * identity fast path to record the word starts (others leave starts_len 0),
 * with room for one more entry after them; SP_NORM_REFERENCE skips the
 * plain-unit copy (normalize_units.c), taking those units through the
 * general step: the twin tests compare that shortcut with. */
enum { SP_NORM_ALIGN = 1, SP_NORM_STARTS = 2, SP_NORM_REFERENCE = 4 };
int sp_normalize_ex(const sp_normalizer *nz, const uint8_t *in, size_t n, sp_normbuf *out, int want,
                    spbpe_error *err);

/* normalize_units.c: the tables of the plain-unit shortcut (-1 when out
 * of memory), and the copy of the units from in[i] that no rule rewrites
 * into out (room for 3 bytes per input byte must be there), spaces
 * squeezed and escaped as the general step does; alignment only when al.
 * Returns where it stopped (i when the unit at i needs the general step). */
int sp_normalizer_units_init(sp_normalizer *nz);
size_t sp_normalize_plain_units(const sp_normalizer *nz, const uint8_t *mfirst, const uint8_t *in, size_t i, size_t n,
                                sp_normbuf *out, int al, int *prev_space);
void sp_normbuf_release(sp_normbuf *b);

#endif /* SPBPE_NORMALIZER_H */

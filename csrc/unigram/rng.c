/*
 * rng.c - spbpe_rng, the seedable generator behind
 * set_random_generator_seed: splitmix64 (one 64-bit state, a Weyl step and
 * a bijective mix), so the same seed gives the same seeds for sampling and
 * BPE-dropout calls in the same order.  The library holds no generator of
 * its own: the binding owns one and draws each call's seed from it.
 */
#include <stdlib.h>

#include "unigram/unigram.h"

struct spbpe_rng {
    uint64_t state;
};

SP_API spbpe_rng *spbpe_rng_new(uint64_t seed) {
    spbpe_rng *r = malloc(sizeof *r);
    if (r) r->state = seed;
    return r;
}

SP_API void spbpe_rng_free(spbpe_rng *rng) { free(rng); }

SP_API uint64_t spbpe_rng_next(spbpe_rng *rng) { return sp_rng_next(&rng->state); }

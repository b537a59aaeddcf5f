/*
 * xorshift.h - the C unit tests' random numbers (xorshift64), each test
 * file with its own seed: define TEST_SEED before including this.
 */
#include <stdint.h>

static uint64_t rng = TEST_SEED;
static uint32_t next(uint32_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

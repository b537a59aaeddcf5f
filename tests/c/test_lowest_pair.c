/*
 * test_lowest_pair.c - the byte merge's search for the pair to merge
 * (csrc/bytelevel/merge_small.c: SSE2 four at a time, AVX2 eight at a time
 * where the CPU has it) against tiktoken's rule spelled out: the lowest
 * rank, at its first place, or none.  Ranks are random, of every length a
 * chunk can have, with ties, NO_RANK runs and the padding the lanes keep;
 * they are stored as the merge stores them (pair_value), so this also
 * checks that the packed minimum is the leftmost of the lowest rank.
 * Built and run by tests/test_c_units.py.
 */
#include <stdio.h>

#include "bytelevel/merge_small.c"

#define TEST_SEED 0x2545F4914F6CDD1DULL
#include "xorshift.h"

int main(void) {
    int32_t raw[SMALL], rank[SMALL + 8];
    size_t cases = 0, differ = 0;
#if LANE_AVX2
    int avx2 = __builtin_cpu_supports("avx2");
#endif
    for (int round = 0; round < 200000; round++) {
        uint32_t count = 1 + next(SMALL - 1); /* n - 1 for a chunk of n = 2..SMALL bytes */
        uint32_t spread = 1 + next(round % 3 == 0 ? 4 : SP_BL_MAX_ID); /* few distinct ranks: ties */
        uint32_t none_rate = next(4);                                  /* 0: none; 3: mostly no pair */
        for (uint32_t i = 0; i < count; i++) raw[i] = next(4) < none_rate ? -1 : (int32_t)next(spread);
        for (uint32_t i = 0; i < count; i++) rank[i] = pair_value(raw[i], i);
        for (uint32_t i = count; i < count + 8 && i < SMALL + 8; i++) rank[i] = NO_RANK;
        int32_t best = -1;
        uint32_t at = 0;
        for (uint32_t i = 0; i < count; i++)
            if (raw[i] >= 0 && (best < 0 || raw[i] < best)) {
                best = raw[i];
                at = i;
            }
        int32_t want = best < 0 ? NO_RANK : pair_value(best, at);
        cases++;
        if (lowest_pair(rank, count) != want) differ++;
#if LANE_AVX2
        if (avx2 && lowest_pair_avx2(rank, count) != want) differ++;
#endif
    }
    printf("lowest_pair: %zu cases, %zu differ\n", cases, differ);
    return differ != 0;
}

/*
 * test_lowest_first.c - the byte merge's search for the lowest pair rank
 * (csrc/bytelevel/merge_small.c: SSE2 four at a time, AVX2 eight at a time
 * where the CPU has it) against the plain loop: the first place of the
 * minimum, or none, on random ranks of every length a chunk can have, with
 * ties, NO_RANK runs and the padding the lanes keep.  Built and run by
 * tests/test_c_units.py.
 */
#include <stdio.h>

#include "bytelevel/merge_small.c"

#define TEST_SEED 0x2545F4914F6CDD1DULL
#include "xorshift.h"

static uint32_t plain_lowest_first(const int32_t *rank, uint32_t count) {
    int32_t best = NO_RANK;
    uint32_t at = NONE;
    for (uint32_t i = 0; i < count; i++)
        if (rank[i] < best) {
            best = rank[i];
            at = i;
        }
    return at;
}

int main(void) {
    int32_t rank[SMALL + 8];
    size_t cases = 0, differ = 0;
#if LANE_AVX2
    int avx2 = __builtin_cpu_supports("avx2");
#endif
    for (int round = 0; round < 200000; round++) {
        uint32_t count = 1 + next(SMALL - 1); /* n - 1 for a chunk of n = 2..SMALL bytes */
        uint32_t spread = 1 + next(round % 3 == 0 ? 4 : 1u << 21); /* few distinct values: ties */
        uint32_t none_rate = next(4);                                /* 0: none; 3: mostly NO_RANK */
        for (uint32_t i = 0; i < count; i++) rank[i] = next(4) < none_rate ? NO_RANK : (int32_t)next(spread);
        for (uint32_t i = count; i < count + 8 && i < SMALL + 8; i++) rank[i] = NO_RANK;
        uint32_t want = plain_lowest_first(rank, count);
        cases++;
        if (lowest_first(rank, count) != want) differ++;
#if LANE_AVX2
        if (avx2 && lowest_first_avx2(rank, count) != want) differ++;
#endif
    }
    printf("lowest_first: %zu cases, %zu differ\n", cases, differ);
    return differ != 0;
}

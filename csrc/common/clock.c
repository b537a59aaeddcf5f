/*
 * clock.c - a monotonic millisecond clock for deadlines (n-best's timeout).
 *
 * sp_clock_ms reads CLOCK_MONOTONIC where POSIX has it (never steps back,
 * unaffected by wall-clock changes) and QueryPerformanceCounter on Windows;
 * elsewhere it falls back to C11 timespec_get (wall time: good enough for
 * a best-effort timeout).  No state: every call reads the clock afresh.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#endif
#include <time.h>

#include "common/internal.h"

#if defined(_WIN32)
#include <windows.h>

uint64_t sp_clock_ms(void) {
    LARGE_INTEGER f, c;
    if (!QueryPerformanceFrequency(&f) || !QueryPerformanceCounter(&c) || f.QuadPart <= 0) return 0;
    return (uint64_t)(c.QuadPart / (f.QuadPart / 1000 ? f.QuadPart / 1000 : 1));
}
#else
uint64_t sp_clock_ms(void) {
    struct timespec ts;
#if defined(CLOCK_MONOTONIC)
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0) return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
#endif
    if (timespec_get(&ts, TIME_UTC) == TIME_UTC) return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    return 0;
}
#endif

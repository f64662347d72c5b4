/* random.c - splitmix64, the one stream behind every seeded draw of
 * gilsim (page bodies, the server's jitter and failures, the virtual
 * engine's latencies): 64 bits of state, a golden-gamma step and a
 * three-round mix (Steele, Lea and Flood, "Fast splittable pseudorandom
 * number generators", OOPSLA 2014). */
#include "base.h"

uint64_t
base_mix64(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

uint64_t
base_splitmix64(uint64_t *state)
{
    uint64_t x = *state;

    *state += UINT64_C(0x9e3779b97f4a7c15);
    return base_mix64(x);
}

//===- Random.cpp - Philox-4x32-10 and Box-Muller -------------------------===//

#include "fgc/Runtime/Random.h"

#include <cmath>

namespace fgc::rt {

PhiloxBlock philox4x32(PhiloxBlock c, std::array<uint32_t, 2> k) {
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = uint64_t(0xD2511F53u) * c[0];
    uint64_t p1 = uint64_t(0xCD9E8D57u) * c[2];
    uint32_t h0 = uint32_t(p0 >> 32), l0 = uint32_t(p0);
    uint32_t h1 = uint32_t(p1 >> 32), l1 = uint32_t(p1);
    c = {h1 ^ c[1] ^ k[0], l1, h0 ^ c[3] ^ k[1], l0};
    if (round < 9) {
      k[0] += 0x9E3779B9u;
      k[1] += 0xBB67AE85u;
    }
  }
  return c;
}

float randomNormal(uint64_t seed, uint64_t step, uint32_t site,
                   uint64_t index) {
  PhiloxBlock out =
      philox4x32({uint32_t(index), uint32_t(index >> 32), uint32_t(step), site},
                 {uint32_t(seed), uint32_t(seed >> 32)});
  float u1 = float((out[0] >> 8) + 1) * (1.0f / 16777216.0f);
  float u2 = float(out[1] >> 8) * (1.0f / 16777216.0f);
  float r = std::sqrt(-2.0f * std::log(u1));
  return r * std::cos(6.2831853f * u2);
}

uint64_t randomBits(uint64_t seed, uint64_t stream, uint64_t index) {
  PhiloxBlock out = philox4x32({uint32_t(index), uint32_t(index >> 32),
                                uint32_t(stream), uint32_t(stream >> 32)},
                               {uint32_t(seed), uint32_t(seed >> 32)});
  return (uint64_t(out[0]) << 32) | out[1];
}

} // namespace fgc::rt

//===- Philox.h - The counter-based generator of fg.random_normal -*- C++ -*-=//
//
// Philox-4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as
// easy as 1, 2, 3", SC'11) and the Box-Muller transform exactly as the
// lowering of fg.random_normal computes them, so that the runtime (data
// shuffling, tests) and compiled code draw the same numbers.
//
// Header-only and dependency-free on purpose: the compiler (initial values
// of parameters and local heads) and the runtime (trainers' data order,
// tests) both include it without either linking the other.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_SUPPORT_PHILOX_H
#define FGC_SUPPORT_PHILOX_H

#include <array>
#include <cmath>
#include <cstdint>

namespace fgc::support {

using PhiloxBlock = std::array<uint32_t, 4>;
using PhiloxKey = std::array<uint32_t, 2>;

/// Ten rounds of Philox-4x32 on `c` with key `k`.
constexpr PhiloxBlock philox4x32(PhiloxBlock c, PhiloxKey k) {
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

/// Box-Muller on two Philox words: u1 in (0, 1] and u2 in [0, 1) from their
/// top 24 bits, then sqrt(-2 ln u1) times cos(2 pi u2), or sin with `sine`.
/// The float expressions are the ones the lowering of fg.random_normal
/// emits, term for term, so that both round the same way; keep them in
/// step with it.
inline float boxMuller(uint32_t radius, uint32_t phase, bool sine) {
  float u1 = float((radius >> 8) + 1) * (1.0f / 16777216.0f);
  float u2 = float(phase >> 8) * (1.0f / 16777216.0f);
  float r = std::sqrt(-2.0f * std::log(u1));
  float angle = 6.2831853f * u2;
  return r * (sine ? std::sin(angle) : std::cos(angle));
}

/// A standard normal number for (seed, step, site, index): Box-Muller on
/// the first two words of Philox block `index`. Initial values of
/// parameters and local heads (fgc --init, fg-localize).
inline float randomNormal(uint64_t seed, uint64_t step, uint32_t site,
                          uint64_t index) {
  PhiloxBlock out =
      philox4x32({uint32_t(index), uint32_t(index >> 32), uint32_t(step), site},
                 {uint32_t(seed), uint32_t(seed >> 32)});
  return boxMuller(out[0], out[1], /*sine=*/false);
}

/// Element `index` (row-major) of fg.random_normal {site} with (seed, step)
/// and `count` elements: with Q = ceil(count / 4) Philox blocks, number
/// index / Q of block index % Q, where a block's numbers are Box-Muller's
/// cosine and sine on its words (0, 1), then on (2, 3). Four numbers per
/// block: a quarter of the Philox rounds and half the logarithms of one
/// number per block, and blocks run along the innermost loop of the
/// lowering, which vectorises.
inline float tensorNormal(uint64_t seed, uint64_t step, uint32_t site,
                          uint64_t index, uint64_t count) {
  uint64_t blocks = (count + 3) / 4, block = index % blocks;
  uint64_t number = index / blocks;
  PhiloxBlock out =
      philox4x32({uint32_t(block), uint32_t(block >> 32), uint32_t(step), site},
                 {uint32_t(seed), uint32_t(seed >> 32)});
  return boxMuller(out[number & 2], out[(number & 2) + 1], number & 1);
}

/// A uniform 64-bit number for (seed, stream, index): data shuffling.
constexpr uint64_t randomBits(uint64_t seed, uint64_t stream, uint64_t index) {
  PhiloxBlock out = philox4x32({uint32_t(index), uint32_t(index >> 32),
                                uint32_t(stream), uint32_t(stream >> 32)},
                               {uint32_t(seed), uint32_t(seed >> 32)});
  return (uint64_t(out[0]) << 32) | out[1];
}

} // namespace fgc::support

#endif // FGC_SUPPORT_PHILOX_H

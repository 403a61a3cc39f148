//===- Random.h - The counter-based generator of fg.random_normal -*- C++
//-*-===//
//
// Philox-4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as
// easy as 1, 2, 3", SC'11) and the Box-Muller transform exactly as the
// lowering of fg.random_normal computes them, so that the runtime (data
// shuffling, tests) and compiled code draw the same numbers.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_RUNTIME_RANDOM_H
#define FGC_RUNTIME_RANDOM_H

#include <array>
#include <cstdint>

namespace fgc::rt {

using PhiloxBlock = std::array<uint32_t, 4>;

/// Ten rounds of Philox-4x32 on `counter` with `key`.
PhiloxBlock philox4x32(PhiloxBlock counter, std::array<uint32_t, 2> key);

/// Element `index` of fg.random_normal {site} with (seed, step).
float randomNormal(uint64_t seed, uint64_t step, uint32_t site, uint64_t index);

/// A uniform 64-bit number for (seed, stream, index): data shuffling.
uint64_t randomBits(uint64_t seed, uint64_t stream, uint64_t index);

} // namespace fgc::rt

#endif // FGC_RUNTIME_RANDOM_H

//===- Random.h - Philox under the runtime's namespace ----------*- C++ -*-===//
//
// The generator lives, header-only, in fgc/Support/Philox.h so that the
// compiler can use it without linking the runtime; these names keep the
// runtime's callers (and tests) compiling unchanged.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_RUNTIME_RANDOM_H
#define FGC_RUNTIME_RANDOM_H

#include "fgc/Support/Philox.h"

namespace fgc::rt {

using support::philox4x32;
using support::PhiloxBlock;
using support::randomBits;
using support::randomNormal;
using support::tensorNormal;

} // namespace fgc::rt

#endif // FGC_RUNTIME_RANDOM_H

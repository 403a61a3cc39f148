//===- Target.cpp - The target seam ---------------------------------------===//

#include "fgc/Target/Target.h"

namespace fgc {

// Out of line: anchors the vtables in the target-neutral library.
JitModule::~JitModule() = default;
Target::~Target() = default;

} // namespace fgc

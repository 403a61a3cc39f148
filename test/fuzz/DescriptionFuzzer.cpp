//===- DescriptionFuzzer.cpp - libFuzzer entry point for descriptions -----===//
//
// Feeds arbitrary bytes to fgc::rt::ModelDescription::parse, the reader of
// the blob fgc embeds in every trainer (TrainerABI.h). It must answer every
// input with a description or a one-line error: a crash, an abort, a leak or
// a sanitizer report is a bug. A description it accepts must serialize back
// to the same header and read back again, and every parameter and the ONNX
// model must lie inside the data section.
//
//===----------------------------------------------------------------------===//

#include "fgc/Runtime/TrainerABI.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A copy of exactly `size` bytes, so that ASan sees any read past them.
  char *copy = static_cast<char *>(std::malloc(size ? size : 1));
  if (size)
    std::memcpy(copy, data, size);
  fgc::rt::ModelDescription d;
  std::string error;
  if (!fgc::rt::ModelDescription::parse(copy, size, d, error)) {
    if (error.empty() || error.find('\n') != std::string::npos)
      std::abort();
    std::free(copy);
    return 0;
  }
  // Touch everything a trainer reads.
  volatile char sink = 0;
  for (const fgc::rt::ParameterEntry &p : d.parameters())
    if (p.size)
      sink ^= d.parameterData(p)[0] ^ d.parameterData(p)[p.size - 1];
  std::string_view onnx = d.onnx();
  if (!onnx.empty())
    sink ^= onnx.front() ^ onnx.back();
  (void)d.facts();
  // What was read serializes back to something that reads back the same.
  std::string again = d.serialize();
  fgc::rt::ModelDescription e;
  std::string error2;
  if (!fgc::rt::ModelDescription::parse(again.data(), again.size(), e,
                                        error2) ||
      e.header() != d.header() ||
      e.parameters().size() != d.parameters().size())
    std::abort();
  std::free(copy);
  return 0;
}

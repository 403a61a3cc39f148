//===- DataFuzzer.cpp - libFuzzer entry point for the data readers --------===//
//
// Feeds arbitrary bytes to the IDX and CIFAR-10 readers of
// lib/Runtime/Data.cpp (plain or gzip: zlib reads both). The readers take
// paths, so the input is written to files (the same paths for the whole
// process). The first byte picks the reader:
//
//   even: loadIdx. Bytes 1-2 (little endian, modulo the rest's size + 1) say
//         how many of the remaining bytes are the image file; the others
//         are the label file.
//   odd:  loadCifar of the rest as one batch, or (byte & 2) as two batches
//         (the same file twice).
//
// A reader must succeed or fail with a message: a crash, an abort, a leak,
// a hang or a sanitizer report is a bug. What a reader returns is then run
// through checkLabels and computeStatistics, and its images through two
// ImageDecoders: as stored (the values must be the bytes' intensities) and
// normalised and fitted to 3 x 32 x 32 by the fit bits 2-3 of the first
// byte pick (grey replicated, padded or resized; or refused with a
// message).
//
//===----------------------------------------------------------------------===//

#include "fgc/Runtime/Data.h"
#include "fgc/Runtime/ImageDecoder.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

std::string imagesPath, labelsPath;

void removeFiles() {
  std::remove(imagesPath.c_str());
  std::remove(labelsPath.c_str());
}

void writeFile(const std::string &path, const uint8_t *data, size_t size) {
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f || (size && std::fwrite(data, 1, size, f) != size) ||
      std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  const char *tmp = std::getenv("TMPDIR");
  std::string dir = tmp && *tmp ? tmp : "/tmp";
  std::string base = dir + "/fgc-data-fuzz-" + std::to_string(::getpid());
  imagesPath = base + "-images";
  labelsPath = base + "-labels";
  std::atexit(removeFiles);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t mode = data[0];
  fgc::rt::Dataset set;
  std::string error;
  bool ok;
  if (mode % 2 == 0) {
    if (size < 3)
      return 0;
    const uint8_t *rest = data + 3;
    size_t restSize = size - 3;
    size_t split = (size_t(data[1]) | size_t(data[2]) << 8) % (restSize + 1);
    writeFile(imagesPath, rest, split);
    writeFile(labelsPath, rest + split, restSize - split);
    ok = fgc::rt::loadIdx(imagesPath, labelsPath, set, error);
  } else {
    writeFile(imagesPath, data + 1, size - 1);
    std::vector<std::string> files = {imagesPath};
    if (mode & 2)
      files.push_back(imagesPath);
    ok = fgc::rt::loadCifar(files, set, error);
  }
  // Every failure must come with a message.
  if (!ok) {
    if (error.empty())
      std::abort();
    return 0;
  }
  // A success must be consistent.
  if (set.count <= 0 || int64_t(set.labels.size()) != set.count ||
      int64_t(set.pixels.size()) != set.count * set.imageSize())
    std::abort();
  std::string labelError;
  if (!fgc::rt::checkLabels(set, 10, labelError) && labelError.empty())
    std::abort();
  std::vector<float> mean, stddev;
  fgc::rt::computeStatistics(set, mean, stddev);
  // Every image decoded as stored (identity statistics: exactly its
  // intensities) and normalised and fitted to 3 x 32 x 32 by the fit that
  // bits 2-3 of the first byte pick (a refused fit is a message).
  std::string what;
  fgc::rt::ImageDecoder stored, fitted;
  if (!stored.plan(set, set.channels, set.height, set.width, fgc::rt::Fit::None,
                   what, error))
    std::abort(); // its own shape always fits
  const fgc::rt::Fit fits[] = {fgc::rt::Fit::Auto, fgc::rt::Fit::Pad,
                               fgc::rt::Fit::Resize, fgc::rt::Fit::None};
  bool fits32 = fitted.plan(set, 3, 32, 32, fits[(mode >> 2) & 3], what, error);
  if (!fits32 && error.empty())
    std::abort();
  if (fits32)
    fitted.setStatistics(mean, stddev);
  std::vector<float> image(stored.size()), fitImage(fitted.size());
  for (int64_t i = 0; i < set.count; ++i) {
    stored.decode(set, i, image.data());
    for (int64_t k = 0; k < set.imageSize(); ++k)
      if (image[k] != fgc::rt::pixelValue(set.pixels[i * set.imageSize() + k]))
        std::abort();
    if (fits32)
      fitted.decode(set, i, fitImage.data());
  }
  return 0;
}

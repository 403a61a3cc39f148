//===- Data.h - Image classification data sets -----------------*- C++ -*-===//
//
// Loading MNIST / Fashion-MNIST (IDX files, plain or gzip) and CIFAR-10
// (binary batches): images [count, C, H, W] kept as the files' bytes, int64
// labels, and the per-channel statistics that normalise them (ImageDecoder.h
// turns one stored image into a model's float input). Plain C++ and zlib:
// trainers link it.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_RUNTIME_DATA_H
#define FGC_RUNTIME_DATA_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace fgc::rt {

struct Dataset {
  int64_t count = 0, channels = 0, height = 0, width = 0;
  /// [count, channels, height, width], the files' bytes: a quarter of the
  /// memory of float32 (CIFAR-10's training set: 154 instead of 614 MB).
  std::vector<uint8_t> pixels;
  std::vector<int64_t> labels;
  /// The files the labels came from: (first example, file), ascending.
  std::vector<std::pair<int64_t, std::string>> labelFiles;
  int64_t imageSize() const { return channels * height * width; }
};

/// A stored byte as an intensity in [0, 1].
inline float pixelValue(uint8_t byte) { return byte / 255.0f; }

/// Reads an IDX image file (magic 0x803, unsigned bytes) and its label file
/// (0x801); either may be gzip-compressed. Errors name the file.
bool loadIdx(const std::string &images, const std::string &labels, Dataset &out,
             std::string &error);

/// Reads CIFAR-10 binary batches (records of 1 label byte + 3072 pixel
/// bytes, R, G, B planes of 32x32).
bool loadCifar(const std::vector<std::string> &files, Dataset &out,
               std::string &error);

/// Checks that every label is in [0, classes) (classes == 0: only that it
/// is not negative); the error names the file holding the bad label (the
/// label file of IDX data, the batch of CIFAR-10) and the example's index
/// in it.
bool checkLabels(const Dataset &set, int64_t classes, std::string &error);

/// The train and test files of a data set in `dir`: "mnist" and
/// "fashion-mnist" ({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]) or
/// "cifar10" (data_batch_{1..5}.bin, test_batch.bin, possibly under
/// cifar-10-batches-bin/). With an empty `dataset` it is detected from the
/// files present (IDX files: "fashion-mnist" if the directory's name says
/// so, else "mnist"). Fails naming the missing file.
struct DataFiles {
  std::string dataset;
  std::vector<std::string> train, test; // images, labels for IDX
};
bool findDataFiles(const std::string &dir, const std::string &dataset,
                   DataFiles &out, std::string &error);

/// Published per-channel mean and standard deviation of a data set's
/// training images; false if none is known.
bool publishedStatistics(const std::string &dataset, std::vector<float> &mean,
                         std::vector<float> &std);
/// Per-channel mean and standard deviation of `data`'s intensities
/// (pixelValue).
void computeStatistics(const Dataset &data, std::vector<float> &mean,
                       std::vector<float> &std);

} // namespace fgc::rt

#endif // FGC_RUNTIME_DATA_H

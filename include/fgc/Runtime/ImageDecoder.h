//===- ImageDecoder.h - A stored image as a model's input -------*- C++ -*-===//
//
// How one image of a data set (the files' bytes, Data.h) becomes the float
// input a model takes: intensities in [0, 1], normalised per stored channel,
// then fitted to the model's [channels, height, width]. Done per image as
// batches are gathered, so that a data set stays resident as bytes and a
// fitted size (224 x 224 for an ImageNet network) never exists for the
// whole set at once.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_RUNTIME_IMAGEDECODER_H
#define FGC_RUNTIME_IMAGEDECODER_H

#include "fgc/Runtime/Data.h"

#include <cstdint>
#include <string>
#include <vector>

namespace fgc::rt {

/// How images are fitted to a model's height and width.
enum class Fit {
  Auto,   // pad when the model's images are at least as large, else resize
  Pad,    // centre, fill with zeros (the mean, after normalisation)
  Resize, // bilinear (half-pixel centres, as torch's align_corners=False)
  None,   // refuse a mismatch
};

class ImageDecoder {
public:
  /// Plans decoding images of `stored`'s shape into [channels, height,
  /// width] when that is unambiguous: one grey channel replicated to three,
  /// then padding or resizing per `fit`. `what` describes the fitting
  /// (empty when the shapes agree); a mismatch it cannot resolve (RGB to
  /// grey, or Fit::None) is an error naming both shapes. Until
  /// setStatistics, the normalisation is the identity.
  bool plan(const Dataset &stored, int64_t channels, int64_t height,
            int64_t width, Fit fit, std::string &what, std::string &error);

  /// Each stored channel c becomes (x - mean[c]) / std[c] (x in [0, 1]),
  /// before the fitting: a padded border is then the mean.
  void setStatistics(std::vector<float> mean, std::vector<float> std);

  /// Floats of one decoded image.
  int64_t size() const { return channels * height * width; }

  /// Writes image `index` of `data` (of the shape plan() was given) to
  /// `out`, size() floats.
  void decode(const Dataset &data, int64_t index, float *out) const;

private:
  /// The stored shape and the decoded one.
  int64_t storedChannels = 0, storedHeight = 0, storedWidth = 0;
  int64_t channels = 0, height = 0, width = 0;
  bool grey = false, pad = false;
  /// Rows and columns of padding before the image.
  int64_t top = 0, left = 0;
  std::vector<float> mean, std;
};

} // namespace fgc::rt

#endif // FGC_RUNTIME_IMAGEDECODER_H

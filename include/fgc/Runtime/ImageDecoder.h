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

/// Planned once per data set (plan, then setStatistics); decode() is const
/// and may run on several threads at once.
class ImageDecoder {
public:
  /// Plans decoding images of `stored`'s shape into [toChannels, toHeight,
  /// toWidth] when that is unambiguous: one grey channel replicated to
  /// three, then padding or resizing per `fit`. `what` describes the
  /// fitting (empty when the shapes agree); a mismatch it cannot resolve
  /// (RGB to grey, or Fit::None) is an error naming both shapes, and leaves
  /// the decoder as it was. A new plan's normalisation is the identity
  /// until setStatistics.
  bool plan(const Dataset &stored, int64_t toChannels, int64_t toHeight,
            int64_t toWidth, Fit fit, std::string &what, std::string &error);

  /// Each stored channel c becomes (x - mean[c]) / stddev[c] (x in [0, 1]),
  /// before the fitting: a padded border is then the mean. One value per
  /// stored channel.
  void setStatistics(const std::vector<float> &mean,
                     const std::vector<float> &stddev);

  /// Floats of one decoded image.
  int64_t size() const { return channels * height * width; }

  /// Writes image `index` of `data` (of the shape plan() was given) to
  /// `out`, size() floats.
  void decode(const Dataset &data, int64_t index, float *out) const;

private:
  /// One output row's or column's bilinear source: lo and hi blended by t.
  struct Tap {
    int64_t lo, hi;
    float t;
  };
  /// The sources of `out` rows (or columns) resized from `in`, half-pixel
  /// centres (source coordinate (i + 0.5) * in / out - 0.5, clamped), as
  /// torch's align_corners=False.
  static std::vector<Tap> taps(int64_t in, int64_t out);

  enum class Kind { Copy, Pad, Resize };
  /// The stored shape and the decoded one.
  int64_t storedChannels = 0, storedHeight = 0, storedWidth = 0;
  int64_t channels = 0, height = 0, width = 0;
  Kind kind = Kind::Copy;
  bool grey = false;
  /// Rows and columns of padding before the image.
  int64_t top = 0, left = 0;
  /// The resize's sources of each output row and column.
  std::vector<Tap> rowTaps, columnTaps;
  /// [storedChannels][256]: each byte's normalised value, the expression the
  /// per-pixel computation would evaluate.
  std::vector<float> normalised;
};

} // namespace fgc::rt

#endif // FGC_RUNTIME_IMAGEDECODER_H

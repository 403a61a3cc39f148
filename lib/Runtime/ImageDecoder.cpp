//===- ImageDecoder.cpp - A stored image as a model's input ---------------===//

#include "fgc/Runtime/ImageDecoder.h"

#include <algorithm>

namespace fgc::rt {

namespace {

std::string shapeText(int64_t c, int64_t h, int64_t w) {
  return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
}

/// One image plane [h, w] to [outH, outW], bilinear with half-pixel
/// centres (source coordinate (i + 0.5) * h / outH - 0.5, clamped).
void resizePlane(const float *in, int64_t h, int64_t w, float *out,
                 int64_t outH, int64_t outW) {
  auto axis = [](int64_t i, int64_t in, int64_t out, int64_t &lo, int64_t &hi,
                 float &t) {
    double x = (double(i) + 0.5) * double(in) / double(out) - 0.5;
    x = std::max(x, 0.0);
    lo = std::min<int64_t>(int64_t(x), in - 1);
    hi = std::min<int64_t>(lo + 1, in - 1);
    t = float(x - double(lo));
  };
  for (int64_t y = 0; y < outH; ++y) {
    int64_t y0, y1;
    float ty;
    axis(y, h, outH, y0, y1, ty);
    for (int64_t x = 0; x < outW; ++x) {
      int64_t x0, x1;
      float tx;
      axis(x, w, outW, x0, x1, tx);
      float top = in[y0 * w + x0] * (1 - tx) + in[y0 * w + x1] * tx;
      float bottom = in[y1 * w + x0] * (1 - tx) + in[y1 * w + x1] * tx;
      out[y * outW + x] = top * (1 - ty) + bottom * ty;
    }
  }
}

} // namespace

bool ImageDecoder::plan(const Dataset &stored, int64_t channels, int64_t height,
                        int64_t width, Fit fit, std::string &what,
                        std::string &error) {
  what.clear();
  const std::string from =
      shapeText(stored.channels, stored.height, stored.width);
  const std::string to = shapeText(channels, height, width);
  bool grey = stored.channels == 1 && channels == 3;
  bool sized = stored.height == height && stored.width == width;
  if ((stored.channels != channels && !grey) || (fit == Fit::None && !sized) ||
      (fit == Fit::None && grey)) {
    error = "images are " + from + ", the model takes " + to +
            (stored.channels != channels && !grey
                 ? " (only one grey channel can be replicated to three)"
                 : " (--fit=none)");
    return false;
  }
  bool pad = !sized &&
             (fit == Fit::Pad || (fit == Fit::Auto && height >= stored.height &&
                                  width >= stored.width));
  if (pad && (height < stored.height || width < stored.width)) {
    error = "images are " + from + ", the model takes " + to +
            ": --fit=pad cannot shrink them (use --fit=resize)";
    return false;
  }
  storedChannels = stored.channels;
  storedHeight = stored.height;
  storedWidth = stored.width;
  this->channels = channels;
  this->height = height;
  this->width = width;
  this->grey = grey;
  this->pad = pad;
  top = (height - stored.height) / 2;
  left = (width - stored.width) / 2;
  setStatistics(std::vector<float>(storedChannels, 0.0f),
                std::vector<float>(storedChannels, 1.0f));
  std::string steps;
  if (grey)
    steps = "grey replicated to 3 channels";
  if (!sized)
    steps +=
        std::string(steps.empty() ? "" : ", ") +
        (pad ? "zero-padded (after normalisation) by " + std::to_string(top) +
                   " rows and " + std::to_string(left) + " columns before"
             : "resized bilinearly");
  if (!steps.empty())
    what = from + " -> " + to + ": " + steps;
  return true;
}

void ImageDecoder::setStatistics(std::vector<float> mean,
                                 std::vector<float> std) {
  this->mean = std::move(mean);
  this->std = std::move(std);
}

void ImageDecoder::decode(const Dataset &data, int64_t index,
                          float *out) const {
  const int64_t inPlane = storedHeight * storedWidth, outPlane = height * width;
  const bool sized = storedHeight == height && storedWidth == width;
  std::vector<float> plane(sized ? 0 : inPlane);
  for (int64_t c = 0; c < channels; ++c) {
    const int64_t from = grey ? 0 : c;
    const uint8_t *in = &data.pixels[(index * storedChannels + from) * inPlane];
    float *o = out + c * outPlane;
    // Normalised where it is read from: in place when nothing moves.
    float *normalised = sized ? o : plane.data();
    for (int64_t k = 0; k < inPlane; ++k)
      normalised[k] = (pixelValue(in[k]) - mean[from]) / std[from];
    if (sized)
      continue;
    if (pad) {
      std::fill(o, o + outPlane, 0.0f);
      for (int64_t y = 0; y < storedHeight; ++y)
        std::copy(plane.data() + y * storedWidth,
                  plane.data() + (y + 1) * storedWidth,
                  o + (y + top) * width + left);
    } else {
      resizePlane(plane.data(), storedHeight, storedWidth, o, height, width);
    }
  }
}

} // namespace fgc::rt

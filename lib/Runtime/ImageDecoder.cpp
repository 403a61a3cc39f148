//===- ImageDecoder.cpp - A stored image as a model's input ---------------===//

#include "fgc/Runtime/ImageDecoder.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace fgc::rt {

namespace {

std::string shapeText(int64_t c, int64_t h, int64_t w) {
  return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
}

} // namespace

std::vector<ImageDecoder::Tap> ImageDecoder::taps(int64_t in, int64_t out) {
  std::vector<Tap> result(out);
  for (int64_t i = 0; i < out; ++i) {
    double x = (double(i) + 0.5) * double(in) / double(out) - 0.5;
    x = std::max(x, 0.0);
    Tap &tap = result[i];
    tap.lo = std::min<int64_t>(int64_t(x), in - 1);
    tap.hi = std::min<int64_t>(tap.lo + 1, in - 1);
    tap.t = float(x - double(tap.lo));
  }
  return result;
}

bool ImageDecoder::plan(const Dataset &stored, int64_t toChannels,
                        int64_t toHeight, int64_t toWidth, Fit fit,
                        std::string &what, std::string &error) {
  what.clear();
  const std::string from =
      shapeText(stored.channels, stored.height, stored.width);
  const std::string to = shapeText(toChannels, toHeight, toWidth);
  const bool toGrey = stored.channels == 1 && toChannels == 3;
  const bool sized = stored.height == toHeight && stored.width == toWidth;
  if ((stored.channels != toChannels && !toGrey) ||
      (fit == Fit::None && !sized) || (fit == Fit::None && toGrey)) {
    error = "images are " + from + ", the model takes " + to +
            (stored.channels != toChannels && !toGrey
                 ? " (only one grey channel can be replicated to three)"
                 : " (--fit=none)");
    return false;
  }
  const bool toPad = !sized && (fit == Fit::Pad || (fit == Fit::Auto &&
                                                    toHeight >= stored.height &&
                                                    toWidth >= stored.width));
  if (toPad && (toHeight < stored.height || toWidth < stored.width)) {
    error = "images are " + from + ", the model takes " + to +
            ": --fit=pad cannot shrink them (use --fit=resize)";
    return false;
  }
  storedChannels = stored.channels;
  storedHeight = stored.height;
  storedWidth = stored.width;
  channels = toChannels;
  height = toHeight;
  width = toWidth;
  grey = toGrey;
  kind = sized ? Kind::Copy : toPad ? Kind::Pad : Kind::Resize;
  top = (height - storedHeight) / 2;
  left = (width - storedWidth) / 2;
  rowTaps.clear();
  columnTaps.clear();
  if (kind == Kind::Resize) {
    rowTaps = taps(storedHeight, height);
    columnTaps = taps(storedWidth, width);
  }
  setStatistics(std::vector<float>(storedChannels, 0.0f),
                std::vector<float>(storedChannels, 1.0f));
  std::string steps;
  if (grey)
    steps = "grey replicated to 3 channels";
  if (!sized)
    steps +=
        std::string(steps.empty() ? "" : ", ") +
        (toPad ? "zero-padded (after normalisation) by " + std::to_string(top) +
                     " rows and " + std::to_string(left) + " columns before"
               : "resized bilinearly");
  if (!steps.empty())
    what = from + " -> " + to + ": " + steps;
  return true;
}

void ImageDecoder::setStatistics(const std::vector<float> &mean,
                                 const std::vector<float> &stddev) {
  assert(int64_t(mean.size()) == storedChannels &&
         int64_t(stddev.size()) == storedChannels &&
         "one statistic per stored channel");
  normalised.resize(storedChannels * 256);
  for (int64_t c = 0; c < storedChannels; ++c)
    for (int b = 0; b < 256; ++b)
      normalised[c * 256 + b] = (pixelValue(uint8_t(b)) - mean[c]) / stddev[c];
}

void ImageDecoder::decode(const Dataset &data, int64_t index,
                          float *out) const {
  assert(data.channels == storedChannels && data.height == storedHeight &&
         data.width == storedWidth && index >= 0 && index < data.count &&
         "an image of the planned shape");
  const int64_t inPlane = storedHeight * storedWidth, outPlane = height * width;
  // A grey image is decoded once, then replicated.
  const int64_t decoded = grey ? 1 : channels;
  for (int64_t c = 0; c < decoded; ++c) {
    const uint8_t *in = &data.pixels[(index * storedChannels + c) * inPlane];
    const float *value = &normalised[c * 256];
    float *o = out + c * outPlane;
    switch (kind) {
    case Kind::Copy:
      for (int64_t k = 0; k < inPlane; ++k)
        o[k] = value[in[k]];
      break;
    case Kind::Pad:
      std::fill(o, o + outPlane, 0.0f);
      for (int64_t y = 0; y < storedHeight; ++y)
        for (int64_t x = 0; x < storedWidth; ++x)
          o[(y + top) * width + left + x] = value[in[y * storedWidth + x]];
      break;
    case Kind::Resize:
      for (int64_t y = 0; y < height; ++y) {
        const Tap &ty = rowTaps[y];
        const uint8_t *r0 = in + ty.lo * storedWidth,
                      *r1 = in + ty.hi * storedWidth;
        for (int64_t x = 0; x < width; ++x) {
          const Tap &tx = columnTaps[x];
          float up = value[r0[tx.lo]] * (1 - tx.t) + value[r0[tx.hi]] * tx.t;
          float down = value[r1[tx.lo]] * (1 - tx.t) + value[r1[tx.hi]] * tx.t;
          o[y * width + x] = up * (1 - ty.t) + down * ty.t;
        }
      }
      break;
    }
  }
  for (int64_t c = decoded; c < channels; ++c)
    std::memcpy(out + c * outPlane, out, outPlane * sizeof(float));
}

} // namespace fgc::rt

//===- DataTest.cpp - A stored image as a model's input -------------------===//
//
// rt::ImageDecoder against values computed independently: PyTorch's
// F.interpolate(mode="bilinear", align_corners=False) for resizing, the
// obvious arrays for replication and padding, and torchvision's
// Normalize(mean, std) after ToTensor() (x / 255) for normalisation.
//
//===----------------------------------------------------------------------===//

#include "fgc/Runtime/ImageDecoder.h"

#include <gtest/gtest.h>

using namespace fgc::rt;

namespace {

/// `count` images whose bytes count up from 0.
Dataset grid(int64_t count, int64_t c, int64_t h, int64_t w) {
  Dataset d;
  d.count = count;
  d.channels = c;
  d.height = h;
  d.width = w;
  for (int64_t i = 0; i < count * c * h * w; ++i)
    d.pixels.push_back(uint8_t(i));
  return d;
}

/// Image `index` of `d` through `decoder`.
std::vector<float> decoded(const ImageDecoder &decoder, const Dataset &d,
                           int64_t index) {
  std::vector<float> out(decoder.size(), -1.0f);
  decoder.decode(d, index, out.data());
  return out;
}

/// Statistics that turn a byte b back into b (x = b / 255, std = 1 / 255),
/// so that the fitting is checked on the stored values.
void asBytes(ImageDecoder &decoder, int64_t channels) {
  decoder.setStatistics(std::vector<float>(channels, 0.0f),
                        std::vector<float>(channels, 1.0f / 255.0f));
}

} // namespace

TEST(ImageDecoder, ReplicatesGreyAndPadsCentred) {
  Dataset d = grid(2, 1, 2, 2);
  ImageDecoder decoder;
  std::string what, error;
  ASSERT_TRUE(decoder.plan(d, 3, 4, 5, Fit::Auto, what, error)) << error;
  EXPECT_EQ(what, "1x2x2 -> 3x4x5: grey replicated to 3 channels, "
                  "zero-padded (after normalisation) by 1 rows and 1 "
                  "columns before");
  ASSERT_EQ(decoder.size(), 3 * 4 * 5);
  asBytes(decoder, 1);
  // Image 1, every channel: rows 1-2, columns 1-2 hold 4 5 / 6 7.
  std::vector<float> image = decoded(decoder, d, 1);
  for (int c = 0; c < 3; ++c) {
    std::vector<float> want = {0, 0, 0, 0, 0, 0, 4, 5, 0, 0,
                               0, 6, 7, 0, 0, 0, 0, 0, 0, 0};
    for (int k = 0; k < 20; ++k)
      EXPECT_NEAR(image[c * 20 + k], want[k], 1e-5)
          << "channel " << c << " element " << k;
  }
}

TEST(ImageDecoder, ResizesLikeTorchBilinear) {
  // F.interpolate(torch.tensor([[[[0., 1], [2, 3]]]]), size=(4, 4),
  //               mode="bilinear", align_corners=False)
  Dataset d = grid(1, 1, 2, 2);
  ImageDecoder decoder;
  std::string what, error;
  ASSERT_TRUE(decoder.plan(d, 1, 4, 4, Fit::Resize, what, error)) << error;
  asBytes(decoder, 1);
  std::vector<float> up = {0.0, 0.25, 0.75, 1.0, 0.5, 0.75, 1.25, 1.5,
                           1.5, 1.75, 2.25, 2.5, 2.0, 2.25, 2.75, 3.0};
  std::vector<float> image = decoded(decoder, d, 0);
  for (size_t i = 0; i < up.size(); ++i)
    EXPECT_NEAR(image[i], up[i], 1e-5) << i;
  // torch.arange(16.).reshape(1, 1, 4, 4) to (3, 2): shrinking resizes
  // under Fit::Auto.
  Dataset e = grid(1, 1, 4, 4);
  ImageDecoder shrink;
  ASSERT_TRUE(shrink.plan(e, 1, 3, 2, Fit::Auto, what, error)) << error;
  EXPECT_EQ(what, "1x4x4 -> 1x3x2: resized bilinearly");
  asBytes(shrink, 1);
  std::vector<float> down = {1.1666667f, 3.1666667f, 6.5f,
                             8.5f,       11.833334f, 13.833334f};
  image = decoded(shrink, e, 0);
  for (size_t i = 0; i < down.size(); ++i)
    EXPECT_NEAR(image[i], down[i], 1e-5) << i;
  // The second of two images: its own bytes (16..31), the same weights.
  Dataset two = grid(2, 1, 4, 4);
  image = decoded(shrink, two, 1);
  for (size_t i = 0; i < down.size(); ++i)
    EXPECT_NEAR(image[i], down[i] + 16, 1e-5) << i;
}

TEST(ImageDecoder, NormalisesEachStoredChannelBeforeFitting) {
  // torchvision: Normalize(mean, std)(ToTensor()(img)) on the 2 RGB images
  // of bytes 0..23: (b / 255 - mean[c]) / std[c], here in float64.
  Dataset d = grid(2, 3, 2, 2);
  ImageDecoder decoder;
  std::string what, error;
  ASSERT_TRUE(decoder.plan(d, 3, 2, 2, Fit::None, what, error)) << error;
  EXPECT_TRUE(what.empty());
  std::vector<float> mean = {0.4914f, 0.4822f, 0.4465f},
                     std = {0.2023f, 0.1994f, 0.2010f};
  decoder.setStatistics(mean, std);
  std::vector<float> image = decoded(decoder, d, 1);
  for (int c = 0; c < 3; ++c)
    for (int k = 0; k < 4; ++k) {
      int b = 12 + c * 4 + k;
      EXPECT_NEAR(image[c * 4 + k], (b / 255.0 - mean[c]) / std[c], 1e-5)
          << "channel " << c << " element " << k;
      // Bit for bit the float expression the trainer evaluated per pixel
      // when it held the whole set normalised.
      float x = uint8_t(b) / 255.0f;
      EXPECT_EQ(image[c * 4 + k], (x - mean[c]) / std[c]);
    }
  // A grey image replicated to three channels uses its one channel's
  // statistics; the padding is 0, the mean.
  Dataset g = grid(1, 1, 1, 1);
  g.pixels = {255};
  ImageDecoder grey;
  ASSERT_TRUE(grey.plan(g, 3, 1, 3, Fit::Pad, what, error)) << error;
  grey.setStatistics({0.5f}, {0.25f});
  image = decoded(grey, g, 0);
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(image[c * 3], 0.0f);
    EXPECT_NEAR(image[c * 3 + 1], 2.0, 1e-6);
    EXPECT_EQ(image[c * 3 + 2], 0.0f);
  }
}

TEST(ImageDecoder, RefusesWhatIsAmbiguous) {
  std::string what, error;
  ImageDecoder decoder;
  Dataset rgb = grid(1, 3, 2, 2);
  EXPECT_FALSE(decoder.plan(rgb, 1, 2, 2, Fit::Auto, what, error));
  EXPECT_EQ(error, "images are 3x2x2, the model takes 1x2x2 (only one grey "
                   "channel can be replicated to three)");
  Dataset grey = grid(1, 1, 2, 2);
  EXPECT_FALSE(decoder.plan(grey, 1, 3, 3, Fit::None, what, error));
  EXPECT_EQ(error, "images are 1x2x2, the model takes 1x3x3 (--fit=none)");
  EXPECT_FALSE(decoder.plan(grey, 1, 1, 1, Fit::Pad, what, error));
  EXPECT_EQ(error, "images are 1x2x2, the model takes 1x1x1: --fit=pad "
                   "cannot shrink them (use --fit=resize)");
  // Nothing to do is not an error and says nothing.
  EXPECT_TRUE(decoder.plan(grey, 1, 2, 2, Fit::None, what, error));
  EXPECT_TRUE(what.empty());
}

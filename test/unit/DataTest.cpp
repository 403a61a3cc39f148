//===- DataTest.cpp - Fitting data sets to a model's input ----------------===//
//
// rt::adaptImages against values computed independently: PyTorch's
// F.interpolate(mode="bilinear", align_corners=False) for resizing, and
// the obvious arrays for replication and padding.
//
//===----------------------------------------------------------------------===//

#include "fgc/Runtime/Data.h"

#include <gtest/gtest.h>

using namespace fgc::rt;

namespace {

Dataset grid(int64_t count, int64_t c, int64_t h, int64_t w) {
  Dataset d;
  d.count = count;
  d.channels = c;
  d.height = h;
  d.width = w;
  for (int64_t i = 0; i < count * c * h * w; ++i)
    d.images.push_back(float(i));
  return d;
}

} // namespace

TEST(AdaptImages, ReplicatesGreyAndPadsCentred) {
  Dataset d = grid(2, 1, 2, 2);
  std::string what, error;
  ASSERT_TRUE(adaptImages(d, 3, 4, 5, Fit::Auto, what, error)) << error;
  EXPECT_EQ(what, "1x2x2 -> 3x4x5: grey replicated to 3 channels, "
                  "zero-padded (after normalisation) by 1 rows and 1 "
                  "columns before");
  ASSERT_EQ(d.images.size(), 2u * 3 * 4 * 5);
  // Image 1, every channel: rows 1-2, columns 1-2 hold 4 5 / 6 7.
  for (int c = 0; c < 3; ++c) {
    const float *p = &d.images[(1 * 3 + c) * 20];
    std::vector<float> want = {0, 0, 0, 0, 0, 0, 4, 5, 0, 0,
                               0, 6, 7, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(std::vector<float>(p, p + 20), want) << "channel " << c;
  }
}

TEST(AdaptImages, ResizesLikeTorchBilinear) {
  // F.interpolate(torch.tensor([[[[0., 1], [2, 3]]]]), size=(4, 4),
  //               mode="bilinear", align_corners=False)
  Dataset d = grid(1, 1, 2, 2);
  std::string what, error;
  ASSERT_TRUE(adaptImages(d, 1, 4, 4, Fit::Resize, what, error)) << error;
  std::vector<float> up = {0.0, 0.25, 0.75, 1.0, 0.5, 0.75, 1.25, 1.5,
                           1.5, 1.75, 2.25, 2.5, 2.0, 2.25, 2.75, 3.0};
  for (size_t i = 0; i < up.size(); ++i)
    EXPECT_NEAR(d.images[i], up[i], 1e-6) << i;
  // torch.arange(16.).reshape(1, 1, 4, 4) to (3, 2): shrinking resizes
  // under Fit::Auto.
  Dataset e = grid(1, 1, 4, 4);
  ASSERT_TRUE(adaptImages(e, 1, 3, 2, Fit::Auto, what, error)) << error;
  std::vector<float> down = {1.1666667f, 3.1666667f, 6.5f,
                             8.5f,       11.833334f, 13.833334f};
  for (size_t i = 0; i < down.size(); ++i)
    EXPECT_NEAR(e.images[i], down[i], 1e-5) << i;
}

TEST(AdaptImages, RefusesWhatIsAmbiguous) {
  std::string what, error;
  Dataset rgb = grid(1, 3, 2, 2);
  EXPECT_FALSE(adaptImages(rgb, 1, 2, 2, Fit::Auto, what, error));
  EXPECT_EQ(error, "images are 3x2x2, the model takes 1x2x2 (only one grey "
                   "channel can be replicated to three)");
  Dataset grey = grid(1, 1, 2, 2);
  EXPECT_FALSE(adaptImages(grey, 1, 3, 3, Fit::None, what, error));
  EXPECT_EQ(error, "images are 1x2x2, the model takes 1x3x3 (--fit=none)");
  EXPECT_FALSE(adaptImages(grey, 1, 1, 1, Fit::Pad, what, error));
  EXPECT_EQ(error, "images are 1x2x2, the model takes 1x1x1: --fit=pad "
                   "cannot shrink them (use --fit=resize)");
  // Nothing to do is not an error and says nothing.
  EXPECT_TRUE(adaptImages(grey, 1, 2, 2, Fit::None, what, error));
  EXPECT_TRUE(what.empty());
}

//===- DialectTest.cpp - Unit tests of the fg dialect's shape rules -------===//

#include "fgc/Dialect/FG/IR/FGDialect.h"
#include "fgc/Dialect/FG/IR/FGOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace fgc;

TEST(BroadcastShapes, NumpyRules) {
  auto r = fg::broadcastShapes({2, 1, 4}, {3, 1});
  ASSERT_TRUE(succeeded(r));
  EXPECT_EQ(*r, (SmallVector<int64_t>{2, 3, 4}));
  EXPECT_EQ(*fg::broadcastShapes({}, {5}), (SmallVector<int64_t>{5}));
  EXPECT_TRUE(failed(fg::broadcastShapes({2, 3}, {4})));
}

TEST(SlidingWindow, FloorAndCeil) {
  // PyTorch: Conv2d(k=3, p=1) keeps 28; MaxPool(2) halves.
  EXPECT_EQ(fg::slidingWindowOutputSize(28, 3, 1, 1, 1, 1, false), 28);
  EXPECT_EQ(fg::slidingWindowOutputSize(28, 2, 2, 0, 0, 1, false), 14);
  // ONNX test_maxpool_2d_ceil: 4x4 input, k=3, s=2 -> 2 with ceil, 1 floor.
  EXPECT_EQ(fg::slidingWindowOutputSize(4, 3, 2, 0, 0, 1, true), 2);
  EXPECT_EQ(fg::slidingWindowOutputSize(4, 3, 2, 0, 0, 1, false), 1);
  // Dilation 2 turns k=2 into a span of 3.
  EXPECT_EQ(fg::slidingWindowOutputSize(4, 2, 1, 0, 0, 2, false), 2);
  // The window does not fit.
  EXPECT_LT(fg::slidingWindowOutputSize(2, 3, 1, 0, 0, 1, false), 0);
}

TEST(ShortestDouble, RoundsSinglePrecisionValues) {
  EXPECT_EQ(fg::shortestDouble(APFloat(1e-5f)), 1e-5);
  EXPECT_EQ(fg::shortestDouble(APFloat(0.1f)), 0.1);
  EXPECT_EQ(fg::shortestDouble(APFloat(0.1)), 0.1);
}

class FGBuilderTest : public ::testing::Test {
protected:
  FGBuilderTest() : builder(&ctx) {
    ctx.loadDialect<fg::FGDialect, func::FuncDialect>();
  }
  RankedTensorType f32(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, builder.getF32Type());
  }
  MLIRContext ctx;
  OpBuilder builder;
};

TEST_F(FGBuilderTest, InferredBuildersGiveStaticTypes) {
  Location loc = builder.getUnknownLoc();
  auto module = ModuleOp::create(loc);
  builder.setInsertionPointToEnd(module.getBody());
  auto fn = func::FuncOp::create(
      builder, loc, "f",
      builder.getFunctionType({f32({8, 3, 4}), f32({4, 5})}, {}));
  Block *entry = fn.addEntryBlock();
  builder.setInsertionPointToEnd(entry);
  Value mm = fg::MatMulOp::create(builder, loc, entry->getArgument(0),
                                  entry->getArgument(1));
  EXPECT_EQ(mm.getType(), f32({8, 3, 5}));
  Value t = fg::TransposeOp::create(builder, loc, mm,
                                    builder.getDenseI64ArrayAttr({2, 0, 1}));
  EXPECT_EQ(t.getType(), f32({5, 8, 3}));
  Value r = fg::ReduceMeanOp::create(builder, loc, t,
                                     builder.getDenseI64ArrayAttr({1}),
                                     builder.getBoolAttr(false));
  EXPECT_EQ(r.getType(), f32({5, 3}));
  func::ReturnOp::create(builder, loc, ValueRange{});
  EXPECT_TRUE(succeeded(verify(module)));
  module->erase();
}

TEST_F(FGBuilderTest, FoldsShapeArithmetic) {
  Location loc = builder.getUnknownLoc();
  auto module = ModuleOp::create(loc);
  builder.setInsertionPointToEnd(module.getBody());
  auto fn = func::FuncOp::create(builder, loc, "f",
                                 builder.getFunctionType({f32({6, 7})}, {}));
  Block *entry = fn.addEntryBlock();
  builder.setInsertionPointToEnd(entry);
  // shape(x)[1] * 2 folds to the constant 14.
  Value shape = builder.createOrFold<fg::ShapeOp>(loc, entry->getArgument(0));
  auto i64 = RankedTensorType::get({}, builder.getI64Type());
  Value one = fg::ConstantOp::create(builder, loc,
                                     DenseElementsAttr::get(i64, int64_t(1)));
  Value dim = builder.createOrFold<fg::GatherOp>(loc, shape, one,
                                                 builder.getI64IntegerAttr(0));
  Value two = fg::ConstantOp::create(builder, loc,
                                     DenseElementsAttr::get(i64, int64_t(2)));
  Value product = builder.createOrFold<fg::MulOp>(loc, dim, two);
  DenseIntElementsAttr value;
  auto constant = product.getDefiningOp<fg::ConstantOp>();
  ASSERT_TRUE(constant);
  value = cast<DenseIntElementsAttr>(constant.getValue());
  EXPECT_EQ(*value.getValues<int64_t>().begin(), 14);
  func::ReturnOp::create(builder, loc, ValueRange{});
  module->erase();
}

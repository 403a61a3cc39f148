//===- fgc-opt.cpp - mlir-opt for the fgc dialects and passes -------------===//

#include "fgc/Conversion/Passes.h"
#include "fgc/Dialect/FG/IR/FGDialect.h"
#include "fgc/Dialect/FG/Transforms/Passes.h"
#include "fgc/Pipelines/Pipelines.h"
#include "fgc/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<fgc::fg::FGDialect>();
  // Upstream dialects and passes, so that every stage of fgc's pipeline can
  // be reproduced (and bisected) with fgc-opt.
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllPasses();
  fgc::fg::registerFGPasses();
  fgc::registerFGCConversionPasses();
  fgc::registerFGCTransformsPasses();
  // fgc-import-cleanup, fgc-training, fgc-linalg, ...: the phases of
  // `fgc compile`, so that each --emit= stage can be reproduced here.
  fgc::registerPipelines();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "fgc optimizer driver\n", registry));
}

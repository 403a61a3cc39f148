//===- fgc-opt.cpp - mlir-opt for the fgc dialects and passes -------------===//

#include "fgc/Dialect/FG/IR/FGDialect.h"
#include "fgc/Dialect/FG/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<fgc::fg::FGDialect, mlir::func::FuncDialect>();
  mlir::registerTransformsPasses();
  fgc::fg::registerFGPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "fgc optimizer driver\n", registry));
}

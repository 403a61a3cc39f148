//===- Common.h - What the fgc subcommands share ----------------*- C++ -*-===//

#ifndef FGC_LIB_DRIVER_COMMON_H
#define FGC_LIB_DRIVER_COMMON_H

#include "fgc/Driver/Driver.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <string>
#include <vector>

namespace fgc::driver {

/// Writes `print`'s output to `path` ("-": stdout); the file is kept only
/// when everything was written. False after reporting an error.
bool writeOutput(const std::string &path,
                 llvm::function_ref<void(llvm::raw_ostream &)> print);

rt::Tensor tensorFromAttr(mlir::DenseElementsAttr attr);
mlir::DenseElementsAttr attrFromTensor(mlir::MLIRContext &ctx,
                                       const rt::Tensor &t);

/// Replaces parameter values from `source`: an ONNX model (initializers by
/// name) or a directory of <name>.npy / <name>.pb files. False after
/// reporting an error.
bool overrideParams(mlir::MLIRContext &ctx, const std::string &source,
                    std::map<std::string, rt::Tensor> &params);

/// A file name for an output: path separators and odd characters become _.
std::string outputFileName(const std::string &name);

} // namespace fgc::driver

#endif // FGC_LIB_DRIVER_COMMON_H

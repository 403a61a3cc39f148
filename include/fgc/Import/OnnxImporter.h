//===- OnnxImporter.h - ONNX to fg import -----------------------*- C++ -*-===//
//
// Reads ONNX models (binary ModelProto or ONNX textual syntax) into the fg
// dialect: one func.func @forward whose arguments are the graph inputs and
// whose results are the graph outputs, with the initializers as module-level
// fg.parameter symbols. All shapes are made static at import time. The
// importer only builds IR: canonicalization and the fusion of decomposed
// layer norms are the pipeline's first phase (fgc/Pipelines/Pipelines.h).
//
//===----------------------------------------------------------------------===//

#ifndef FGC_IMPORT_ONNXIMPORTER_H
#define FGC_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace fgc {

/// Options that make an ONNX graph static and shape the imported IR.
struct ImportOptions {
  /// Replaces the leading dimension of every graph input: a symbolic one,
  /// or a static one the model was exported with (when the graph does not
  /// depend on it; an import that then fails says so).
  std::optional<int64_t> batchSize;
  /// A symbolic leading dimension without batchSize gets this value (for
  /// `fgc inspect`, whose parameter counts do not depend on it).
  std::optional<int64_t> assumedBatchSize;
  /// Full static shapes for named graph inputs; wins over batchSize.
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// Convert models below opset 13 to opset 13 with ONNX's version
  /// converter instead of rejecting them.
  bool upgradeOpset = false;
  /// Graph inputs replaced by these constant values (e.g. a Reshape's shape
  /// or Slice's starts given as an input): they are not arguments.
  llvm::StringMap<mlir::DenseElementsAttr> constantInputs;
  /// How messages name the source of inputShapes ("--input-shape" for
  /// `fgc import`, "--input" for `fgc run`, which takes shapes from files).
  std::string shapeFlag = "--input-shape";
  /// Keep the (binary) ModelProto in ImportResult::modelBytes: trainers
  /// embed it to export the trained model.
  bool keepModelBytes = false;
};

/// The outcome of an import. On failure `module` is null and `error` is one
/// line naming the source, and the node or input at fault.
struct ImportResult {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string error;
  /// The imported ModelProto, serialized (with ImportOptions::keepModelBytes).
  std::string modelBytes;
  /// Non-fatal remarks (e.g. PyTorch quirks that were accepted).
  llvm::SmallVector<std::string> warnings;
  /// ImportOptions::assumedBatchSize was used.
  bool batchAssumed = false;
};

/// Imports an ONNX model held in memory. `sourceName` names it in messages
/// and selects the syntax: names ending in ".onnxtxt" or ".txt" are parsed
/// as ONNX textual syntax; otherwise the bytes are read as a binary
/// ModelProto (falling back to text when they are not one but look like it).
ImportResult importOnnx(mlir::MLIRContext &context, llvm::StringRef bytes,
                        llvm::StringRef sourceName,
                        const ImportOptions &options = {});

/// Reads `path` (or standard input for "-") and imports it.
ImportResult importOnnxFile(mlir::MLIRContext &context, llvm::StringRef path,
                            const ImportOptions &options = {});

/// Adds the dialects imported IR uses to `registry`.
void registerImportDialects(mlir::DialectRegistry &registry);

/// One supported ONNX operator, for documentation and `fgc import --list-ops`.
struct OpSupport {
  llvm::StringRef opType;
  /// Attributes the importer reads; any other attribute is rejected by name.
  llvm::SmallVector<llvm::StringRef> attributes;
  /// Restrictions on attribute or input values, empty when there are none.
  llvm::StringRef notes;
};

/// The ONNX operators (default domain, opsets kMinOpset..kMaxOpset) the
/// importer converts, sorted by name.
llvm::SmallVector<OpSupport> getSupportedOps();

inline constexpr int64_t kMinOpset = 13;
inline constexpr int64_t kMaxOpset = 17;

} // namespace fgc

#endif // FGC_IMPORT_ONNXIMPORTER_H

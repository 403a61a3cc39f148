//===- ImportFuzzer.cpp - libFuzzer entry point for the ONNX importer -----===//
//
// Feeds arbitrary bytes to fgc::importOnnx, both as a binary ModelProto and,
// when the bytes look like text, as ONNX textual syntax. The importer must
// answer every input with a module or an error message: a crash, an abort,
// a leak or a sanitizer report is a bug.
//
//===----------------------------------------------------------------------===//

#include "fgc/Import/OnnxImporter.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::DialectRegistry registry;
  fgc::registerImportDialects(registry);
  // A fresh context per input keeps inputs independent.
  mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
  context.printOpOnDiagnostic(false);
  fgc::ImportOptions options;
  options.batchSize = 2;
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  fgc::ImportResult result =
      fgc::importOnnx(context, bytes, "fuzz.onnx", options);
  // Every failure must come with a message.
  if (!result.module && result.error.empty())
    std::abort();
  return 0;
}

//===- fgc.cpp - The fgc command ------------------------------------------===//
//
// fgc compiles ONNX networks into programs that train them with forward
// gradients and local losses. Subcommands:
//
//   fgc import MODEL [-o OUT.mlir] [--batch-size N] [--input-shape NAME=DxD..]
//       Import an ONNX model (binary or ONNX text) and print its fg IR.
//
//===----------------------------------------------------------------------===//

#include "fgc/Dialect/FG/IR/FGDialect.h"
#include "fgc/Import/OnnxImporter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace {

cl::OptionCategory fgcCategory("fgc options");

cl::SubCommand importCmd("import",
                         "Import an ONNX model and print its fg dialect IR");

cl::opt<std::string> importInput(cl::Positional,
                                 cl::desc("<model.onnx|model.onnxtxt|->"),
                                 cl::sub(importCmd), cl::cat(fgcCategory));
cl::opt<std::string> importOutput("o",
                                  cl::desc("Write the IR to <file> "
                                           "(default: standard output)"),
                                  cl::value_desc("file"), cl::init("-"),
                                  cl::sub(importCmd), cl::cat(fgcCategory));
cl::opt<int64_t> batchSize(
    "batch-size",
    cl::desc("Fix the symbolic leading (batch) dimension of every input"),
    cl::value_desc("N"), cl::init(0), cl::sub(importCmd), cl::cat(fgcCategory));
cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("Fix the whole shape of one input, e.g. image=128x1x28x28 "
             "(repeatable)"),
    cl::value_desc("NAME=DxDx..."), cl::sub(importCmd), cl::cat(fgcCategory));
cl::opt<bool> noFuseLayerNorm(
    "no-fuse-layer-norm",
    cl::desc("Keep decomposed layer norms (opset 13) as separate ops"),
    cl::init(false), cl::sub(importCmd), cl::cat(fgcCategory));
cl::opt<bool>
    elideParams("elide-params",
                cl::desc("Print parameter values as dense_resource<__elided__> "
                         "(readable, but not re-parseable)"),
                cl::init(false), cl::sub(importCmd), cl::cat(fgcCategory));
cl::opt<bool> listOps("list-ops",
                      cl::desc("List the supported ONNX operators and exit"),
                      cl::init(false), cl::sub(importCmd),
                      cl::cat(fgcCategory));

int error(const Twine &message) {
  WithColor::error(errs(), "fgc") << message << "\n";
  return 1;
}

/// Parses NAME=DxDx... into `options`.
bool parseInputShape(StringRef spec, fgc::ImportOptions &options,
                     std::string &why) {
  auto [name, dims] = spec.rsplit('=');
  if (name.empty() || dims.empty() || !spec.contains('=')) {
    why = "expected NAME=DxDx..., got '" + spec.str() + "'";
    return false;
  }
  SmallVector<int64_t> shape;
  SmallVector<StringRef> parts;
  dims.split(parts, 'x');
  for (StringRef p : parts) {
    int64_t d;
    if (p.getAsInteger(10, d) || d <= 0) {
      why = "dimension '" + p.str() + "' in '" + spec.str() +
            "' is not a positive integer";
      return false;
    }
    shape.push_back(d);
  }
  options.inputShapes[name] = shape;
  return true;
}

int runImport() {
  if (listOps) {
    for (const fgc::OpSupport &op : fgc::getSupportedOps()) {
      outs() << op.opType;
      if (!op.attributes.empty()) {
        outs() << " (";
        interleaveComma(op.attributes, outs());
        outs() << ")";
      }
      if (!op.notes.empty())
        outs() << ": " << op.notes;
      outs() << "\n";
    }
    return 0;
  }
  if (importInput.empty())
    return error("import: no model given (usage: fgc import MODEL [-o "
                 "OUT.mlir] ...)");
  fgc::ImportOptions options;
  if (batchSize.getNumOccurrences()) {
    if (batchSize <= 0)
      return error("--batch-size must be a positive integer, got " +
                   Twine(batchSize));
    options.batchSize = batchSize;
  }
  for (const std::string &spec : inputShapes) {
    std::string why;
    if (!parseInputShape(spec, options, why))
      return error("--input-shape: " + why);
  }
  options.fuseLayerNorm = !noFuseLayerNorm;

  mlir::DialectRegistry registry;
  fgc::registerImportDialects(registry);
  mlir::MLIRContext context(registry);
  // Import messages are returned as strings; nothing should print directly.
  context.printOpOnDiagnostic(false);
  fgc::ImportResult result = fgc::importOnnxFile(context, importInput, options);
  for (const std::string &w : result.warnings)
    WithColor::warning(errs(), "fgc") << w << "\n";
  if (!result.module)
    return error(result.error);

  // The output file is only created once the import succeeded, and is
  // removed again unless the whole IR was written.
  std::string errorMessage;
  auto output = mlir::openOutputFile(importOutput, &errorMessage);
  if (!output)
    return error(importOutput + ": " + errorMessage);
  mlir::OpPrintingFlags flags;
  if (elideParams)
    flags.elideLargeElementsAttrs(16);
  result.module->print(output->os(), flags);
  output->os().flush();
  if (output->os().has_error())
    return error(importOutput + ": write failed");
  output->keep();
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::SetVersionPrinter([](raw_ostream &os) {
    os << "fgc " << FGC_VERSION << " (LLVM/MLIR " << LLVM_VERSION_STRING
       << ")\n";
  });
  cl::HideUnrelatedOptions(fgcCategory);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "fgc: compile ONNX networks into forward-gradient trainers\n\n"
          "  fgc import MODEL [-o OUT.mlir] [--batch-size N] "
          "[--input-shape NAME=DxD...]\n",
          &errs()))
    return 1;
  if (importCmd)
    return runImport();
  errs() << "fgc: no subcommand given; run 'fgc --help'\n";
  return 1;
}

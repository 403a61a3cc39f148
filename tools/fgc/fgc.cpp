//===- fgc.cpp - The fgc command ------------------------------------------===//
//
// fgc compiles ONNX networks into programs that train them with forward
// gradients and local losses. Subcommands:
//
//   fgc import MODEL   import an ONNX model and print its fg IR
//   fgc compile MODEL  compile the forward pass; --emit picks the stage
//   fgc run MODEL      compile and run the forward pass on input files
//
//===----------------------------------------------------------------------===//

#include "fgc/Driver/Driver.h"
#include "fgc/Import/OnnxImporter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using fgc::driver::error;

namespace {

cl::OptionCategory fgcCategory("fgc options");

cl::SubCommand importCmd("import",
                         "Import an ONNX model and print its fg dialect IR");
cl::SubCommand compileCmd(
    "compile", "Compile a model's forward pass (see --emit for the stages)");
cl::SubCommand runCmd(
    "run", "Compile and run a model's forward pass on input tensor files");
cl::SubCommand jvpCmd(
    "jvp", "Compile and run a forward-mode derivative (JVP) of a model");

//===--- Shared by all subcommands ----------------------------------------===//

cl::opt<std::string> modelPath(cl::Positional,
                               cl::desc("<model.onnx|model.onnxtxt|->"),
                               cl::sub(importCmd), cl::sub(compileCmd),
                               cl::sub(runCmd), cl::sub(jvpCmd), cl::cat(fgcCategory));
cl::opt<int64_t> batchSize(
    "batch-size",
    cl::desc("Fix the symbolic leading (batch) dimension of every input"),
    cl::value_desc("N"), cl::init(0), cl::sub(importCmd), cl::sub(compileCmd),
    cl::sub(runCmd), cl::sub(jvpCmd), cl::cat(fgcCategory));
cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("Fix the whole shape of one input, e.g. image=128x1x28x28 "
             "(repeatable)"),
    cl::value_desc("NAME=DxDx..."), cl::sub(importCmd), cl::sub(compileCmd),
    cl::sub(runCmd), cl::sub(jvpCmd), cl::cat(fgcCategory));
cl::opt<bool> noFuseLayerNorm(
    "no-fuse-layer-norm",
    cl::desc("Keep decomposed layer norms (opset 13) as separate ops"),
    cl::init(false), cl::sub(importCmd), cl::sub(compileCmd), cl::sub(runCmd),
    cl::sub(jvpCmd), cl::cat(fgcCategory));

cl::opt<bool> upgradeOpset(
    "upgrade-opset",
    cl::desc("Convert models below opset 13 with ONNX's version converter "
             "instead of rejecting them"),
    cl::init(false), cl::sub(importCmd), cl::sub(compileCmd), cl::sub(runCmd),
    cl::sub(jvpCmd), cl::cat(fgcCategory));

//===--- import -------------------------------------------------------------===//

cl::opt<std::string> outputFile("o",
                                cl::desc("Output file (default: standard "
                                         "output; <model>.o for --emit=obj)"),
                                cl::value_desc("file"), cl::init(""),
                                cl::sub(importCmd), cl::sub(compileCmd),
                                cl::cat(fgcCategory));
cl::opt<bool> elideParams(
    "elide-params",
    cl::desc("Print parameter values as dense_resource<__elided__> "
             "(readable, but not re-parseable)"),
    cl::init(false), cl::sub(importCmd), cl::cat(fgcCategory));
cl::opt<bool> listOps("list-ops",
                      cl::desc("List the supported ONNX operators and exit"),
                      cl::init(false), cl::sub(importCmd),
                      cl::cat(fgcCategory));

//===--- compile / run ----------------------------------------------------===//

cl::opt<std::string> emit(
    "emit",
    cl::desc("What to produce: fg (imported IR), linalg (tensor-level "
             "linalg), mlir (LLVM-dialect MLIR), llvm (LLVM IR), obj "
             "(object file, the default)"),
    cl::value_desc("fg|linalg|mlir|llvm|obj"), cl::init("obj"),
    cl::sub(compileCmd), cl::cat(fgcCategory));
cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimisation level 0..3 "
                                         "(default 3)"),
                           cl::Prefix, cl::init(3), cl::sub(compileCmd),
                           cl::sub(runCmd), cl::sub(jvpCmd),
                           cl::cat(fgcCategory));
cl::opt<std::string> mcpu("mcpu",
                          cl::desc("Target CPU (default: host, the CPU fgc "
                                   "runs on)"),
                          cl::init("host"), cl::sub(compileCmd),
                          cl::cat(fgcCategory));

cl::list<std::string> runInputs(
    "input",
    cl::desc("A graph input's value from a .npy or ONNX TensorProto (.pb) "
             "file (repeatable); its shape fixes dynamic dimensions"),
    cl::value_desc("NAME=FILE"), cl::sub(runCmd), cl::sub(jvpCmd),
    cl::cat(fgcCategory));
cl::list<std::string> foldInputs(
    "fold-input",
    cl::desc("Compile this input's --input value into the code as a "
             "constant (for shape-like inputs such as a Reshape's shape)"),
    cl::value_desc("NAME"), cl::sub(runCmd), cl::sub(jvpCmd),
    cl::cat(fgcCategory));
cl::opt<std::string> outputDir(
    "output-dir",
    cl::desc("Where to write <output-name>.npy per graph output (default: .)"),
    cl::value_desc("dir"), cl::init("."), cl::sub(runCmd), cl::sub(jvpCmd),
    cl::cat(fgcCategory));
cl::opt<std::string> paramsFile(
    "params",
    cl::desc("Parameter values from an ONNX model's initializers, or from a "
             "directory of <parameter>.npy/.pb files, instead of the model's"),
    cl::value_desc("model.onnx|dir"), cl::init(""), cl::sub(runCmd),
    cl::sub(jvpCmd), cl::cat(fgcCategory));
cl::opt<bool> importOnly(
    "import-only",
    cl::desc("Stop after reading the inputs and importing the model (for "
             "test drivers)"),
    cl::init(false), cl::Hidden, cl::sub(runCmd), cl::cat(fgcCategory));
cl::opt<int> threads("threads",
                     cl::desc("Threads for matrix products (default: "
                              "OpenBLAS's choice)"),
                     cl::init(0), cl::sub(runCmd), cl::sub(jvpCmd),
                     cl::cat(fgcCategory));

cl::list<std::string> wrt(
    "wrt",
    cl::desc("What to differentiate with respect to: inputs (default), "
             "params, or input/parameter names"),
    cl::value_desc("inputs|params|NAME,..."), cl::CommaSeparated,
    cl::sub(jvpCmd), cl::cat(fgcCategory));
cl::list<std::string> tangentFiles(
    "tangent",
    cl::desc("The tangent of a differentiated input or parameter, .npy or "
             ".pb, with a leading K dimension when --tangents K > 1 "
             "(repeatable; zero when not given)"),
    cl::value_desc("NAME=FILE"), cl::sub(jvpCmd), cl::cat(fgcCategory));
cl::opt<int64_t> numTangents(
    "tangents",
    cl::desc("Number K of tangent directions propagated at once (default 1)"),
    cl::value_desc("K"), cl::init(1), cl::sub(jvpCmd), cl::cat(fgcCategory));

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

/// The import options shared by every subcommand; false after an error.
bool importOptions(fgc::ImportOptions &options) {
  if (batchSize.getNumOccurrences()) {
    if (batchSize <= 0) {
      error("--batch-size must be a positive integer, got " +
            Twine(batchSize));
      return false;
    }
    options.batchSize = batchSize;
  }
  for (const std::string &spec : inputShapes) {
    std::string why;
    if (!parseInputShape(spec, options, why)) {
      error("--input-shape: " + why);
      return false;
    }
  }
  options.fuseLayerNorm = !noFuseLayerNorm;
  options.upgradeOpset = upgradeOpset;
  return true;
}

bool cpuOptions(fgc::CPUOptions &options) {
  if (optLevel > 3) {
    error("-O" + Twine(optLevel) + ": the level must be 0, 1, 2 or 3");
    return false;
  }
  options.optLevel = optLevel;
  options.cpu = mcpu;
  return true;
}

bool requireModel(StringRef command) {
  if (!modelPath.empty())
    return true;
  error(command + ": no model given (see 'fgc " + command + " --help')");
  return false;
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
  fgc::ImportOptions options;
  if (!requireModel("import") || !importOptions(options))
    return 1;
  mlir::DialectRegistry registry;
  fgc::registerImportDialects(registry);
  mlir::MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  fgc::ImportResult result = fgc::importOnnxFile(context, modelPath, options);
  for (const std::string &w : result.warnings)
    WithColor::warning(errs(), "fgc") << w << "\n";
  if (!result.module)
    return error(result.error);

  // The output file is only created once the import succeeded, and is
  // removed again unless the whole IR was written.
  std::string path = outputFile.empty() ? "-" : outputFile.getValue();
  std::string errorMessage;
  auto output = mlir::openOutputFile(path, &errorMessage);
  if (!output)
    return error(path + ": " + errorMessage);
  mlir::OpPrintingFlags flags;
  if (elideParams)
    flags.elideLargeElementsAttrs(16);
  result.module->print(output->os(), flags);
  output->os().flush();
  if (output->os().has_error())
    return error(path + ": write failed");
  output->keep();
  return 0;
}

int runCompile() {
  fgc::driver::CompileOptions options;
  if (!requireModel("compile") || !importOptions(options.import) ||
      !cpuOptions(options.cpu))
    return 1;
  if (!fgc::driver::parseEmitStage(emit, options.emit))
    return error("--emit=" + emit +
                 ": expected one of fg, linalg, mlir, llvm, obj");
  options.model = modelPath;
  options.output = outputFile;
  if (options.output.empty())
    options.output =
        options.emit == fgc::driver::EmitStage::Object
            ? (StringRef(modelPath).rsplit('/').second.empty()
                   ? StringRef(modelPath)
                   : StringRef(modelPath).rsplit('/').second)
                      .rsplit('.')
                      .first.str() +
                  ".o"
            : "-";
  return fgc::driver::compile(options);
}

/// Fills the options `fgc run` and `fgc jvp` share; false after an error.
bool runOptions(StringRef command, fgc::driver::RunOptions &options) {
  if (!requireModel(command) || !importOptions(options.import) ||
      !cpuOptions(options.cpu))
    return false;
  options.model = modelPath;
  for (const std::string &spec : runInputs) {
    auto [name, file] = StringRef(spec).split('=');
    if (name.empty() || file.empty())
      return error("--input: expected NAME=FILE, got '" + spec + "'"), false;
    options.inputs.emplace_back(name.str(), file.str());
  }
  options.foldInputs.assign(foldInputs.begin(), foldInputs.end());
  options.outputDir = outputDir;
  options.params = paramsFile;
  if (threads < 0)
    return error("--threads must be >= 0, got " + Twine(threads)), false;
  options.threads = threads;
  return true;
}

int runJvp() {
  fgc::driver::JvpOptions options;
  if (!runOptions("jvp", options))
    return 1;
  options.wrt.assign(wrt.begin(), wrt.end());
  for (const std::string &spec : tangentFiles) {
    auto [name, file] = StringRef(spec).split('=');
    if (name.empty() || file.empty())
      return error("--tangent: expected NAME=FILE, got '" + spec + "'");
    options.tangents.emplace_back(name.str(), file.str());
  }
  options.numTangents = numTangents;
  return fgc::driver::jvp(options);
}

int runRun() {
  fgc::driver::RunOptions options;
  if (!runOptions("run", options))
    return 1;
  options.importOnly = importOnly;
  return fgc::driver::run(options);
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
          "[--input-shape NAME=DxD...]\n"
          "  fgc compile MODEL --emit=fg|linalg|mlir|llvm|obj [-o OUT] "
          "[-O0..3] [--mcpu=CPU]\n"
          "  fgc run MODEL --input NAME=FILE... [--output-dir DIR] "
          "[--params FILE]\n"
          "  fgc jvp MODEL --wrt=inputs|params|NAME,.. --input NAME=FILE... "
          "--tangent NAME=FILE... [--tangents K]\n",
          &errs()))
    return 1;
  if (importCmd)
    return runImport();
  if (compileCmd)
    return runCompile();
  if (runCmd)
    return runRun();
  if (jvpCmd)
    return runJvp();
  errs() << "fgc: no subcommand given; run 'fgc --help'\n";
  return 1;
}

//===- fgc.cpp - The fgc command ------------------------------------------===//
//
// fgc compiles ONNX networks into programs that train them with forward
// gradients and local losses. Subcommands:
//
//   fgc import MODEL   import an ONNX model and print its fg IR
//   fgc compile MODEL  compile the forward pass; --emit picks the stage
//   fgc run MODEL      compile and run the forward pass on input files
//   fgc jvp MODEL      compile and run a forward-mode derivative
//   fgc vjp MODEL      compile and run a reverse-mode derivative
//   fgc inspect MODEL  print the local-loss blocks of a model
//
//===----------------------------------------------------------------------===//

#include "fgc/Driver/Driver.h"
#include "fgc/Import/OnnxImporter.h"
#include "fgc/Pipelines/OptionsBinder.h"
#include "fgc/Runtime/Call.h"
#include "fgc/Runtime/TrainerABI.h"

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
cl::SubCommand
    compileCmd("compile",
               "Compile a model's forward pass (see --emit for the stages)");
cl::SubCommand
    runCmd("run",
           "Compile and run a model's forward pass on input tensor files");
cl::SubCommand
    jvpCmd("jvp", "Compile and run a forward-mode derivative (JVP) of a model");
cl::SubCommand
    vjpCmd("vjp", "Compile and run a reverse-mode derivative (VJP) of a model");
cl::SubCommand
    inspectCmd("inspect",
               "Print a model's local-loss blocks, perturbation points, "
               "heads and parameter counts");

//===--- Shared by all subcommands ----------------------------------------===//

cl::opt<std::string> modelPath(cl::Positional,
                               cl::desc("<model.onnx|model.onnxtxt|->"),
                               cl::sub(importCmd), cl::sub(compileCmd),
                               cl::sub(runCmd), cl::sub(jvpCmd),
                               cl::sub(vjpCmd), cl::sub(inspectCmd),
                               cl::cat(fgcCategory));
cl::opt<int64_t> batchSize(
    "batch-size",
    cl::desc("Fix the symbolic leading (batch) dimension of every input"),
    cl::value_desc("N"), cl::init(0), cl::sub(importCmd), cl::sub(compileCmd),
    cl::sub(runCmd), cl::sub(jvpCmd), cl::sub(vjpCmd), cl::sub(inspectCmd),
    cl::cat(fgcCategory));
cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("Fix the whole shape of one input, e.g. image=128x1x28x28 "
             "(repeatable)"),
    cl::value_desc("NAME=DxDx..."), cl::sub(importCmd), cl::sub(compileCmd),
    cl::sub(runCmd), cl::sub(jvpCmd), cl::sub(vjpCmd), cl::cat(fgcCategory));
cl::opt<bool> noFuseLayerNorm(
    "no-fuse-layer-norm",
    cl::desc("Keep decomposed layer norms (opset 13) as separate ops"),
    cl::init(false), cl::sub(importCmd), cl::sub(compileCmd), cl::sub(runCmd),
    cl::sub(jvpCmd), cl::sub(vjpCmd), cl::cat(fgcCategory));

cl::opt<bool> upgradeOpset(
    "upgrade-opset",
    cl::desc("Convert models below opset 13 with ONNX's version converter "
             "instead of rejecting them"),
    cl::init(false), cl::sub(importCmd), cl::sub(compileCmd), cl::sub(runCmd),
    cl::sub(jvpCmd), cl::sub(vjpCmd), cl::cat(fgcCategory));

//===--- import -----------------------------------------------------------===//

cl::opt<std::string> outputFile("o",
                                cl::desc("Output file (default: standard "
                                         "output; <model>.o for --emit=obj)"),
                                cl::value_desc("file"), cl::init(""),
                                cl::sub(importCmd), cl::sub(compileCmd),
                                cl::cat(fgcCategory));
cl::opt<bool>
    elideParams("elide-params",
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
    cl::desc("What to produce: fg (imported IR), local (after fg-localize, "
             "needs --algo), train (after fg-train-step, needs --algo), "
             "linalg (tensor-level linalg), mlir (LLVM-dialect MLIR), llvm "
             "(LLVM IR), obj (object file, the default without --algo), exe "
             "(a trainer executable, the default with --algo; -o names it, "
             "default train_<model>)"),
    cl::value_desc("fg|local|train|linalg|mlir|llvm|obj|exe"), cl::init("obj"),
    cl::sub(compileCmd), cl::cat(fgcCategory));
cl::opt<unsigned> optLevel("O",
                           cl::desc("LLVM optimisation level 0..3 "
                                    "(default 3)"),
                           cl::Prefix, cl::init(3), cl::sub(compileCmd),
                           cl::sub(runCmd), cl::sub(jvpCmd), cl::sub(vjpCmd),
                           cl::cat(fgcCategory));
cl::opt<bool> runtimeChecks(
    "runtime-checks",
    cl::desc("Bounds-check every memory access of the generated code (MLIR's "
             "runtime verification); a failed check aborts naming the op. "
             "Slow: for debugging the compiler"),
    cl::init(false), cl::sub(compileCmd), cl::sub(runCmd), cl::sub(jvpCmd),
    cl::sub(vjpCmd), cl::cat(fgcCategory));
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
    cl::sub(vjpCmd), cl::cat(fgcCategory));
cl::list<std::string> foldInputs(
    "fold-input",
    cl::desc("Compile this input's --input value into the code as a "
             "constant (for shape-like inputs such as a Reshape's shape)"),
    cl::value_desc("NAME"), cl::sub(runCmd), cl::sub(jvpCmd), cl::sub(vjpCmd),
    cl::cat(fgcCategory));
cl::opt<std::string> outputDir(
    "output-dir",
    cl::desc("Where to write <output-name>.npy per graph output (default: .)"),
    cl::value_desc("dir"), cl::init("."), cl::sub(runCmd), cl::sub(jvpCmd),
    cl::sub(vjpCmd), cl::cat(fgcCategory));
cl::opt<std::string> paramsFile(
    "params",
    cl::desc("Parameter values from an ONNX model's initializers, or from a "
             "directory of <parameter>.npy/.pb files, instead of the model's"),
    cl::value_desc("model.onnx|dir"), cl::init(""), cl::sub(runCmd),
    cl::sub(jvpCmd), cl::sub(vjpCmd), cl::cat(fgcCategory));
cl::opt<bool> importOnly(
    "import-only",
    cl::desc("Stop after reading the inputs and importing the model (for "
             "test drivers)"),
    cl::init(false), cl::Hidden, cl::sub(runCmd), cl::cat(fgcCategory));
cl::opt<int> threads("threads",
                     cl::desc("Threads of the compiled code (default: "
                              "OMP_NUM_THREADS, else one per core)"),
                     cl::init(0), cl::sub(runCmd), cl::sub(jvpCmd),
                     cl::sub(vjpCmd), cl::cat(fgcCategory));

cl::list<std::string>
    wrt("wrt",
        cl::desc("What to differentiate with respect to: inputs (default), "
                 "params, or input/parameter names"),
        cl::value_desc("inputs|params|NAME,..."), cl::CommaSeparated,
        cl::sub(jvpCmd), cl::sub(vjpCmd), cl::cat(fgcCategory));
cl::list<std::string> tangentFiles(
    "tangent",
    cl::desc("The tangent of a differentiated input or parameter, .npy or "
             ".pb, with a leading K dimension when --tangents K > 1 "
             "(repeatable; zero when not given)"),
    cl::value_desc("NAME=FILE"), cl::sub(jvpCmd), cl::cat(fgcCategory));
cl::list<std::string> cotangentFiles(
    "cotangent",
    cl::desc("The cotangent of a model output (the vector u of uᵀJ), .npy or "
             ".pb, of that output's shape (repeatable; zero when not given, "
             "at least one required)"),
    cl::value_desc("OUTPUT=FILE"), cl::sub(vjpCmd), cl::cat(fgcCategory));
cl::opt<int64_t> numTangents(
    "tangents",
    cl::desc("Number K of tangent directions propagated at once (default 1)"),
    cl::value_desc("K"), cl::init(1), cl::sub(jvpCmd), cl::cat(fgcCategory));

//===--- training, run and inspect ----------------------------------------===//

cl::OptionCategory
    trainCategory("training step options (compile, run, inspect)");

cl::opt<std::string>
    function("function",
             cl::desc("The function to run (default forward; with --algo also "
                      "train_step, eval_step, local_losses, learning_rate)"),
             cl::init(fgc::rt::abi::kForward), cl::sub(runCmd),
             cl::cat(fgcCategory));
cl::opt<int64_t> runSteps(
    "steps",
    cl::desc("Call the function N times, feeding outputs named like its "
             "arguments (parameters, optimizer state) back and counting "
             "'step' up; prints the scalar outputs of each call"),
    cl::value_desc("N"), cl::init(0), cl::sub(runCmd), cl::cat(fgcCategory));
cl::opt<bool> jsonOutput("json", cl::desc("Print one JSON object"),
                         cl::init(false), cl::sub(inspectCmd),
                         cl::cat(fgcCategory));
cl::opt<bool> printPartition(
    "print-partition",
    cl::desc("Print the partition into blocks (as fgc inspect) before "
             "compiling"),
    cl::init(false), cl::sub(compileCmd), cl::cat(trainCategory));

/// The options of the pipeline's passes (training, --init), each declared
/// once in PipelineOptions and bound here to the subcommands that take it.
fgc::PipelineOptions pipelineOptions;
std::optional<fgc::OptionsBinder> pipelineBinder;

void bindPipelineOptions() {
  pipelineBinder.emplace(fgc::OptionsBinder::global(
      trainCategory, [](StringRef name) -> std::vector<cl::SubCommand *> {
        if (name == "init")
          return {&compileCmd};
        if (name == "tangents" || name == "explicit-tangents")
          return {&compileCmd, &runCmd};
        return {&compileCmd, &runCmd, &inspectCmd};
      }));
  pipelineOptions.bindCleanupOptions(*pipelineBinder);
  pipelineOptions.bindTrainingOptions(*pipelineBinder);
}

/// The pipeline options after parsing; false after an error.
bool trainOptions(fgc::PipelineOptions &options, bool &training) {
  for (int64_t g : pipelineOptions.groups)
    if (g <= 0)
      return error("--groups: " + Twine(g) + " is not a positive integer"),
             false;
  if (pipelineOptions.tangents < 1)
    return error("--tangents must be at least 1, got " +
                 Twine(pipelineOptions.tangents)),
           false;
  options = pipelineOptions;
  options.fuseLayerNorm = !noFuseLayerNorm;
  options.lowering.runtimeChecks = runtimeChecks;
  training = pipelineBinder->isSet("algo");
  return true;
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

/// The import options shared by every subcommand; false after an error.
bool importOptions(fgc::ImportOptions &options) {
  if (batchSize.getNumOccurrences()) {
    if (batchSize <= 0) {
      error("--batch-size must be a positive integer, got " + Twine(batchSize));
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
  options.upgradeOpset = upgradeOpset;
  return true;
}

bool codegenOptions(fgc::CodegenOptions &options) {
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
  fgc::PipelineOptions cleanup;
  cleanup.fuseLayerNorm = !noFuseLayerNorm;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      fgc::driver::importModel(context, modelPath, options, cleanup);
  if (!module)
    return 1;

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
  module->print(output->os(), flags);
  output->os().flush();
  if (output->os().has_error())
    return error(path + ": write failed");
  output->keep();
  return 0;
}

int runInspect() {
  fgc::driver::InspectOptions options;
  if (!requireModel("inspect") || !importOptions(options.import) ||
      !trainOptions(options.pipeline, options.training))
    return 1;
  options.model = modelPath;
  options.json = jsonOutput;
  return fgc::driver::inspect(options);
}

int runCompile() {
  fgc::driver::CompileOptions options;
  if (!requireModel("compile") || !importOptions(options.import) ||
      !codegenOptions(options.codegen) ||
      !trainOptions(options.pipeline, options.training))
    return 1;
  // With --algo and no --emit the result is a trainer executable.
  std::string stage =
      emit.getNumOccurrences() || !options.training ? emit.getValue() : "exe";
  if (!fgc::driver::parseEmitStage(stage, options.emit))
    return error("--emit=" + emit +
                 ": expected one of fg, local, train, "
                 "linalg, mlir, llvm, obj, exe");
  if (printPartition) {
    fgc::driver::InspectOptions inspect;
    inspect.model = modelPath;
    inspect.import = options.import;
    inspect.pipeline = options.pipeline;
    inspect.pipeline.init = fgc::fg::InitScheme::None; // values do not matter
    inspect.training = options.training;
    if (int rc = fgc::driver::inspect(inspect))
      return rc;
  }
  options.model = modelPath;
  options.output = outputFile;
  if (options.output.empty())
    options.output = options.emit == fgc::driver::EmitStage::Object
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
      !codegenOptions(options.codegen))
    return false;
  options.model = modelPath;
  for (const std::string &spec : runInputs) {
    auto [name, file] = StringRef(spec).split('=');
    if (name.empty() || file.empty())
      return error("--input: expected NAME=FILE, got '" + spec + "'"), false;
    options.inputs.emplace_back(name.str(), file.str());
  }
  options.foldInputs.assign(foldInputs.begin(), foldInputs.end());
  options.pipeline.fuseLayerNorm = !noFuseLayerNorm;
  options.pipeline.lowering.runtimeChecks = runtimeChecks;
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

int runVjp() {
  fgc::driver::VjpOptions options;
  if (!runOptions("vjp", options))
    return 1;
  options.wrt.assign(wrt.begin(), wrt.end());
  for (const std::string &spec : cotangentFiles) {
    auto [name, file] = StringRef(spec).split('=');
    if (name.empty() || file.empty())
      return error("--cotangent: expected OUTPUT=FILE, got '" + spec + "'");
    options.cotangents.emplace_back(name.str(), file.str());
  }
  return fgc::driver::vjp(options);
}

int runRun() {
  fgc::driver::RunOptions options;
  if (!runOptions("run", options) ||
      !trainOptions(options.pipeline, options.training))
    return 1;
  options.function = function;
  if (runSteps < 0)
    return error("--steps must be >= 0, got " + Twine(runSteps));
  options.steps = runSteps;
  options.importOnly = importOnly;
  return fgc::driver::run(options);
}

} // namespace

int main(int argc, char **argv) {
  // fgc run, jvp and vjp call BLAS from JIT-compiled code.
  fgc::rt::useNativeBlasKernels(argv);
  InitLLVM init(argc, argv);
  cl::SetVersionPrinter([](raw_ostream &os) {
    os << "fgc " << FGC_VERSION << " (LLVM/MLIR " << LLVM_VERSION_STRING
       << ")\n";
  });
  bindPipelineOptions();
  cl::HideUnrelatedOptions({&fgcCategory, &trainCategory});
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
          "--tangent NAME=FILE... [--tangents K]\n"
          "  fgc vjp MODEL --wrt=inputs|params|NAME,.. --input NAME=FILE... "
          "--cotangent OUTPUT=FILE...\n"
          "  fgc inspect MODEL [--json] [--algo=A] [--blocks=..] "
          "[--groups=..] [--layout=..]\n"
          "  fgc compile MODEL --algo=lg-fg-a|fg-a|lg-fg-w|fg-w|readout "
          "--emit=local|train|... \n",
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
  if (vjpCmd)
    return runVjp();
  if (inspectCmd)
    return runInspect();
  errs() << "fgc: no subcommand given; run 'fgc --help'\n";
  return 1;
}

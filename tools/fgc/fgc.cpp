//===- fgc.cpp - The fgc command ------------------------------------------===//
//
// fgc compiles ONNX networks into programs that train them with forward
// gradients and local losses. Subcommands:
//
//   fgc import MODEL   import an ONNX model and print its fg IR
//   fgc compile MODEL  compile the forward pass; --emit picks the stage
//   fgc run MODEL      compile and run the forward pass on input files
//   fgc jvp MODEL      compile and run a forward-mode derivative
//   fgc inspect MODEL  print the local-loss blocks of a model
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
cl::SubCommand
    compileCmd("compile",
               "Compile a model's forward pass (see --emit for the stages)");
cl::SubCommand
    runCmd("run",
           "Compile and run a model's forward pass on input tensor files");
cl::SubCommand
    jvpCmd("jvp", "Compile and run a forward-mode derivative (JVP) of a model");
cl::SubCommand
    inspectCmd("inspect",
               "Print a model's local-loss blocks, perturbation points, "
               "heads and parameter counts");

//===--- Shared by all subcommands ----------------------------------------===//

cl::opt<std::string> modelPath(cl::Positional,
                               cl::desc("<model.onnx|model.onnxtxt|->"),
                               cl::sub(importCmd), cl::sub(compileCmd),
                               cl::sub(runCmd), cl::sub(jvpCmd),
                               cl::sub(inspectCmd), cl::cat(fgcCategory));
cl::opt<int64_t> batchSize(
    "batch-size",
    cl::desc("Fix the symbolic leading (batch) dimension of every input"),
    cl::value_desc("N"), cl::init(0), cl::sub(importCmd), cl::sub(compileCmd),
    cl::sub(runCmd), cl::sub(jvpCmd), cl::sub(inspectCmd),
    cl::cat(fgcCategory));
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

//===--- import
//-------------------------------------------------------------===//

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

cl::list<std::string>
    wrt("wrt",
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
    cl::desc("Number K of tangent directions propagated at once (fgc jvp), "
             "or averaged per training step (default 1)"),
    cl::value_desc("K"), cl::init(1), cl::sub(jvpCmd), cl::sub(compileCmd),
    cl::sub(runCmd), cl::cat(fgcCategory));

//===--- training (compile, run, inspect)
//----------------------------------===//

cl::OptionCategory
    trainCategory("training step options (compile, run, inspect)");

#define TRAIN_SUBS cl::sub(compileCmd), cl::sub(runCmd), cl::sub(inspectCmd)
cl::opt<std::string>
    algo("algo",
         cl::desc("Build a training step: lg-fg-a (local losses, activity "
                  "perturbation: the paper's method), fg-a, lg-fg-w, fg-w, or "
                  "readout (backbone frozen)"),
         cl::value_desc("algorithm"), cl::init(""), TRAIN_SUBS,
         cl::cat(trainCategory));
cl::list<std::string> blockNodes(
    "blocks",
    cl::desc("ONNX node names whose outputs end local-loss blocks (default: "
             "automatic, see fgc inspect)"),
    cl::value_desc("NODE,..."), cl::CommaSeparated, TRAIN_SUBS,
    cl::cat(trainCategory));
cl::list<int64_t> groupCounts(
    "groups",
    cl::desc("Channel groups of the local losses: one for all blocks or one "
             "per block (default: from the grouped layers)"),
    cl::value_desc("G,..."), cl::CommaSeparated, TRAIN_SUBS,
    cl::cat(trainCategory));
cl::list<std::string> layouts(
    "layout",
    cl::desc("Block output layouts (N batch, C channels, G groups, other "
             "letters spatial), e.g. NPGC, NPC, NCHW, NC: one for all or one "
             "per block (default: inferred)"),
    cl::value_desc("LAYOUT,..."), cl::CommaSeparated, TRAIN_SUBS,
    cl::cat(trainCategory));
cl::opt<bool> spatialLoss("spatial-loss",
                          cl::desc("Replicate local losses over patches "
                                   "(default true)"),
                          cl::init(true), TRAIN_SUBS, cl::cat(trainCategory));
cl::opt<bool> modularLoss(
    "modular-loss",
    cl::desc("One loss per block with stop-gradients between blocks "
             "(default true; false keeps the last block's loss only)"),
    cl::init(true), TRAIN_SUBS, cl::cat(trainCategory));
cl::opt<bool> headNorm("head-norm",
                       cl::desc("Layer-normalise each group before its local "
                                "head (default true)"),
                       cl::init(true), TRAIN_SUBS, cl::cat(trainCategory));
cl::opt<std::string>
    headInit("head-init",
             cl::desc("Initialisation of the local heads (default kaiming)"),
             cl::value_desc("kaiming|lecun|constant"), cl::init("kaiming"),
             TRAIN_SUBS, cl::cat(trainCategory));
cl::opt<int64_t> headSeed("head-seed",
                          cl::desc("Seed of the local heads' initial values"),
                          cl::init(0), TRAIN_SUBS, cl::cat(trainCategory));
cl::opt<bool> explicitTangents(
    "explicit-tangents",
    cl::desc("Take the step's tangents as inputs named <layer>.z.tangent / "
             "<param>.tangent instead of drawing them (for tests)"),
    cl::init(false), cl::sub(compileCmd), cl::sub(runCmd),
    cl::cat(trainCategory));
cl::opt<std::string>
    optimizerName("optimizer",
                  cl::desc("Optimizer compiled into the step (default sgd)"),
                  cl::value_desc("sgd|adam|adamw"), cl::init("sgd"), TRAIN_SUBS,
                  cl::cat(trainCategory));
cl::opt<double> momentum("momentum", cl::desc("SGD momentum (default 0.9)"),
                         cl::init(0.9), TRAIN_SUBS, cl::cat(trainCategory));
cl::opt<double> weightDecay("weight-decay",
                            cl::desc("Weight decay on weights (default 0)"),
                            cl::init(0.0), TRAIN_SUBS, cl::cat(trainCategory));
cl::opt<double> headLr("head-lr",
                       cl::desc("Learning-rate multiplier of the local heads "
                                "(default 1)"),
                       cl::init(1.0), TRAIN_SUBS, cl::cat(trainCategory));
cl::opt<double> lastLayerLr(
    "last-layer-lr",
    cl::desc("Learning-rate multiplier of the readout (default 0.1)"),
    cl::init(0.1), TRAIN_SUBS, cl::cat(trainCategory));
cl::opt<std::string>
    schedule("schedule", cl::desc("Learning-rate schedule (default linear)"),
             cl::value_desc("constant|linear|warmup-cosine|staircase"),
             cl::init("linear"), TRAIN_SUBS, cl::cat(trainCategory));
cl::opt<std::string>
    function("function",
             cl::desc("The function to run (default forward; with --algo also "
                      "train_step, eval_step, local_losses, learning_rate)"),
             cl::init("forward"), cl::sub(runCmd), cl::cat(fgcCategory));
cl::opt<int64_t> runSteps(
    "steps",
    cl::desc("Call the function N times, feeding outputs named like its "
             "arguments (parameters, optimizer state) back and counting "
             "'step' up; prints the scalar outputs of each call"),
    cl::value_desc("N"), cl::init(0), cl::sub(runCmd), cl::cat(fgcCategory));
cl::opt<bool> jsonOutput("json", cl::desc("Print one JSON object"),
                         cl::init(false), cl::sub(inspectCmd),
                         cl::cat(fgcCategory));
cl::opt<std::string> initScheme(
    "init",
    cl::desc("Re-initialise the model's parameters per the LocalMixer "
             "reference (weights scale * N(0,1), biases and the readout zero) "
             "instead of using the ONNX initializers"),
    cl::value_desc("kaiming|lecun|constant"), cl::init(""),
    cl::sub(compileCmd), cl::cat(trainCategory));
cl::opt<bool> printPartition(
    "print-partition",
    cl::desc("Print the partition into blocks (as fgc inspect) before "
             "compiling"),
    cl::init(false), cl::sub(compileCmd), cl::cat(trainCategory));
#undef TRAIN_SUBS

/// The training options; false after an error.
bool trainOptions(fgc::driver::TrainOptions &t) {
  t.algo = algo;
  if (!t.algo.empty() &&
      !is_contained({"lg-fg-a", "fg-a", "lg-fg-w", "fg-w", "readout"},
                    StringRef(t.algo)))
    return error("--algo=" + t.algo +
                 ": expected lg-fg-a, fg-a, lg-fg-w, fg-w or readout"),
           false;
  if (!is_contained({"sgd", "adam", "adamw"}, StringRef(optimizerName)))
    return error("--optimizer=" + optimizerName +
                 ": expected sgd, adam or adamw"),
           false;
  if (!is_contained({"constant", "linear", "warmup-cosine", "staircase"},
                    StringRef(schedule)))
    return error("--schedule=" + schedule +
                 ": expected constant, linear, warmup-cosine or staircase"),
           false;
  if (!is_contained({"kaiming", "lecun", "constant"}, StringRef(headInit)))
    return error("--head-init=" + headInit +
                 ": expected kaiming, lecun or constant"),
           false;
  for (int64_t g : groupCounts)
    if (g <= 0)
      return error("--groups: " + Twine(g) + " is not a positive integer"),
             false;
  if (numTangents < 1)
    return error("--tangents must be at least 1, got " + Twine(numTangents)),
           false;
  t.blocks.assign(blockNodes.begin(), blockNodes.end());
  t.groups.assign(groupCounts.begin(), groupCounts.end());
  t.layouts.assign(layouts.begin(), layouts.end());
  t.spatialLoss = spatialLoss;
  t.modularLoss = modularLoss;
  t.headNorm = headNorm;
  t.headInit = headInit;
  t.headSeed = headSeed;
  t.tangents = numTangents;
  t.explicitTangents = explicitTangents;
  t.optimizer = optimizerName;
  t.momentum = momentum;
  t.weightDecay = weightDecay;
  t.headLr = headLr;
  t.lastLayerLr = lastLayerLr;
  t.schedule = schedule;
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

int runInspect() {
  fgc::driver::InspectOptions options;
  if (!requireModel("inspect") || !importOptions(options.import) ||
      !trainOptions(options.train))
    return 1;
  options.model = modelPath;
  options.json = jsonOutput;
  return fgc::driver::inspect(options);
}

int runCompile() {
  fgc::driver::CompileOptions options;
  if (!requireModel("compile") || !importOptions(options.import) ||
      !cpuOptions(options.cpu) || !trainOptions(options.train))
    return 1;
  // With --algo and no --emit the result is a trainer executable.
  std::string stage = emit.getNumOccurrences() || options.train.algo.empty()
                          ? emit.getValue()
                          : "exe";
  if (!fgc::driver::parseEmitStage(stage, options.emit))
    return error("--emit=" + emit +
                 ": expected one of fg, local, train, "
                 "linalg, mlir, llvm, obj, exe");
  if (!initScheme.empty() &&
      !is_contained({"kaiming", "lecun", "constant"}, StringRef(initScheme)))
    return error("--init=" + initScheme + ": expected kaiming, lecun or constant");
  options.init = initScheme;
  if (printPartition) {
    fgc::driver::InspectOptions inspect;
    inspect.model = modelPath;
    inspect.import = options.import;
    inspect.train = options.train;
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
  if (!runOptions("run", options) || !trainOptions(options.train))
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
  InitLLVM init(argc, argv);
  cl::SetVersionPrinter([](raw_ostream &os) {
    os << "fgc " << FGC_VERSION << " (LLVM/MLIR " << LLVM_VERSION_STRING
       << ")\n";
  });
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
  if (inspectCmd)
    return runInspect();
  errs() << "fgc: no subcommand given; run 'fgc --help'\n";
  return 1;
}

//===- Inspect.cpp - fgc inspect ------------------------------------------===//
//
// Prints the partition analysis of a model (Partition.h): its local-loss
// blocks, perturbation points, heads and parameter counts, and the
// activation memory the pipeline plans for one training step, as text or
// JSON.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

#include "fgc/Dialect/FG/Analysis/Partition.h"
#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Runtime/TrainerABI.h"
#include "fgc/Support/Diagnostics.h"
#include "fgc/Transforms/LiveMemory.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

using namespace mlir;

namespace fgc::driver {

namespace {

/// The batch `fgc inspect` shows a model with a dynamic batch at.
constexpr int64_t kAssumedBatch = 2;

int64_t numElements(Type t) {
  return cast<RankedTensorType>(t).getNumElements();
}

/// The leading dimension of the first input.
int64_t batchOf(func::FuncOp f) {
  if (f.getNumArguments() == 0)
    return 0;
  auto t = cast<RankedTensorType>(f.getArgument(0).getType());
  return t.getRank() ? t.getDimSize(0) : 0;
}

std::string typeString(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  auto rt = cast<RankedTensorType>(t);
  llvm::interleave(rt.getShape(), os, "x");
  return s;
}

/// The activation memory of one training step as the pipeline plans it:
/// @train_step built and lowered to linalg on tensors, in the order
/// fgc-schedule-for-memory gave it, before bufferization.
FailureOr<LiveMemory> planStepMemory(ModuleOp module,
                                     const PipelineOptions &options,
                                     std::string &why) {
  OwningOpRef<ModuleOp> copy = module.clone();
  if (failed(runPipeline(*copy, options, Phase::Local, Phase::Linalg, why)))
    return failure();
  auto step = copy->lookupSymbol<func::FuncOp>(rt::abi::kTrainStep);
  if (!step || step.isExternal()) {
    why = "no @train_step was built";
    return failure();
  }
  return estimateLiveMemory(step.getBody().front());
}

std::string humanBytes(int64_t bytes) {
  if (bytes < 1024)
    return std::to_string(bytes) + " bytes";
  if (bytes < (int64_t(1) << 20))
    return llvm::formatv("{0:f1} KiB", bytes / 1024.0).str();
  if (bytes < (int64_t(1) << 30))
    return llvm::formatv("{0:f1} MiB", bytes / double(1 << 20)).str();
  return llvm::formatv("{0:f2} GiB", bytes / double(1 << 30)).str();
}

} // namespace

int inspect(const InspectOptions &options) {
  std::unique_ptr<MLIRContext> ctx = makeContext(*options.pipeline.target);
  // Parameter counts and blocks do not depend on the batch: a dynamic one
  // is taken as kAssumedBatch (and said so) unless --batch-size gives it.
  ImportOptions io = options.import;
  io.assumedBatchSize = kAssumedBatch;
  bool batchAssumed = false;
  OwningOpRef<ModuleOp> module = importModel(
      *ctx, options.model, io, options.pipeline, nullptr, &batchAssumed);
  if (!module)
    return 1;
  auto forward = module->lookupSymbol<func::FuncOp>(rt::abi::kForward);
  fg::PartitionOptions po;
  const PipelineOptions &train = options.pipeline;
  po.boundaries.assign(train.blocks.begin(), train.blocks.end());
  po.groups.assign(train.groups.begin(), train.groups.end());
  po.layouts.assign(train.layouts.begin(), train.layouts.end());
  po.readout = train.readout;
  std::string why;
  FailureOr<fg::Partition> partition;
  {
    FirstErrorCollector handler(ctx.get(), why);
    partition = fg::analyzePartition(forward, po);
  }
  if (failed(partition))
    return error(options.model + ": " + why);
  fg::Partition &p = *partition;
  auto logitsType = p.logits ? dyn_cast<RankedTensorType>(p.logits.getType())
                             : RankedTensorType();
  if (!logitsType || logitsType.getRank() != 2)
    return error(options.model + ": the model's output must be [N, classes]");
  int64_t classes = logitsType.getDimSize(1);
  int64_t modelParams = 0;
  llvm::StringMap<int64_t> paramSize;
  for (auto param : module->getOps<fg::ParameterOp>()) {
    paramSize[param.getSymName()] = numElements(param.getType());
    modelParams += numElements(param.getType());
  }
  bool local = !options.training || fg::usesLocalLosses(train.algo);
  int64_t headParams = 0;
  llvm::json::Array blocks, points;
  for (auto [b, block] : llvm::enumerate(p.blocks)) {
    bool hasHead = local && (train.modularLoss || b + 1 == p.blocks.size());
    int64_t head = hasHead ? block.channels * classes + classes : 0;
    headParams += head;
    llvm::json::Array sites, nodes;
    for (const std::string &n : block.nodes)
      nodes.push_back(n);
    for (unsigned i : block.layers) {
      const fg::LinearLayer &l = p.layers[i];
      int64_t params = paramSize.lookup(l.weightName) +
                       (l.biasName.empty() ? 0 : paramSize.lookup(l.biasName));
      for (Operation *c : l.chain)
        for (Value v : c->getOperands())
          if (auto pr = v.getDefiningOp<fg::ParamOp>())
            params += paramSize.lookup(pr.getName());
      llvm::json::Object site{
          {"site", static_cast<int64_t>(i)},
          {"layer", l.name},
          {"node", fg::nodeName(l.op)},
          {"z_node", fg::nodeName(l.z.getDefiningOp())},
          {"kind", l.isConv()  ? "conv"
                   : l.grouped ? "grouped"
                               : "dense"},
          {"shape", typeString(l.z.getType())},
          {"activation",
           l.activation
               ? l.activation->getName().getStringRef().drop_front(3).str()
               : "none"},
          {"residual", static_cast<bool>(l.skip)},
          {"params", params},
          {"block", static_cast<int64_t>(b)}};
      sites.push_back(llvm::json::Object(site));
      points.push_back(std::move(site));
    }
    llvm::json::Object obj{
        {"name", block.name},
        {"nodes", std::move(nodes)},
        {"output", fg::nodeName(block.output.getDefiningOp())},
        {"output_shape", typeString(block.output.getType())},
        {"layout", block.layout.letters},
        {"patches", block.patches},
        {"groups", block.groups},
        {"channels", block.channels},
        {"perturbation_points", std::move(sites)}};
    if (hasHead)
      obj["head"] = llvm::json::Object{
          {"input", "[N, " + std::to_string(block.patches) + ", " +
                        std::to_string(block.groups) + ", " +
                        std::to_string(block.channels / block.groups) + "]"},
          {"weight",
           std::to_string(block.channels) + "x" + std::to_string(classes)},
          {"params", head},
          {"copies", block.patches * block.groups}};
    else
      obj["head"] = nullptr;
    blocks.push_back(std::move(obj));
  }
  int64_t readoutParams = 0;
  llvm::json::Value readout = nullptr;
  if (p.readout) {
    const fg::LinearLayer &r = *p.readout;
    readoutParams = paramSize.lookup(r.weightName) +
                    (r.biasName.empty() ? 0 : paramSize.lookup(r.biasName));
    for (Operation *c : r.chain)
      for (Value v : c->getOperands())
        if (auto pr = v.getDefiningOp<fg::ParamOp>())
          readoutParams += paramSize.lookup(pr.getName());
    readout = llvm::json::Object{{"layer", r.name},
                                 {"node", fg::nodeName(r.op)},
                                 {"params", readoutParams}};
  }
  // What one step keeps alive; a network the training passes refuse still
  // shows its partition, with the reason.
  std::string memoryWhy;
  FailureOr<LiveMemory> memory = planStepMemory(*module, train, memoryWhy);
  llvm::json::Value stepMemory = nullptr;
  if (succeeded(memory))
    stepMemory =
        llvm::json::Object{{"peak_activation_bytes", memory->peakBytes},
                           {"all_activation_bytes", memory->totalBytes},
                           {"buffers", memory->buffers}};
  if (options.json) {
    llvm::json::Object root{
        {"model", options.model},
        {"algorithm",
         options.training ? fg::stringifyAlgorithm(train.algo) : "lg-fg-a"},
        {"total_params", modelParams + headParams},
        {"model_params", modelParams},
        {"head_params", headParams},
        {"classes", classes},
        {"batch", batchOf(forward)},
        {"batch_assumed", batchAssumed},
        {"readout", std::move(readout)},
        {"step_memory", std::move(stepMemory)},
        {"blocks", std::move(blocks)},
        {"perturbation_points", std::move(points)}};
    if (failed(memory))
      root["step_memory_error"] = memoryWhy;
    llvm::outs() << llvm::formatv("{0:2}", llvm::json::Value(std::move(root)))
                 << "\n";
    return 0;
  }
  llvm::raw_ostream &os = llvm::outs();
  os << options.model << ": " << p.blocks.size() << " block(s), "
     << p.layers.size() << " perturbation point(s), " << classes
     << " classes\n";
  if (batchAssumed)
    os << "(the batch is dynamic: shapes are shown at batch " << kAssumedBatch
       << "; --batch-size sets it)\n";
  for (auto [b, v] : llvm::enumerate(blocks)) {
    const llvm::json::Object &o = *v.getAsObject();
    const fg::LocalBlock &block = p.blocks[b];
    os << "\n"
       << block.name << ": output " << typeString(block.output.getType())
       << " at '" << fg::nodeName(block.output.getDefiningOp()) << "', layout "
       << block.layout.letters << ", P=" << block.patches
       << ", G=" << block.groups << ", C=" << block.channels << "\n";
    os << "  nodes: " << block.nodes.size() << " ("
       << (block.nodes.empty() ? "" : block.nodes.front()) << " .. "
       << (block.nodes.empty() ? "" : block.nodes.back()) << ")\n";
    for (unsigned i : block.layers) {
      const fg::LinearLayer &l = p.layers[i];
      os << "  site " << i << ": " << l.name << " ("
         << (l.isConv()  ? "conv"
             : l.grouped ? "grouped"
                         : "dense")
         << ", at '" << fg::nodeName(l.op) << "'), perturbation "
         << typeString(l.z.getType())
         << (l.activation ? " before " + l.activation->getName()
                                             .getStringRef()
                                             .drop_front(3)
                                             .str()
                          : std::string())
         << (l.skip ? ", before the residual add" : "") << "\n";
    }
    if (const llvm::json::Object *h = o.getObject("head"))
      os << "  head: pool -> " << *h->getString("weight")
         << " linear -> softmax CE, replicated " << *h->getInteger("copies")
         << "x, " << *h->getInteger("params") << " parameters\n";
  }
  if (p.readout)
    os << "\nreadout: " << p.readout->name << " (" << readoutParams
       << " parameters, exact gradient)\n";
  else
    os << "\nreadout: none (the result is no linear layer's output through "
          "pooling and flattening): the local losses train every layer, the "
          "loss of the model's result is measured\n";
  os << "parameters: " << modelParams << " model + " << headParams
     << " local heads = " << modelParams + headParams << "\n";
  if (succeeded(memory))
    os << "training step (" << fg::stringifyAlgorithm(train.algo) << ", batch "
       << batchOf(forward) << "): at most " << humanBytes(memory->peakBytes)
       << " of activations alive at once (" << humanBytes(memory->totalBytes)
       << " if none were freed before the step ends)\n";
  else
    os << "training step: not planned: " << memoryWhy << "\n";
  return 0;
}

} // namespace fgc::driver

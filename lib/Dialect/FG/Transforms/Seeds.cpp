//===- Seeds.cpp - What fg-jvp and fg-vjp differentiate with respect to ---===//

#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Dialect/FG/Transforms/Differentiation.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;

namespace fgc::fg {

bool isFloatTensor(Type t) {
  auto tt = dyn_cast<RankedTensorType>(t);
  return tt && isa<FloatType>(tt.getElementType());
}

FailureOr<SmallVector<Seed>>
resolveSeeds(func::FuncOp func, ArrayRef<std::string> wrt, StringRef pass) {
  SmallVector<Seed> args, params;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    StringAttr name = getArgName(func, i);
    Seed s;
    s.name = name ? name.str() : "arg" + std::to_string(i);
    s.type = func.getArgument(i).getType();
    s.argIndex = i;
    args.push_back(s);
  }
  llvm::SetVector<StringRef> paramNames;
  llvm::StringMap<Type> paramTypes;
  func.walk([&](ParamOp p) {
    paramNames.insert(p.getName());
    paramTypes[p.getName()] = p.getType();
  });
  for (StringRef p : paramNames) {
    Seed s;
    s.name = p.str();
    s.type = paramTypes[p];
    s.param = p;
    params.push_back(s);
  }

  SmallVector<std::string> wanted(wrt.begin(), wrt.end());
  if (wanted.empty())
    wanted.push_back("inputs");
  SmallVector<Seed> seeds;
  llvm::StringSet<> taken;
  auto add = [&](const Seed &s, bool explicitName) -> LogicalResult {
    if (!isFloatTensor(s.type)) {
      if (!explicitName)
        return success();
      return func.emitError(pass)
             << ": cannot differentiate with respect to '" << s.name
             << "': its type " << s.type << " is not floating-point";
    }
    if (taken.insert(s.name).second)
      seeds.push_back(s);
    return success();
  };
  for (const std::string &w : wanted) {
    if (w == "inputs" || w == "params") {
      for (const Seed &s : w == "inputs" ? args : params)
        if (failed(add(s, false)))
          return failure();
      continue;
    }
    const Seed *match = nullptr;
    for (const Seed &s : args)
      if (s.name == w)
        match = &s;
    for (const Seed &s : params)
      if (!match && s.name == w)
        match = &s;
    unsigned index;
    if (!match && !StringRef(w).getAsInteger(10, index) && index < args.size())
      match = &args[index];
    if (!match) {
      std::string inputs, names;
      for (const Seed &s : args)
        inputs += (inputs.empty() ? "" : ", ") + s.name;
      for (const Seed &s : params)
        names += (names.empty() ? "" : ", ") + s.name;
      return func.emitError(pass)
             << ": @" << func.getName() << " has no input or parameter named '"
             << w << "' (inputs: " << inputs
             << "; parameters: " << (names.empty() ? "none" : names) << ")";
    }
    if (failed(add(*match, true)))
      return failure();
  }
  return seeds;
}

} // namespace fgc::fg

//===- Artifact.cpp - Target-neutral parts of compiled programs -----------===//

#include "fgc/Target/Artifact.h"

#include "fgc/Dialect/FG/IR/FGAttributes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

using namespace mlir;

namespace fgc {

namespace {

FailureOr<rt::DType> dtypeOf(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t)
    return failure();
  Type e = t.getElementType();
  if (e.isF32())
    return rt::DType::F32;
  if (e.isF64())
    return rt::DType::F64;
  if (e.isInteger(64))
    return rt::DType::I64;
  if (e.isInteger(1))
    return rt::DType::Bool;
  return failure();
}

} // namespace

FailureOr<FunctionSignature> getSignature(ModuleOp module, StringRef entry,
                                          std::string &error) {
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func) {
    error = ("the module has no function '" + entry + "'").str();
    return failure();
  }
  FunctionSignature sig;
  sig.name = entry.str();
  FunctionType type = func.getFunctionType();
  // Completes `spec` with the dtype and shape of `t` and appends it.
  auto addArg = [&](rt::ArgSpec &spec, Type t,
                    StringRef what) -> LogicalResult {
    FailureOr<rt::DType> dtype = dtypeOf(t);
    if (failed(dtype)) {
      error = (what + " '" + spec.name + "' has unsupported type").str();
      return failure();
    }
    auto shape = cast<RankedTensorType>(t).getShape();
    spec.dtype = *dtype;
    spec.shape.assign(shape.begin(), shape.end());
    sig.args.push_back(spec);
    return success();
  };
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    rt::ArgSpec spec;
    if (StringAttr name = fg::getArgParam(func, i)) {
      spec.kind = rt::ArgSpec::Kind::Parameter;
      spec.name = name.str();
    } else {
      spec.kind = rt::ArgSpec::Kind::Input;
      StringAttr argName = fg::getArgName(func, i);
      spec.name = argName ? argName.str() : "arg" + std::to_string(i);
    }
    if (failed(addArg(spec, type.getInput(i), "argument")))
      return failure();
  }
  for (unsigned i = 0; i < type.getNumResults(); ++i) {
    rt::ArgSpec spec;
    spec.kind = rt::ArgSpec::Kind::Output;
    StringAttr name = fg::getResultName(func, i);
    spec.name = name ? name.str() : "result" + std::to_string(i);
    if (failed(addArg(spec, type.getResult(i), "result")))
      return failure();
  }
  return sig;
}

bool addPackedEntry(llvm::Module &module, StringRef entry, StringRef name) {
  llvm::Function *f = module.getFunction(("_mlir_ciface_" + entry).str());
  if (!f || f->isDeclaration())
    return false;
  llvm::LLVMContext &ctx = module.getContext();
  auto *ptr = llvm::PointerType::get(ctx, 0);
  auto *type =
      llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr}, false);
  auto *wrapper = llvm::Function::Create(type, llvm::Function::ExternalLinkage,
                                         name, module);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", wrapper));
  llvm::Value *packed = wrapper->getArg(0);
  SmallVector<llvm::Value *> args;
  for (auto [i, arg] : llvm::enumerate(f->args())) {
    llvm::Value *slot = b.CreateConstGEP1_64(ptr, packed, i);
    llvm::Value *argPtr = b.CreateLoad(ptr, slot);
    args.push_back(b.CreateLoad(arg.getType(), argPtr));
  }
  llvm::Value *result = b.CreateCall(f, args);
  if (!f->getReturnType()->isVoidTy()) {
    llvm::Value *slot = b.CreateConstGEP1_64(ptr, packed, args.size());
    b.CreateStore(result, b.CreateLoad(ptr, slot));
  }
  b.CreateRetVoid();
  return true;
}

void addByteArray(llvm::Module &module, StringRef name, StringRef bytes) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Constant *data = llvm::ConstantDataArray::getRaw(
      bytes, bytes.size(), llvm::Type::getInt8Ty(ctx));
  auto *global =
      new llvm::GlobalVariable(module, data->getType(), /*isConstant=*/true,
                               llvm::GlobalValue::ExternalLinkage, data, name);
  global->setAlignment(llvm::Align(64));
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  new llvm::GlobalVariable(
      module, i64, true, llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantInt::get(i64, bytes.size()), (name + "_size").str());
}

bool linkExecutable(ArrayRef<std::string> objects, StringRef output,
                    ArrayRef<std::string> libraries, const LinkCommand &command,
                    std::string &error) {
  llvm::ErrorOr<std::string> cxx =
      llvm::sys::path::is_absolute(command.driver)
          ? llvm::ErrorOr<std::string>(command.driver)
          : llvm::sys::findProgramByName(command.driver);
  if (!cxx || !llvm::sys::fs::can_execute(*cxx)) {
    error =
        "cannot link " + output.str() + ": no '" + command.driver + "' on PATH";
    return false;
  }
  // Linked under a temporary name, renamed when complete: a failed link
  // leaves no executable behind.
  std::string linked = (output + ".linking").str();
  llvm::scope_exit cleanup([&] { llvm::sys::fs::remove(linked); });
  std::vector<std::string> argv = {*cxx};
  llvm::append_range(argv, command.flags);
  argv.insert(argv.end(), {"-o", linked});
  llvm::append_range(argv, objects);
  llvm::append_range(argv, libraries);
  std::vector<StringRef> args(argv.begin(), argv.end());
  std::string message;
  int rc =
      llvm::sys::ExecuteAndWait(*cxx, args, std::nullopt, {}, 0, 0, &message);
  if (rc != 0) {
    error = "linking " + output.str() + " failed" +
            (message.empty() ? "" : ": " + message);
    return false;
  }
  if (std::error_code ec = llvm::sys::fs::rename(linked, output)) {
    error = output.str() + ": " + ec.message();
    return false;
  }
  return true;
}

} // namespace fgc

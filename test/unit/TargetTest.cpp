//===- TargetTest.cpp - Target-neutral code generation --------------------===//

#include "fgc/Target/Target.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <gtest/gtest.h>

using namespace fgc;

namespace {

/// Two functions, one calling the other: fewer functions than parts, so
/// some parts are empty, and a call that crosses parts.
const char *kModule = R"(
  llvm.func @scale(%x: f32) -> f32 attributes {passthrough = ["noinline"]} {
    %c = llvm.mlir.constant(2.0 : f32) : f32
    %y = llvm.fmul %x, %c : f32
    llvm.return %y : f32
  }
  llvm.func @twice(%x: f32) -> f32 {
    %y = llvm.call @scale(%x) : (f32) -> f32
    %z = llvm.call @scale(%y) : (f32) -> f32
    llvm.return %z : f32
  }
)";

/// out[i] = 2 * in[i] over 4096 floats: a loop the vectoriser widens.
const char *kLoop = R"(
  llvm.func @scale(%in: !llvm.ptr {llvm.noalias}, %out: !llvm.ptr {llvm.noalias}) {
    %c0 = llvm.mlir.constant(0 : i64) : i64
    %c1 = llvm.mlir.constant(1 : i64) : i64
    %n = llvm.mlir.constant(4096 : i64) : i64
    %two = llvm.mlir.constant(2.0 : f32) : f32
    llvm.br ^loop(%c0 : i64)
  ^loop(%i: i64):
    %a = llvm.getelementptr %in[%i] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    %x = llvm.load %a : !llvm.ptr -> f32
    %y = llvm.fmul %x, %two : f32
    %b = llvm.getelementptr %out[%i] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    llvm.store %y, %b : f32, !llvm.ptr
    %j = llvm.add %i, %c1 : i64
    %done = llvm.icmp "eq" %j, %n : i64
    llvm.cond_br %done, ^exit, ^loop(%j : i64)
  ^exit:
    llvm.return
  }
)";

std::unique_ptr<llvm::Module> translate(mlir::MLIRContext &ctx,
                                        llvm::LLVMContext &llvmCtx,
                                        const char *source = kModule) {
  mlir::DialectRegistry registry;
  getCPUTarget().registerDialects(registry);
  ctx.appendDialectRegistry(registry);
  ctx.loadAllAvailableDialects();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source, &ctx);
  if (!module)
    return nullptr;
  std::string error;
  auto result = getCPUTarget().translateToLLVMIR(*module, llvmCtx, {}, error);
  EXPECT_TRUE(result) << error;
  return result;
}

} // namespace

TEST(CompileToObjects, EveryPartIsAnObjectFile) {
  mlir::MLIRContext ctx;
  llvm::LLVMContext llvmCtx;
  std::unique_ptr<llvm::Module> module = translate(ctx, llvmCtx);
  ASSERT_TRUE(module);
  std::vector<std::string> objects;
  for (int i = 0; i < 4; ++i) {
    llvm::SmallString<128> path;
    ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("fgc-part", "o", path));
    objects.push_back(path.str().str());
  }
  std::string error;
  EXPECT_TRUE(
      compileToObjects(getCPUTarget(), std::move(module), {}, objects, error))
      << error;
  int defining = 0;
  for (const std::string &path : objects) {
    auto buffer = llvm::MemoryBuffer::getFile(path);
    ASSERT_TRUE(buffer) << path;
    llvm::StringRef bytes = (*buffer)->getBuffer();
    EXPECT_TRUE(bytes.starts_with("\x7f"
                                  "ELF"))
        << path;
    defining += bytes.contains("twice");
    llvm::sys::fs::remove(path);
  }
  EXPECT_EQ(defining, 1);
}

TEST(CompileToObjects, UnwritablePathIsNamed) {
  mlir::MLIRContext ctx;
  llvm::LLVMContext llvmCtx;
  std::unique_ptr<llvm::Module> module = translate(ctx, llvmCtx);
  ASSERT_TRUE(module);
  std::vector<std::string> objects(2, "/nonexistent-dir/part.o");
  std::string error;
  EXPECT_FALSE(
      compileToObjects(getCPUTarget(), std::move(module), {}, objects, error));
  EXPECT_NE(error.find("/nonexistent-dir/part.o"), std::string::npos) << error;
}

/// Loops use the CPU's full vector width: on an AVX-512 CPU that LLVM tunes
/// for 256-bit vectors (Skylake-SP), 16 floats per vector, not 8.
TEST(CPUTarget, LoopsUseFullWidthVectors) {
  if (!llvm::Triple(llvm::sys::getProcessTriple()).isX86())
    GTEST_SKIP() << "x86 only";
  mlir::MLIRContext ctx;
  llvm::LLVMContext llvmCtx;
  std::unique_ptr<llvm::Module> module = translate(ctx, llvmCtx, kLoop);
  ASSERT_TRUE(module);
  CodegenOptions options;
  options.cpu = "skylake-avx512";
  std::string error;
  ASSERT_TRUE(getCPUTarget().optimizeLLVMIR(*module, options, error)) << error;
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, nullptr);
  EXPECT_NE(text.find("<16 x float>"), std::string::npos) << text;
}

//===- Diagnostics.h - The first error as a one-line message ----*- C++ -*-===//
//
// fgc reports every failure as one line naming the file, node or flag. The
// compiler's passes, analyses and back ends report through MLIR diagnostics;
// this handler keeps the first error's message (optionally with its
// location) for the caller to prefix and print, and swallows the rest.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_SUPPORT_DIAGNOSTICS_H
#define FGC_SUPPORT_DIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace fgc {

class FirstErrorCollector {
public:
  /// Collects into `error` (left alone if it is already set) while in scope.
  /// With `withLocation`, " (at LOC)" follows the message: useful where the
  /// failing op was made by the compiler rather than imported.
  FirstErrorCollector(mlir::MLIRContext *ctx, std::string &error,
                      bool withLocation = false)
      : handler(ctx, [&error, withLocation](mlir::Diagnostic &diag) {
          if (diag.getSeverity() != mlir::DiagnosticSeverity::Error ||
              !error.empty())
            return mlir::success();
          error = diag.str();
          if (withLocation) {
            std::string loc;
            llvm::raw_string_ostream os(loc);
            os << diag.getLocation();
            error += " (at " + loc + ")";
          }
          return mlir::success();
        }) {}

private:
  mlir::ScopedDiagnosticHandler handler;
};

} // namespace fgc

#endif // FGC_SUPPORT_DIAGNOSTICS_H

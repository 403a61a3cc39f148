//===- OptionsBinder.h - Options declared once, bound twice -----*- C++ -*-===//
//
// An options struct declares each of its options once, in a method taking an
// OptionsBinder (PipelineOptions::bindTrainingOptions), and the binder
// attaches them either
// to a tool's command line (`fgc compile --algo=fg-w`) or to a registered
// pass pipeline's option string (`fgc-opt --fgc-training="algo=fg-w"`). So the
// name, type, default and help of an option live in one place, whichever tool
// reads it. (IREE's OptionsBinder has the same role.)
//
//===----------------------------------------------------------------------===//

#ifndef FGC_PIPELINES_OPTIONSBINDER_H
#define FGC_PIPELINES_OPTIONSBINDER_H

#include "mlir/Pass/PassOptions.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/CommandLine.h"

#include <functional>
#include <memory>
#include <vector>

namespace fgc {

class OptionsBinder {
public:
  /// Which subcommands of a tool an option belongs to, by option name.
  using SubCommandsFn =
      std::function<std::vector<llvm::cl::SubCommand *>(llvm::StringRef)>;

  /// Binds to global options of the tool's command line, in `category`, each
  /// in the subcommands `subs` gives for its name; parsing the command line
  /// writes the struct's fields directly.
  static OptionsBinder global(llvm::cl::OptionCategory &category,
                              SubCommandsFn subs) {
    OptionsBinder b;
    b.category = &category;
    b.subs = std::move(subs);
    return b;
  }

  /// Binds to the options of a pass pipeline; `sync()` copies their parsed
  /// values into the struct's fields.
  static OptionsBinder local(mlir::detail::PassOptions &owner) {
    OptionsBinder b;
    b.owner = &owner;
    return b;
  }

  /// An option holding one value; `field`'s value is the default.
  template <typename T, typename... Mods>
  void opt(llvm::StringRef name, T &field, Mods &&...mods) {
    if (owner) {
      auto o = std::make_unique<mlir::detail::PassOptions::Option<T>>(
          *owner, name, llvm::cl::init(field), std::forward<Mods>(mods)...);
      auto *raw = o.get();
      syncs.push_back([raw, &field] { field = raw->getValue(); });
      keep(std::move(o), name);
      return;
    }
    keep(std::make_unique<llvm::cl::opt<T, /*ExternalStorage=*/true>>(
             name, llvm::cl::location(field), llvm::cl::cat(*category),
             SubCommands{subs(name)}, std::forward<Mods>(mods)...),
         name);
  }

  /// An option holding a comma-separated list.
  template <typename T, typename... Mods>
  void list(llvm::StringRef name, std::vector<T> &field, Mods &&...mods) {
    if (owner) {
      auto o = std::make_unique<mlir::detail::PassOptions::ListOption<T>>(
          *owner, name, std::forward<Mods>(mods)...);
      auto *raw = o.get();
      syncs.push_back([raw, &field] {
        if (raw->hasValue())
          field.assign(raw->begin(), raw->end());
      });
      keep(std::move(o), name);
      return;
    }
    keep(std::make_unique<llvm::cl::list<T, std::vector<T>>>(
             name, llvm::cl::location(field), llvm::cl::CommaSeparated,
             llvm::cl::cat(*category), SubCommands{subs(name)},
             std::forward<Mods>(mods)...),
         name);
  }

  /// Copies the values of pass-pipeline options into the fields.
  void sync() const {
    for (const std::function<void()> &s : syncs)
      s();
  }

  /// Whether the option `name` was given (global bindings only).
  bool isSet(llvm::StringRef name) const {
    auto it = byName.find(name);
    return it != byName.end() && it->second->getNumOccurrences() > 0;
  }

private:
  OptionsBinder() = default;

  /// A modifier adding an option to several subcommands.
  struct SubCommands {
    std::vector<llvm::cl::SubCommand *> list;
    template <typename Opt> void apply(Opt &o) const {
      for (llvm::cl::SubCommand *s : list)
        o.addSubCommand(*s);
    }
  };

  void keep(std::unique_ptr<llvm::cl::Option> o, llvm::StringRef name) {
    byName[name] = o.get();
    owned.push_back(std::move(o));
  }

  mlir::detail::PassOptions *owner = nullptr;
  llvm::cl::OptionCategory *category = nullptr;
  SubCommandsFn subs;
  std::vector<std::unique_ptr<llvm::cl::Option>> owned;
  std::vector<std::function<void()>> syncs;
  llvm::StringMap<llvm::cl::Option *> byName;
};

} // namespace fgc

#endif // FGC_PIPELINES_OPTIONSBINDER_H

//===- Options.cpp - The trainer's command line ---------------------------===//
//
// CLI11 splits the command line (--key=value and --key value), finds the
// options and formats --help from their declarations. The checks stay the
// trainer's own so that errors keep their one-line wording (tests match it):
// every option is checked as it is parsed, and an unknown option reported
// before a later bad value, as a left-to-right reading would.
//
// CLI11 reports errors by throwing: this file is compiled with -fexceptions,
// and no exception leaves it.
//
//===----------------------------------------------------------------------===//

#include "Trainer.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <sstream>

using namespace fgc::rt;

namespace fgc::trainer {

namespace {

/// Help in the trainer's own layout: the description (the compiled-in
/// facts), then one line per option, "--name=TYPE" in a 22-column field.
class HelpFormatter : public CLI::Formatter {
public:
  std::string make_help(const CLI::App *app, std::string,
                        CLI::AppFormatMode) const override {
    std::string out = app->get_description() + "\nOptions:\n";
    for (const CLI::Option *opt : app->get_options()) {
      std::string name = "  --" + opt->get_lnames().front();
      if (!opt->get_type_name().empty())
        name += "=" + opt->get_type_name();
      name.resize(std::max<size_t>(name.size(), 24), ' ');
      std::string text = opt->get_description();
      for (size_t at = text.find('\n'); at != std::string::npos;
           at = text.find('\n', at + 1))
        text.insert(at + 1, 24, ' ');
      out += name + text + "\n";
    }
    return out;
  }
};

std::string preamble(const ModelDescription &d, const char *argv0) {
  std::string s = std::string(argv0) +
                  ": a forward-gradient trainer compiled by fgc\n\n"
                  "USAGE: " +
                  argv0 +
                  " [options]\n\n"
                  "Compiled in (read-only; recompile with fgc to change):\n";
  char line[512];
  auto row = [&](const std::string &key, const std::string &value) {
    std::snprintf(line, sizeof line, "  %-16s %s\n", key.c_str(),
                  value.c_str());
    s += line;
  };
  for (const auto &[key, value] : d.facts())
    row(key, value);
  for (const ArgSpec &a : d.function(rt::abi::kTrainStep)->args)
    if (a.kind == ArgSpec::Kind::Input && a.name == "image")
      row("input", a.typeString());
  return s;
}

std::vector<std::string> splitList(const std::string &s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty())
      out.push_back(item);
  return out;
}

/// How each occurrence of a flag was written (see cliArguments).
using Spellings = std::map<std::string, std::deque<std::string>>;

/// Declares the options on `app`; each callback checks and stores its value
/// as the option is read.
void declareOptions(CLI::App &app, Options &o, Spellings &spellings) {
  auto text = [&](const char *name, const char *type, const char *help,
                  std::function<void(const std::string &)> store) {
    app.add_option_function<std::string>(name, store, help)
        ->type_name(type)
        ->trigger_on_parse();
  };
  auto oneOf = [](const char *name, std::string &into, const char *expected,
                  std::vector<std::string> allowed) {
    return [=, &into](const std::string &v) {
      if (std::find(allowed.begin(), allowed.end(), v) == allowed.end())
        throw CLI::ValidationError(std::string(name) + "=" + v + ": expected " +
                                   expected);
      into = v;
    };
  };
  auto integer = [&](const char *name, const char *help, int64_t min,
                     std::function<void(int64_t)> store) {
    text(name, "N", help, [=](const std::string &v) {
      char *end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || n < min)
        throw CLI::ValidationError(
            std::string(name) + "=" + v +
            ": expected an integer >= " + std::to_string(min));
      store(n);
    });
  };
  // A flag takes no value: "--quiet=x" is an unknown option.
  auto flag = [&](const char *name, const char *help, bool &into) {
    CLI::callback_t store = [name, &into, &spellings](const CLI::results_t &) {
      std::deque<std::string> &written = spellings[name];
      std::string arg = written.empty() ? name : written.front();
      if (!written.empty())
        written.pop_front();
      if (arg != name)
        throw CLI::ValidationError("unknown option '" + arg + "' (see --help)");
      into = true;
      return true;
    };
    app.add_option(name, store, help)
        ->expected(0)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
        ->trigger_on_parse();
  };

  text("--data", "DIR",
       "data directory (default /usr/share/datasets/fashion-mnist): IDX "
       "files\n({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]) or "
       "CIFAR-10 batches",
       [&](const std::string &v) { o.data = v; });
  text("--train", "FILE,...",
       "training files instead of --data (IDX: images,labels; CIFAR: batches)",
       [&](const std::string &v) { o.trainFiles = splitList(v); });
  text("--test", "FILE,...", "test files instead of --data",
       [&](const std::string &v) { o.testFiles = splitList(v); });
  text("--dataset", "NAME",
       "mnist, fashion-mnist or cifar10 (default: detected)",
       oneOf("--dataset", o.dataset, "mnist, fashion-mnist or cifar10",
             {"mnist", "fashion-mnist", "cifar10"}));
  text("--normalize", "MODE",
       "published (the data set's constants, default) or computed",
       oneOf("--normalize", o.normalization, "published or computed",
             {"published", "computed"}));
  text("--fit", "MODE",
       "fit images to the model's height and width: auto (pad when the model "
       "takes\nlarger images, else resize; default), pad, resize (bilinear) "
       "or none;\none grey channel is replicated when the model takes three",
       oneOf("--fit", o.fit, "auto, pad, resize or none",
             {"auto", "pad", "resize", "none"}));
  integer("--epochs", "epochs to train (default 1)", 1,
          [&](int64_t n) { o.epochs = n; });
  text("--lr", "X", "peak learning rate (default 0.01)",
       [&](const std::string &v) {
         char *end = nullptr;
         double lr = std::strtod(v.c_str(), &end);
         if (v.empty() || *end || !(lr >= 0) || !std::isfinite(lr))
           throw CLI::ValidationError("--lr=" + v +
                                      ": expected a non-negative number");
         o.lr = lr;
       });
  integer("--warmup-epochs",
          "warm-up of the warmup-cosine schedule (default 0)", 0,
          [&](int64_t n) { o.warmupEpochs = n; });
  integer("--seed", "seed of the data order and the perturbations (default 0)",
          0, [&](int64_t n) { o.seed = n; });
  integer("--threads", "threads (default: OMP_NUM_THREADS, else one per core)",
          0, [&](int64_t n) { o.threads = n; });
  integer("--eval-every", "evaluate on the test set every N epochs (default 1)",
          1, [&](int64_t n) { o.evalEvery = n; });
  text("--metrics", "FILE", "JSON lines, one object per epoch",
       [&](const std::string &v) { o.metrics = v; });
  text("--plot", "FILE",
       "SVG plot of train/test error per epoch (default: METRICS.svg)",
       [&](const std::string &v) { o.plot = v; });
  text("--checkpoint-dir", "DIR",
       "write DIR/checkpoint.fgc every epoch and on SIGINT/SIGTERM",
       [&](const std::string &v) { o.checkpointDir = v; });
  flag("--resume", "continue from DIR/checkpoint.fgc", o.resume);
  text("--export", "FILE.onnx", "write the trained model as ONNX",
       [&](const std::string &v) { o.exportPath = v; });
  text("--divergence-factor", "X",
       "stop when a step's loss exceeds X times its first value in the run\n"
       "(with --resume: its mean over the checkpoint's first epoch; default\n"
       "1e4; 0: never), as on a loss that is not finite",
       [&](const std::string &v) {
         char *end = nullptr;
         double f = std::strtod(v.c_str(), &end);
         if (v.empty() || *end || !std::isfinite(f) || !(f == 0 || f > 1))
           throw CLI::ValidationError("--divergence-factor=" + v +
                                      ": expected 0 or a number > 1");
         o.divergenceFactor = f;
       });
  integer("--max-steps", "stop after N steps (with a checkpoint), for tests", 1,
          [&](int64_t n) { o.maxSteps = n; });
  flag("--quiet", "only errors and the final summary", o.quiet);
  // Help as soon as it is read, like any other option: errors before it win.
  app.add_option(
         "--help",
         [](const CLI::results_t &) -> bool { throw CLI::CallForHelp(); },
         "this text")
      ->expected(0)
      ->trigger_on_parse();
}

/// The arguments as CLI11 takes them (last first), spelled so that it reads
/// them as the trainer always has: "--key=" gives `key` an empty value
/// (CLI11 would take the next argument) and -h is --help (CLI11 would read
/// -hx as -h -x). `spellings` gets how each flag was written, in order:
/// CLI11 hands "--quiet=true" to the flag like "--quiet", but only the
/// latter is the flag.
std::vector<std::string> cliArguments(const CLI::App &app, int argc,
                                      char **argv, Spellings &spellings) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    size_t eq = arg.find('=');
    const CLI::Option *opt = arg.size() > 2 && arg.compare(0, 2, "--") == 0
                                 ? app.get_option_no_throw(arg.substr(0, eq))
                                 : nullptr;
    if (!opt) {
      args.push_back(arg == "-h" ? "--help" : arg);
    } else if (opt->get_expected_max() == 0) {
      spellings["--" + opt->get_lnames().front()].push_back(arg);
      args.push_back(arg);
    } else if (eq == std::string::npos) {
      // The next argument is the value, whatever it looks like.
      args.push_back(arg);
      if (i + 1 < argc)
        args.push_back(argv[++i]);
    } else if (eq + 1 == arg.size()) {
      args.push_back(arg.substr(0, eq));
      args.push_back("");
    } else {
      args.push_back(arg);
    }
  }
  std::reverse(args.begin(), args.end());
  return args;
}

} // namespace

Parsed parseOptions(int argc, char **argv, const ModelDescription &d,
                    Options &o, std::string &error) {
  Spellings spellings;
  CLI::App app(preamble(d, argv[0]));
  auto unknown = [&]() {
    error = "unknown option '" + app.remaining().front() + "' (see --help)";
    return Parsed::Error;
  };
  try {
    app.set_help_flag();
    app.formatter(std::make_shared<HelpFormatter>());
    // Unknown arguments are collected, to be named in our own words.
    app.allow_extras();
    declareOptions(app, o, spellings);
    std::vector<std::string> args = cliArguments(app, argc, argv, spellings);
    app.parse(args);
  } catch (const CLI::CallForHelp &) {
    if (!app.remaining().empty())
      return unknown();
    std::fputs(app.help().c_str(), stdout);
    return Parsed::Help;
  } catch (const CLI::ArgumentMismatch &) {
    // An option that takes a value ended the command line.
    if (!app.remaining().empty())
      return unknown();
    error = std::string(argv[argc - 1]) + ": missing value";
    return Parsed::Error;
  } catch (const CLI::Error &e) {
    if (!app.remaining().empty())
      return unknown();
    error = e.what();
    return Parsed::Error;
  }
  if (!app.remaining().empty())
    return unknown();
  if (o.resume && o.checkpointDir.empty()) {
    error = "--resume needs --checkpoint-dir";
    return Parsed::Error;
  }
  if (o.plot.empty() && !o.metrics.empty())
    o.plot = o.metrics + ".svg";
  return Parsed::Run;
}

} // namespace fgc::trainer

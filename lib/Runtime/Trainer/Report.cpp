//===- Report.cpp - What the trainer prints and plots ---------------------===//
//
// Progress on a terminal, one line per epoch, the metrics file (JSON lines,
// rewritten whole from the checkpointed history each epoch, so that it is
// never half-written, stale or repeated), the final table and the SVG plot
// of train and test error; and the checks, before the first step, that each
// output can be written at all (a run that cannot save its result should not
// start).
//
//===----------------------------------------------------------------------===//

#include "Trainer.h"

#include "fgc/Runtime/TensorIO.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace fgc::rt;

namespace fgc::trainer {

namespace {

std::string formatSeconds(double s) {
  char buf[32];
  int64_t t = static_cast<int64_t>(s + 0.5);
  std::snprintf(buf, sizeof buf, "%lld:%02lld", (long long)(t / 60),
                (long long)(t % 60));
  return buf;
}

/// Whether `name` is `stem` + ".tmp." + a PID, the temporary name of
/// writeFileAtomically; the PID goes to `pid`.
bool isTempOf(const std::string &name, const std::string &stem, long &pid) {
  std::string prefix = stem + ".tmp.";
  if (name.compare(0, prefix.size(), prefix) != 0 ||
      name.size() == prefix.size())
    return false;
  char *end = nullptr;
  pid = std::strtol(name.c_str() + prefix.size(), &end, 10);
  return *end == 0 && pid > 0;
}

} // namespace

//===--- Output files -----------------------------------------------------===//

void removeStaleTemps(const std::string &dir, const std::string &stem,
                      bool all) {
  DIR *d = ::opendir(dir.c_str());
  if (!d)
    return;
  while (dirent *e = ::readdir(d)) {
    long pid;
    if (!isTempOf(e->d_name, stem, pid) || pid == long(::getpid()))
      continue;
    if (all || (::kill(pid_t(pid), 0) != 0 && errno == ESRCH))
      ::unlink((dir + "/" + e->d_name).c_str());
  }
  ::closedir(d);
}

bool probeDirectory(const std::string &dir, std::string &reason) {
  std::string probe = dir + "/.fgc-probe.tmp." + std::to_string(::getpid());
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    reason = std::strerror(errno);
    return false;
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return true;
}

bool checkWritable(const std::string &flag, const std::string &path,
                   std::string &error) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    error = flag + "=" + path + ": cannot write there: it is a directory";
    return false;
  }
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "."
                    : slash == 0               ? "/"
                                               : path.substr(0, slash);
  std::string reason;
  if (!probeDirectory(dir, reason)) {
    error = flag + "=" + path + ": cannot write there: " + reason;
    return false;
  }
  removeStaleTemps(dir, path.substr(slash + 1), /*all=*/false);
  return true;
}

bool checkOutputs(const Options &o, std::string &error) {
  for (auto [flag, path] :
       {std::pair<const char *, const std::string &>{"--metrics", o.metrics},
        {"--plot", o.plot},
        {"--export", o.exportPath}})
    if (!path.empty() && !checkWritable(flag, path, error))
      return false;
  return true;
}

//===--- Progress, metrics, summary, plot ---------------------------------===//

void printProgress(int64_t epoch, int64_t epochs, int64_t step,
                   int64_t stepsPerEpoch, double stepsPerSecond) {
  int width = 30, done = int(width * (step + 1) / stepsPerEpoch);
  std::printf(
      "\repoch %lld/%lld [%s%s] %lld/%lld  %.1f steps/s  ETA %s  ",
      (long long)epoch + 1, (long long)epochs, std::string(done, '=').c_str(),
      std::string(width - done, ' ').c_str(), (long long)step + 1,
      (long long)stepsPerEpoch, stepsPerSecond,
      formatSeconds((stepsPerEpoch - step - 1) / stepsPerSecond).c_str());
  std::fflush(stdout);
}

void printEpoch(const EpochRecord &r, int64_t epochs, bool tty) {
  std::printf("%sepoch %lld/%lld: loss %.4f", tty ? "\r" : "",
              (long long)r.epoch, (long long)epochs, r.trainLoss);
  for (auto &[name, v] : r.blockLosses)
    std::printf(" %s %.4f", name.c_str(), v);
  std::printf(", train error %.2f%%", 100 * r.trainError);
  if (!std::isnan(r.testError))
    std::printf(", test error %.2f%%", 100 * r.testError);
  // On a terminal, blanks rub out the rest of the progress bar.
  std::printf(", %.0f examples/s, %.1f s", r.examplesPerSecond, r.seconds);
  if (!std::isnan(r.peakRssBytes))
    std::printf(", peak RSS %.0f MB", r.peakRssBytes / (1 << 20));
  std::printf("%s\n", tty ? "                " : "");
  std::fflush(stdout);
}

bool writeMetrics(const std::string &path,
                  const std::vector<EpochRecord> &records, std::string &error) {
  std::string all;
  for (const EpochRecord &r : records) {
    char buf[512];
    std::snprintf(
        buf, sizeof buf,
        "{\"epoch\": %lld, \"train_loss\": %.6g, \"train_error\": "
        "%.6g, \"test_error\": %s, \"test_loss\": %s, "
        "\"examples_per_second\": %.6g, \"seconds\": %.6g, "
        "\"lr\": %.6g, \"peak_rss_mb\": %s",
        (long long)r.epoch, r.trainLoss, r.trainError,
        std::isnan(r.testError) ? "null" : std::to_string(r.testError).c_str(),
        std::isnan(r.testLoss) ? "null" : std::to_string(r.testLoss).c_str(),
        r.examplesPerSecond, r.seconds, r.lr,
        std::isnan(r.peakRssBytes)
            ? "null"
            : std::to_string(r.peakRssBytes / (1 << 20)).c_str());
    all += buf;
    for (auto &[name, v] : r.blockLosses)
      all += ", \"loss_" + name + "\": " + std::to_string(v);
    all += "}\n";
  }
  if (!writeFileAtomically(path, all, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

void printSummary(const std::vector<EpochRecord> &records) {
  std::printf("\n epoch | train loss | train error | test error\n"
              "-------+------------+-------------+-----------\n");
  for (const EpochRecord &r : records) {
    char test[32] = "          -";
    if (!std::isnan(r.testError))
      std::snprintf(test, sizeof test, "%9.2f%%", 100 * r.testError);
    std::printf(" %5lld | %10.4f | %10.2f%% | %s\n", (long long)r.epoch,
                r.trainLoss, 100 * r.trainError, test);
  }
  if (!records.empty() && !std::isnan(records.back().testError))
    std::printf("test error: %.2f%%\n", 100 * records.back().testError);
}

bool writeSvg(const std::string &path, const std::vector<EpochRecord> &records,
              const std::string &title, std::string &error) {
  const double w = 640, h = 400, left = 60, right = 20, top = 40, bottom = 50;
  double maxErr = 0.05;
  for (const EpochRecord &r : records)
    maxErr = std::max(
        {maxErr, r.trainError, std::isnan(r.testError) ? 0 : r.testError});
  maxErr = std::ceil(maxErr * 20) / 20;
  int64_t n = records.empty() ? 1 : records.back().epoch;
  auto x = [&](double e) {
    return left + (w - left - right) * (e / std::max<int64_t>(n, 1));
  };
  auto y = [&](double v) {
    return top + (h - top - bottom) * (1 - v / maxErr);
  };
  std::ostringstream s;
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << w << "' height='"
    << h << "' font-family='sans-serif' font-size='12'>\n"
    << "<rect width='100%' height='100%' fill='white'/>\n"
    << "<text x='" << w / 2 << "' y='20' text-anchor='middle'>" << title
    << "</text>\n";
  for (int i = 0; i <= 4; ++i) {
    double v = maxErr * i / 4;
    s << "<line x1='" << left << "' x2='" << w - right << "' y1='" << y(v)
      << "' y2='" << y(v) << "' stroke='#ddd'/>\n<text x='" << left - 5
      << "' y='" << y(v) + 4 << "' text-anchor='end'>" << 100 * v
      << "%</text>\n";
  }
  s << "<text x='" << w / 2 << "' y='" << h - 10
    << "' text-anchor='middle'>epoch</text>\n";
  auto series = [&](bool test, const char *color, const char *label, int row) {
    s << "<polyline fill='none' stroke='" << color
      << "' stroke-width='2' points='";
    for (const EpochRecord &r : records) {
      double v = test ? r.testError : r.trainError;
      if (!std::isnan(v))
        s << x(r.epoch) << "," << y(v) << " ";
    }
    s << "'/>\n<text x='" << w - right - 100 << "' y='" << top + 15 * row
      << "' fill='" << color << "'>" << label << "</text>\n";
  };
  series(false, "#1f77b4", "train error", 1);
  series(true, "#d62728", "test error", 2);
  s << "</svg>\n";
  return writeFileAtomically(path, s.str(), error);
}

} // namespace fgc::trainer

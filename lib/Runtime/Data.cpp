//===- Data.cpp - Image classification data sets --------------------------===//

#include "fgc/Runtime/Data.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sys/stat.h>

namespace fgc::rt {

namespace {

bool exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/// The whole (possibly gzip-compressed) file: zlib reads plain files too.
bool readMaybeGzip(const std::string &path, std::string &bytes,
                   std::string &error) {
  // Only regular files: opening a FIFO (or a terminal) would block, or read
  // a stream no one can check the size of.
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    error = path + ": not a regular file";
    return false;
  }
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  bytes.clear();
  char buffer[1 << 16];
  int n;
  while ((n = gzread(f, buffer, sizeof(buffer))) > 0)
    bytes.append(buffer, n);
  // gzerror's text lives in `f`: copy it before gzclose frees it.
  int err = 0;
  const char *text = gzerror(f, &err);
  std::string message = text && *text ? text : "corrupt data";
  // zlib's text is "PATH: what": the error names the path once.
  if (message.compare(0, path.size() + 2, path + ": ") == 0)
    message.erase(0, path.size() + 2);
  int closed = gzclose(f);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END)) {
    error = path + ": read error: " + message;
    return false;
  }
  if (closed != Z_OK) {
    // Z_BUF_ERROR: the last read ended inside a gzip member (truncated).
    error = path + ": read error: " +
            (closed == Z_BUF_ERROR ? "unexpected end of file"
                                   : "cannot close: " + std::to_string(closed));
    return false;
  }
  return true;
}

uint32_t bigEndian(const std::string &b, size_t at) {
  return (uint32_t(uint8_t(b[at])) << 24) |
         (uint32_t(uint8_t(b[at + 1])) << 16) |
         (uint32_t(uint8_t(b[at + 2])) << 8) | uint32_t(uint8_t(b[at + 3]));
}

} // namespace

bool loadIdx(const std::string &images, const std::string &labels, Dataset &out,
             std::string &error) {
  std::string ib, lb;
  if (!readMaybeGzip(images, ib, error) || !readMaybeGzip(labels, lb, error))
    return false;
  if (ib.size() < 16 || bigEndian(ib, 0) != 0x803) {
    error = images + ": not an IDX image file (expected magic 0x00000803)";
    return false;
  }
  if (lb.size() < 8 || bigEndian(lb, 0) != 0x801) {
    error = labels + ": not an IDX label file (expected magic 0x00000801)";
    return false;
  }
  int64_t count = bigEndian(ib, 4), rows = bigEndian(ib, 8),
          cols = bigEndian(ib, 12);
  if (count == 0) {
    error = images + ": no images";
    return false;
  }
  if (rows == 0 || cols == 0) {
    error = images + ": images of " + std::to_string(rows) + "x" +
            std::to_string(cols) + " pixels";
    return false;
  }
  // rows, cols < 2^32: their product fits; count * it may not.
  if (uint64_t(rows) * uint64_t(cols) > (ib.size() - 16) / uint64_t(count)) {
    error = images + ": truncated (" + std::to_string(count) + " images of " +
            std::to_string(rows) + "x" + std::to_string(cols) + " need " +
            std::to_string(16 + uint64_t(count) * rows * cols) +
            " bytes, the file has " + std::to_string(ib.size()) + ")";
    return false;
  }
  int64_t labelCount = bigEndian(lb, 4);
  if (labelCount != count) {
    error = labels + ": " + std::to_string(labelCount) + " labels for " +
            std::to_string(count) + " images in " + images;
    return false;
  }
  if (static_cast<int64_t>(lb.size()) < 8 + count) {
    error = labels + ": truncated";
    return false;
  }
  out.count = count;
  out.channels = 1;
  out.height = rows;
  out.width = cols;
  out.pixels.assign(ib.begin() + 16, ib.begin() + 16 + count * rows * cols);
  out.labels.resize(count);
  for (int64_t i = 0; i < count; ++i)
    out.labels[i] = uint8_t(lb[8 + i]);
  out.labelFiles = {{0, labels}};
  return true;
}

bool loadCifar(const std::vector<std::string> &files, Dataset &out,
               std::string &error) {
  const int64_t record = 1 + 3 * 32 * 32;
  out = Dataset();
  out.channels = 3;
  out.height = out.width = 32;
  for (const std::string &file : files) {
    std::string bytes;
    if (!readMaybeGzip(file, bytes, error))
      return false;
    if (bytes.empty() || bytes.size() % record != 0) {
      error = file + ": not a CIFAR-10 binary batch (" +
              std::to_string(bytes.size()) + " bytes is not a multiple of " +
              std::to_string(record) + ")";
      return false;
    }
    int64_t n = bytes.size() / record;
    out.labelFiles.push_back({out.count, file});
    out.pixels.reserve(out.pixels.size() + n * (record - 1));
    for (int64_t i = 0; i < n; ++i) {
      const char *r = bytes.data() + i * record;
      out.labels.push_back(uint8_t(r[0]));
      out.pixels.insert(out.pixels.end(), r + 1, r + record);
    }
    out.count += n;
  }
  return true;
}

bool checkLabels(const Dataset &set, int64_t classes, std::string &error) {
  size_t file = 0;
  for (int64_t i = 0; i < set.count; ++i) {
    while (file + 1 < set.labelFiles.size() &&
           set.labelFiles[file + 1].first <= i)
      ++file;
    int64_t label = set.labels[i];
    if (label >= 0 && (!classes || label < classes))
      continue;
    std::string name = "labels";
    int64_t index = i;
    if (file < set.labelFiles.size()) {
      name = set.labelFiles[file].second;
      index = i - set.labelFiles[file].first;
    }
    error = name + ": label " + std::to_string(label) + " of example " +
            std::to_string(index) + " is out of range for " +
            std::to_string(classes) + " classes";
    return false;
  }
  return true;
}

bool findDataFiles(const std::string &dir, const std::string &dataset,
                   DataFiles &out, std::string &error) {
  auto pick = [&](const std::string &base) -> std::string {
    for (const char *ext : {"", ".gz"})
      if (exists(dir + "/" + base + ext))
        return dir + "/" + base + ext;
    return "";
  };
  std::string cifarDir = dir;
  if (!exists(cifarDir + "/data_batch_1.bin") &&
      exists(dir + "/cifar-10-batches-bin/data_batch_1.bin"))
    cifarDir = dir + "/cifar-10-batches-bin";
  bool isCifar = dataset == "cifar10" ||
                 (dataset.empty() && exists(cifarDir + "/data_batch_1.bin"));
  out = DataFiles();
  if (isCifar) {
    out.dataset = "cifar10";
    for (int i = 1; i <= 5; ++i)
      out.train.push_back(cifarDir + "/data_batch_" + std::to_string(i) +
                          ".bin");
    out.test.push_back(cifarDir + "/test_batch.bin");
    for (const std::string &f : out.train)
      if (!exists(f)) {
        error =
            f + ": missing (CIFAR-10 binary batches expected in " + dir + ")";
        return false;
      }
    if (!exists(out.test[0])) {
      error = out.test[0] + ": missing";
      return false;
    }
    return true;
  }
  if (!dataset.empty() && dataset != "mnist" && dataset != "fashion-mnist") {
    error =
        "--dataset=" + dataset + ": expected mnist, fashion-mnist or cifar10";
    return false;
  }
  const char *names[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  std::vector<std::string> found;
  for (const char *n : names) {
    std::string f = pick(n);
    if (f.empty()) {
      error = dir + "/" + n +
              "[.gz]: missing (IDX files or CIFAR-10 "
              "batches expected; see --data)";
      return false;
    }
    found.push_back(f);
  }
  out.train = {found[0], found[1]};
  out.test = {found[2], found[3]};
  out.dataset = !dataset.empty()                           ? dataset
                : dir.find("fashion") != std::string::npos ? "fashion-mnist"
                                                           : "mnist";
  return true;
}

bool publishedStatistics(const std::string &dataset, std::vector<float> &mean,
                         std::vector<float> &std) {
  if (dataset == "mnist") {
    mean = {0.1307f};
    std = {0.3081f};
  } else if (dataset == "fashion-mnist") {
    mean = {0.2860f};
    std = {0.3530f};
  } else if (dataset == "cifar10") {
    mean = {0.4914f, 0.4822f, 0.4465f};
    std = {0.2023f, 0.1994f, 0.2010f};
  } else {
    return false;
  }
  return true;
}

void computeStatistics(const Dataset &data, std::vector<float> &mean,
                       std::vector<float> &std) {
  int64_t plane = data.height * data.width;
  mean.assign(data.channels, 0);
  std.assign(data.channels, 0);
  for (int64_t c = 0; c < data.channels; ++c) {
    double s = 0, sq = 0;
    for (int64_t i = 0; i < data.count; ++i) {
      const uint8_t *p = &data.pixels[(i * data.channels + c) * plane];
      for (int64_t k = 0; k < plane; ++k) {
        float x = pixelValue(p[k]);
        s += x;
        sq += double(x) * x;
      }
    }
    double n = double(data.count) * plane;
    double m = s / n;
    mean[c] = float(m);
    std[c] = float(std::sqrt(std::max(sq / n - m * m, 1e-12)));
  }
}

} // namespace fgc::rt

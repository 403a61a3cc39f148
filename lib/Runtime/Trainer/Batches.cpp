//===- Batches.cpp - The trainer's data sets and batches ------------------===//
//
// Loading and checking the data before any work starts (so that a bad file
// is one line, not a crash mid-epoch), the epochs' orders and the copies
// of examples into the step's input tensors.
//
//===----------------------------------------------------------------------===//

#include "Trainer.h"

#include "fgc/Support/Philox.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

using namespace fgc::rt;

namespace fgc::trainer {

namespace {

/// The files the options name: --train/--test, else those found in --data.
bool dataFiles(const Options &o, DataFiles &files, std::string &error) {
  if (o.trainFiles.empty() && o.testFiles.empty())
    return findDataFiles(o.data, o.dataset, files, error);
  files.train = o.trainFiles;
  files.test = o.testFiles;
  files.dataset = o.dataset;
  if (files.train.empty() || files.test.empty()) {
    error = "--train and --test go together";
    return false;
  }
  if (files.dataset.empty())
    files.dataset = files.train.size() == 2 ? "mnist" : "cifar10";
  return true;
}

/// The classes of the data sets the trainer reads.
constexpr int64_t kDatasetClasses = 10;

rt::Fit fitMode(const std::string &name) {
  return name == "pad"      ? rt::Fit::Pad
         : name == "resize" ? rt::Fit::Resize
         : name == "none"   ? rt::Fit::None
                            : rt::Fit::Auto;
}

} // namespace

bool loadData(const Options &o, const std::vector<int64_t> &imageShape,
              int64_t classes, Examples &trainSet, Examples &testSet,
              std::string &error) {
  DataFiles files;
  if (!dataFiles(o, files, error))
    return false;
  Dataset &train = trainSet.data, &test = testSet.data;
  bool cifar = files.dataset == "cifar10";
  bool ok = cifar ? loadCifar(files.train, train, error) &&
                        loadCifar(files.test, test, error)
                  : files.train.size() == 2 && files.test.size() == 2 &&
                        loadIdx(files.train[0], files.train[1], train, error) &&
                        loadIdx(files.test[0], files.test[1], test, error);
  if (!ok) {
    if (error.empty())
      error = "IDX data needs an image and a label file for --train and "
              "--test";
    return false;
  }
  if (classes > 0 && classes != kDatasetClasses) {
    error = files.train[0] + ": " + files.dataset + " has " +
            std::to_string(kDatasetClasses) + " classes, the model " +
            std::to_string(classes);
    return false;
  }
  // The label range is checked by the reader, which names the labels file.
  if (!checkLabels(train, classes, error) || !checkLabels(test, classes, error))
    return false;
  // The shapes are checked before any work.
  std::string trainFit, testFit;
  auto plan = [&](Examples &set, const std::string &file, std::string &what) {
    if (set.decoder.plan(set.data, imageShape[1], imageShape[2], imageShape[3],
                         fitMode(o.fit), what, error))
      return true;
    error = file + ": " + error;
    return false;
  };
  if (!plan(trainSet, files.train[0], trainFit) ||
      !plan(testSet, files.test[0], testFit))
    return false;
  const int64_t batch = imageShape[0];
  if (train.count < batch) {
    error = files.train[0] + ": " + std::to_string(train.count) +
            " training examples, fewer than one batch of " +
            std::to_string(batch);
    return false;
  }
  std::vector<float> mean, stddev;
  if (o.normalization != "published" ||
      !publishedStatistics(files.dataset, mean, stddev))
    computeStatistics(train, mean, stddev);
  if (!o.quiet) {
    std::printf(
        "data: %s, %lld training and %lld test images of %lldx%lldx%lld; "
        "normalised with mean",
        files.dataset.c_str(), (long long)train.count, (long long)test.count,
        (long long)train.channels, (long long)train.height,
        (long long)train.width);
    for (float m : mean)
      std::printf(" %.4f", m);
    std::printf(", std");
    for (float s : stddev)
      std::printf(" %.4f", s);
    std::printf(" (%s)\n", o.normalization.c_str());
    auto fitted = [](const Dataset &set, const std::string &what,
                     const char *which) {
      if (!what.empty() && set.count > 0)
        std::printf("data: %s images fitted to the model's input, %s\n", which,
                    what.c_str());
    };
    fitted(train, trainFit, "training");
    fitted(test, testFit, "test");
  }
  trainSet.decoder.setStatistics(mean, stddev);
  testSet.decoder.setStatistics(mean, stddev);
  return true;
}

std::vector<int64_t> epochOrder(int64_t count, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(count);
  for (int64_t i = 0; i < count; ++i)
    order[i] = i;
  // Stream 1000 + epoch: apart from the streams of the perturbations.
  for (int64_t i = count - 1; i > 0; --i)
    std::swap(order[i],
              order[support::randomBits(seed, 1000 + epoch, i) % (i + 1)]);
  return order;
}

void gatherBatch(const Examples &set, const std::vector<int64_t> &order,
                 int64_t step, int64_t batch, std::vector<float> &images,
                 std::vector<int64_t> &labels) {
  const int64_t size = set.decoder.size();
  images.resize(batch * size);
  labels.resize(batch);
  for (int64_t i = 0; i < batch; ++i) {
    int64_t src = order[step * batch + i];
    set.decoder.decode(set.data, src, images.data() + i * size);
    labels[i] = set.data.labels[src];
  }
}

int64_t fillEvalBatch(const Examples &set, int64_t start, int64_t batch,
                      Tensor &image, Tensor &labels) {
  const int64_t size = set.decoder.size();
  int64_t n = std::min(batch, set.count() - start);
  for (int64_t i = 0; i < batch; ++i) {
    int64_t src = start + (i < n ? i : 0);
    set.decoder.decode(set.data, src, image.data<float>() + i * size);
    labels.data<int64_t>()[i] = set.data.labels[src];
  }
  return n;
}

} // namespace fgc::trainer

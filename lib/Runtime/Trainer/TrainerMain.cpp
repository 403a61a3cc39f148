//===- TrainerMain.cpp - The main program of fgc trainer executables ------===//
//
// The compiled steps and their description are linked in by fgc (the
// symbols of TrainerABI.h); Trainer.h has the program's parts and rules.
//
//===----------------------------------------------------------------------===//

#include "Trainer.h"

#include <cstdio>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

extern "C" {
extern const unsigned char fgc_model_blob[];
extern const uint64_t fgc_model_blob_size;
void fgc_train_step(void **);
void fgc_eval_step(void **);
void fgc_learning_rate(void **);
}

using namespace fgc;
using namespace fgc::trainer;

namespace fgc::trainer {
int fail(const std::string &message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}
} // namespace fgc::trainer

/// Keeps the memory the compiled steps free for the next step. Every step
/// allocates and frees the same buffers; glibc serves the large ones with
/// mmap and unmaps them on free, so each step paid page faults and the
/// kernel's zeroing of fresh pages for all its activations (a quarter of a
/// LocalMixer M/8/16 step). From the heap, without trimming, the second
/// step reuses the first one's pages. Peak memory is unchanged: it is the
/// largest step's, as before.
static void keepStepMemory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, -1);
#endif
}

int main(int argc, char **argv) {
  rt::useNativeBlasKernels(argv);
  keepStepMemory();
  rt::ModelDescription desc;
  std::string error;
  if (!rt::ModelDescription::parse(
          reinterpret_cast<const char *>(fgc_model_blob), fgc_model_blob_size,
          desc, error))
    return fail(error);
  for (const char *f :
       {rt::abi::kTrainStep, rt::abi::kEvalStep, rt::abi::kLearningRate})
    if (!desc.function(f))
      return fail(std::string("the embedded description has no ") + f);
  Options options;
  switch (parseOptions(argc, argv, desc, options, error)) {
  case Parsed::Help:
    return 0;
  case Parsed::Error:
    return fail(error);
  case Parsed::Run:
    break;
  }
  return train(desc, options,
               {fgc_train_step, fgc_eval_step, fgc_learning_rate});
}

# Runs the importer fuzzer for a fixed number of inputs (ctest: fuzz-import).
# Inputs: FUZZER, SEEDS (comma-separated directories), WORK, RUNS.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
string(REPLACE "," ";" seed_dirs "${SEEDS}")
execute_process(
  COMMAND ${FUZZER} -runs=${RUNS} -seed=1 -max_len=65536 -timeout=30
          -rss_limit_mb=4096 -print_final_stats=1 ${WORK} ${seed_dirs}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the importer fuzzer found a problem (exit ${rc}); "
                      "the input is in the current directory (crash-*)")
endif()

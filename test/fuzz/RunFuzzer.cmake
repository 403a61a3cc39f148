# Runs the importer fuzzer for a fixed number of inputs (ctest: fuzz-import).
# Inputs: FUZZER, SEEDS (comma-separated directories), WORK, RUNS.
# Seeds are the .onnx/.onnxtxt files of SEEDS up to 4 MB (the exported
# LocalMixer L/8/64 would only slow every mutation down).
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/seeds)
string(REPLACE "," ";" seed_dirs "${SEEDS}")
foreach(dir ${seed_dirs})
  file(GLOB files ${dir}/*.onnx ${dir}/*.onnxtxt)
  foreach(f ${files})
    file(SIZE ${f} size)
    if(size LESS 4194304)
      file(COPY ${f} DESTINATION ${WORK}/seeds)
    endif()
  endforeach()
endforeach()
execute_process(
  COMMAND ${FUZZER} -runs=${RUNS} -seed=1 -max_len=8192 -timeout=30
          -rss_limit_mb=4096 -print_final_stats=1 ${WORK}/corpus ${WORK}/seeds
  WORKING_DIRECTORY ${WORK}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the importer fuzzer found a problem (exit ${rc}); the "
                      "input that triggered it is in ${WORK} (crash-*, leak-*)")
endif()

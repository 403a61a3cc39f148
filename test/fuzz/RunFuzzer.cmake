# Runs a fuzzer for a fixed number of inputs (ctest: fuzz-import,
# fuzz-data, fuzz-description).
# Inputs: FUZZER, SEEDS (comma-separated directories), WORK, RUNS; optional
# PATTERNS (comma-separated globs of the seed files, default
# "*.onnx,*.onnxtxt"), MAX_LEN (default 8192) and NAME (for the message,
# default "importer").
# Seeds are the files of SEEDS matching PATTERNS up to 4 MB (the exported
# LocalMixer L/8/64 would only slow every mutation down).
if(NOT PATTERNS)
  set(PATTERNS "*.onnx,*.onnxtxt")
endif()
if(NOT MAX_LEN)
  set(MAX_LEN 8192)
endif()
if(NOT NAME)
  set(NAME importer)
endif()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/seeds)
string(REPLACE "," ";" seed_dirs "${SEEDS}")
string(REPLACE "," ";" patterns "${PATTERNS}")
foreach(dir ${seed_dirs})
  set(globs)
  foreach(p ${patterns})
    list(APPEND globs ${dir}/${p})
  endforeach()
  file(GLOB files ${globs})
  foreach(f ${files})
    file(SIZE ${f} size)
    if(size LESS 4194304)
      file(COPY ${f} DESTINATION ${WORK}/seeds)
    endif()
  endforeach()
endforeach()
execute_process(
  COMMAND ${FUZZER} -runs=${RUNS} -seed=1 -max_len=${MAX_LEN} -timeout=30
          -rss_limit_mb=4096 -print_final_stats=1 ${WORK}/corpus ${WORK}/seeds
  WORKING_DIRECTORY ${WORK}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the ${NAME} fuzzer found a problem (exit ${rc}); the "
                      "input that triggered it is in ${WORK} (crash-*, leak-*, "
                      "timeout-*)")
endif()

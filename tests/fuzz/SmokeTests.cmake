# The fuzz smoke run of the CI build (included by tests/CMakeLists.txt; label fuzz). The main build
# is gcc, libFuzzer needs clang: fuzz_build configures and builds only the fuzz targets with
# clang-14 in their own directory (${CMAKE_BINARY_DIR}/fuzz), as a fixture, so `ctest --preset ci`
# builds them once and a developer's `ctest -L unit` never does. Each fuzz_smoke_* then runs one
# target 20,000 times (the audit reader 5,000) on its seeds from tests/data (all together well under a minute); a crash,
# leak, timeout or refusal without a reason fails it, with the input kept under test-output/fuzz. The long
# runs (>= 1,000,000 executions each) are recorded in tests/fuzz/RESULTS.md.
set(HOPSCOPE_FUZZ_BUILD_DIR ${CMAKE_BINARY_DIR}/fuzz)
set(HOPSCOPE_FUZZ_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/run_fuzz.py)
add_test(NAME fuzz_build
    COMMAND ${Python3_EXECUTABLE} ${HOPSCOPE_FUZZ_SCRIPT} build --build ${HOPSCOPE_FUZZ_BUILD_DIR})
set_tests_properties(fuzz_build PROPERTIES FIXTURES_SETUP fuzz_targets LABELS fuzz TIMEOUT 1800)
foreach(target fuzz_profile_parse fuzz_dns_answer fuzz_audit_reader
        fuzz_haproxy_stat fuzz_haproxy_servers_state fuzz_haproxy_info
        fuzz_envoy_clusters fuzz_envoy_clusters_text fuzz_envoy_server_info fuzz_envoy_stats)
    string(REGEX REPLACE "^fuzz_" "fuzz_smoke_" test ${target})
    # The audit reader writes its input to a file and hashes every line: ~2 ms a run.
    set(runs 20000)
    if(target STREQUAL "fuzz_audit_reader")
        set(runs 5000)
    endif()
    add_test(NAME ${test}
        COMMAND ${Python3_EXECUTABLE} ${HOPSCOPE_FUZZ_SCRIPT} run --build ${HOPSCOPE_FUZZ_BUILD_DIR}
            --work ${CMAKE_BINARY_DIR}/test-output/fuzz --fresh --runs ${runs} --timeout 120 ${target})
    set_tests_properties(${test} PROPERTIES
        FIXTURES_REQUIRED fuzz_targets LABELS fuzz TIMEOUT 180)
endforeach()

# Small helpers in the spirit of Abseil's absl_cc_library: explicit sources,
# our warnings on our targets only, includes from the repository root.

# -Wno-restrict: GCC 12 reports false positives inside std::string at -O3
# (GCC bug 105329).
set(AGORA_WARNINGS -Wall -Wextra -Werror -Wno-restrict)
if(AGORA_FUZZ)
  # clang builds only the fuzz targets; warnings are gcc's to enforce.
  set(AGORA_WARNINGS -Wall -Wno-unknown-warning-option)
elseif(AGORA_SANITIZE)
  # The instrumented -O1 build makes GCC's flow warnings (maybe-uninitialized
  # inside Boost) report what the Release build does not: warnings there are
  # the Release build's to enforce.
  set(AGORA_WARNINGS -Wall -Wextra -Wno-restrict)
endif()

# TSan builds: every executable carries the annotations of Debian's
# uninstrumented Abseil synchronization (tools/sanitizers/tsan_absl.cc) and
# C11 threads on pthreads for librdkafka (tools/sanitizers/tsan_c11_threads.cc).
function(agora_tsan_annotations target)
  if(AGORA_SANITIZE STREQUAL "thread")
    target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tools/sanitizers/tsan_absl.cc
                                     ${PROJECT_SOURCE_DIR}/tools/sanitizers/tsan_c11_threads.cc)
    target_link_libraries(${target} PRIVATE absl::synchronization ${CMAKE_DL_LIBS})
  endif()
endfunction()

# agora_cc_library(NAME name SRCS ... DEPS ...)
function(agora_cc_library)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(${A_NAME} STATIC ${A_SRCS})
  target_include_directories(${A_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${A_NAME} PRIVATE ${AGORA_WARNINGS})
  target_link_libraries(${A_NAME} PUBLIC ${A_DEPS})
endfunction()

# agora_cc_binary(NAME name SRCS ... DEPS ...)
function(agora_cc_binary)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_include_directories(${A_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${A_NAME} PRIVATE ${AGORA_WARNINGS})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS})
  agora_tsan_annotations(${A_NAME})
endfunction()

# agora_cc_test(NAME name SRCS ... DEPS ... LABELS ...)
# One Catch2 binary, registered as one ctest test per label set. Tests that
# need PostgreSQL or Kafka (labels pg, kafka, e2e) use the per-run fixture
# started by tests/support (FIXTURES_REQUIRED agora_infra).
function(agora_cc_test)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_include_directories(${A_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${A_NAME} PRIVATE ${AGORA_WARNINGS})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} agora_test_main)
  agora_tsan_annotations(${A_NAME})
  add_test(NAME ${A_NAME} COMMAND ${A_NAME} --order lex)
  set_tests_properties(${A_NAME} PROPERTIES
    LABELS "${A_LABELS}"
    TIMEOUT 600
    ENVIRONMENT "AGORA_TEST_INFRA_DIR=${PROJECT_BINARY_DIR}/test-infra;AGORA_BIN_DIR=${PROJECT_BINARY_DIR}")
  set(needs_infra FALSE)
  foreach(label IN LISTS A_LABELS)
    if(label STREQUAL "pg" OR label STREQUAL "kafka" OR label STREQUAL "e2e")
      set(needs_infra TRUE)
    endif()
  endforeach()
  if(needs_infra)
    set_tests_properties(${A_NAME} PROPERTIES FIXTURES_REQUIRED agora_infra)
  endif()
endfunction()

# agora_embed_sql(TARGET lib NAMESPACE ns FUNCTION fn FILES a.sql b.sql ...)
# Compiles SQL files into the library as a function
#   const std::vector<agora::runtime::pg::Migration>& ns::fn();
# so a binary carries its migrations and needs no files at run time.
function(agora_embed_sql)
  cmake_parse_arguments(A "" "TARGET;NAMESPACE;FUNCTION" "FILES" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${A_FUNCTION}_embedded.cc)
  set(abs_files)
  foreach(f IN LISTS A_FILES)
    list(APPEND abs_files ${CMAKE_CURRENT_SOURCE_DIR}/${f})
  endforeach()
  # A list would split into several arguments: passed joined by commas.
  string(REPLACE ";" "," files_arg "${abs_files}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAMESPACE=${A_NAMESPACE}
            -DFUNCTION=${A_FUNCTION} "-DFILES=${files_arg}"
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_sql.cmake
    DEPENDS ${abs_files} ${PROJECT_SOURCE_DIR}/cmake/embed_sql.cmake
    COMMENT "Embedding migrations for ${A_NAMESPACE}::${A_FUNCTION}")
  target_sources(${A_TARGET} PRIVATE ${out})
endfunction()

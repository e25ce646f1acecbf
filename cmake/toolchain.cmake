# Compiler cache, fast linker, warnings and sanitizers. Included once from the top-level CMakeLists.

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
endif()

# mold links the test binaries several times faster than GNU ld on two cores; lld is the fallback.
include(CheckCXXSourceCompiles)
find_program(MOLD_PROGRAM mold)
find_program(LLD_PROGRAM NAMES ld.lld lld)
if(MOLD_PROGRAM AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  add_link_options(-fuse-ld=mold)
elseif(LLD_PROGRAM)
  add_link_options(-fuse-ld=lld)
endif()

# Boost 1.74's Asio only detects coroutines on clang through <experimental/coroutine> (libc++);
# clang 14 with libstdc++ 12 has standard C++20 coroutines, so tell Asio.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  add_compile_definitions(BOOST_ASIO_HAS_CO_AWAIT=1 BOOST_ASIO_HAS_STD_COROUTINE=1)
endif()

# Warnings for our own code only: targets opt in with spate_warnings(target).
function(spate_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
  # clang warns about unused file-local constants under -Wall; GCC only when asked. Ask, so a
  # GCC build fails where CI's clang (fuzz) build would.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wunused-const-variable=1)
  endif()
  # Clang checks the GUARDED_BY/REQUIRES annotations of base/thread_annotations.h; code that uses
  # only unannotated std::mutex is unaffected.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    target_compile_options(${target} PRIVATE -Wthread-safety)
  endif()
endfunction()

if(SPATE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # clang 14's -fsanitize=function emits relocations its assembler rejects in coroutine frames
    # ("Cannot represent a difference across sections"); the other UBSan checks stay on.
    add_compile_options(-fno-sanitize=function)
  endif()
  add_link_options(-fsanitize=address,undefined)
endif()
if(SPATE_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  # GCC 12 warns (-Wtsan) that TSan does not model the std::atomic_thread_fence in Asio's
  # fenced_block; Asio's scheduler also synchronises through its mutex, which TSan does see.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-tsan)
  endif()
  add_link_options(-fsanitize=thread)
endif()

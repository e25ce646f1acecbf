#pragma once
// SPATE_ASSERT stays on in release builds: it guards invariants whose violation would corrupt data
// or answer a client wrongly, where stopping is the safer outcome.
#include <cstdio>
#include <cstdlib>

#define SPATE_ASSERT(cond, msg)                                                             \
  do {                                                                                      \
    if (!(cond)) [[unlikely]] {                                                             \
      std::fprintf(stderr, "assertion failed: %s (%s) at %s:%d\n", #cond, msg, __FILE__,    \
                   __LINE__);                                                               \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)

#pragma once
// The process's open-file limit. Every partition keeps its segments' .log files open
// (and more while segments roll or readers hold them), so the common soft default of 1024 caps a
// broker at a few hundred partitions while the hard limit is usually far higher.
#include <cstdint>

namespace spate::app {

struct fd_limit {
  std::uint64_t soft = 0;  // after raising
  std::uint64_t hard = 0;
  std::uint64_t before = 0;  // the soft limit found
};

// Raises the soft RLIMIT_NOFILE to the hard limit (to fs.nr_open when the hard limit is
// unlimited) and logs the result in one line (event=open_files_limit). Never fails: a limit that
// cannot be raised is logged and kept. Call once, early, before files are opened.
fd_limit raise_fd_limit();

}  // namespace spate::app

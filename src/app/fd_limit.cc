#include "app/fd_limit.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "base/log.h"

namespace spate::app {
namespace {

// The kernel's ceiling for any RLIMIT_NOFILE (setrlimit refuses more, even for "unlimited").
std::uint64_t nr_open() {
  std::ifstream in("/proc/sys/fs/nr_open");
  std::uint64_t n = 0;
  if (in >> n && n > 0) return n;
  return 1048576;  // Linux's default
}

}  // namespace

fd_limit raise_fd_limit() {
  fd_limit out;
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    SPATE_LOG_WARN("event=open_files_limit error=\"{}\"", std::strerror(errno));
    return out;
  }
  out.before = lim.rlim_cur;
  const rlim_t target = lim.rlim_max == RLIM_INFINITY ? static_cast<rlim_t>(nr_open()) : lim.rlim_max;
  if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur >= target) {
    out.soft = lim.rlim_cur;
    out.hard = lim.rlim_max;
    SPATE_LOG_INFO("event=open_files_limit soft={} hard={} raised=false", out.soft, out.hard);
    return out;
  }
  rlimit raised = lim;
  raised.rlim_cur = target;
  const bool ok = ::setrlimit(RLIMIT_NOFILE, &raised) == 0;
  if (ok) lim = raised;
  out.soft = lim.rlim_cur;
  out.hard = lim.rlim_max;
  if (ok) {
    SPATE_LOG_INFO("event=open_files_limit soft={} hard={} raised_from={}", out.soft, out.hard, out.before);
  } else {
    SPATE_LOG_WARN("event=open_files_limit soft={} hard={} raised=false error=\"{}\"", out.soft, out.hard,
                   std::strerror(errno));
  }
  return out;
}

}  // namespace spate::app

#include "storage/errc.h"

namespace spate::storage {

std::error_code& last_os_error() {
  thread_local std::error_code error;
  return error;
}

}  // namespace spate::storage

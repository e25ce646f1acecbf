#include "app/client_quota_file.h"

#include <stdexcept>

#include <fmt/format.h>

#include "base/log.h"
#include "io/file.h"

namespace spate::app {
namespace {

std::filesystem::path file_in(const std::filesystem::path& data_dir) { return data_dir / "client-quotas.json"; }

}  // namespace

void load_client_quotas(quota::client_quotas& quotas, const std::filesystem::path& data_dir) {
  const auto path = file_in(data_dir);
  if (!std::filesystem::exists(path)) return;
  auto contents = io::read_whole_file(io::posix_file_system(), path);
  if (!contents) throw std::runtime_error(fmt::format("cannot read {}", path.string()));
  const std::string_view text(reinterpret_cast<const char*>(contents->data()), contents->size());
  if (!quotas.load_json(text)) throw std::runtime_error(fmt::format("cannot parse client quotas in {}", path.string()));
  SPATE_LOG_INFO("event=client_quotas_loaded entities={}", quotas.all().size());
}

bool save_client_quotas(const std::filesystem::path& data_dir, const std::string& json) {
  const auto path = file_in(data_dir);
  const auto written = io::write_file_atomically(
      io::posix_file_system(), path, base::byte_span(reinterpret_cast<const std::uint8_t*>(json.data()), json.size()));
  if (!written) {
    SPATE_LOG_WARN("event=client_quotas_not_saved path={}", path.string());
    return false;
  }
  return true;
}

}  // namespace spate::app

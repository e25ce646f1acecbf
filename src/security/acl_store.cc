#include "security/acl_store.h"

#include <nlohmann/json.hpp>

namespace spate::security {
namespace {

constexpr int file_version = 1;

}  // namespace

std::string encode_acls(const std::vector<acl_binding>& bindings) {
  nlohmann::ordered_json json;
  json["version"] = file_version;
  auto& acls = json["acls"] = nlohmann::ordered_json::array();
  for (const auto& b : bindings) {
    acls.push_back({
        {"resource_type", to_string(b.pattern.type)},
        {"resource_name", b.pattern.name},
        {"pattern_type", to_string(b.pattern.pattern)},
        {"principal", b.entry.principal},
        {"host", b.entry.host},
        {"operation", to_string(b.entry.operation)},
        {"permission", to_string(b.entry.permission)},
    });
  }
  return json.dump(2) + "\n";
}

result<std::vector<acl_binding>> decode_acls(std::string_view text) {
  auto corrupt = [](const std::string& what) { return fail(errc::corrupt_file, "ACL file: " + what); };
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return corrupt("not a JSON object");
  if (!json.contains("version") || json["version"] != file_version) return corrupt("unsupported version");
  if (!json.contains("acls") || !json["acls"].is_array()) return corrupt("missing acls");
  std::vector<acl_binding> out;
  for (const auto& a : json["acls"]) {
    auto text_of = [&](const char* key) -> std::optional<std::string> {
      if (!a.is_object() || !a.contains(key) || !a[key].is_string()) return std::nullopt;
      return a[key].get<std::string>();
    };
    const auto type = text_of("resource_type");
    const auto name = text_of("resource_name");
    const auto pattern = text_of("pattern_type");
    const auto principal = text_of("principal");
    const auto host = text_of("host");
    const auto operation = text_of("operation");
    const auto permission = text_of("permission");
    if (!type || !name || !pattern || !principal || !host || !operation || !permission) {
      return corrupt("entry " + std::to_string(out.size()) + " lacks a field");
    }
    const auto t = parse_resource_type(*type);
    const auto p = parse_pattern_type(*pattern);
    const auto o = parse_operation(*operation);
    const auto m = parse_permission(*permission);
    if (!t || !p || !o || !m) return corrupt("entry " + std::to_string(out.size()) + " has an unknown name");
    acl_binding b{{*t, *name, *p}, {*principal, *host, *o, *m}};
    if (auto e = validate_binding(b)) return corrupt("entry " + std::to_string(out.size()) + ": " + e->message);
    out.push_back(std::move(b));
  }
  return out;
}

acl_store::acl_store(io::file_system& fs, std::filesystem::path path, authorizer* publish_to,
                     std::vector<acl_binding> acls)
    : _fs(fs),
      _path(std::move(path)),
      _publish_to(publish_to),
      _index(std::make_shared<const acl_index>(std::move(acls))) {
  if (_publish_to) _publish_to->set_acls(_index.load());
}

result<std::unique_ptr<acl_store>> acl_store::open(io::file_system& fs, std::filesystem::path data_dir,
                                                   authorizer* publish_to) {
  auto path = data_dir / file_name;
  auto exists = fs.exists(path);
  if (!exists) return fail(errc::io_error, "checking " + path.string() + ": " + exists.error().message());
  std::vector<acl_binding> acls;
  if (*exists) {
    auto bytes = io::read_whole_file(fs, path);
    if (!bytes) return fail(errc::io_error, "reading " + path.string() + ": " + bytes.error().message());
    auto decoded = decode_acls(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
    if (!decoded) return fail(errc::corrupt_file, path.string() + ": " + decoded.error().message);
    acls = std::move(*decoded);
  }
  return std::unique_ptr<acl_store>(new acl_store(fs, std::move(path), publish_to, std::move(acls)));
}

result<void> acl_store::store(std::vector<acl_binding> bindings) {
  auto index = std::make_shared<const acl_index>(std::move(bindings));
  const std::string text = encode_acls(index->bindings());
  const base::byte_span bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  if (auto w = io::write_file_atomically(_fs, _path, bytes); !w) {
    return fail(errc::io_error, "writing " + _path.string() + ": " + w.error().message());
  }
  _index.store(index);
  if (_publish_to) _publish_to->set_acls(std::move(index));
  return {};
}

result<std::vector<std::optional<error>>> acl_store::create(const std::vector<acl_binding>& bindings) {
  base::mutex_lock lock(_write_mu);
  const auto current = _index.load();
  std::vector<acl_binding> next = current->bindings();
  std::vector<std::optional<error>> results;
  results.reserve(bindings.size());
  for (const auto& b : bindings) {
    results.push_back(validate_binding(b));
    if (!results.back()) next.push_back(b);
  }
  if (next.size() != current->bindings().size()) {
    // The index sorts and drops duplicates; only a real change is worth a write.
    acl_index candidate(next);
    if (candidate.bindings() != current->bindings()) {
      if (auto r = store(std::move(next)); !r) return base::failure(r.error());
    }
  }
  return results;
}

result<std::vector<acl_store::filter_result>> acl_store::remove(const std::vector<acl_binding_filter>& filters) {
  base::mutex_lock lock(_write_mu);
  const auto current = _index.load();
  std::vector<filter_result> results(filters.size());
  std::vector<bool> doomed(current->bindings().size(), false);
  for (std::size_t f = 0; f < filters.size(); ++f) {
    if ((results[f].error = validate_filter(filters[f]))) continue;
    for (std::size_t i = 0; i < current->bindings().size(); ++i) {
      if (filters[f].matches(current->bindings()[i])) {
        results[f].deleted.push_back(current->bindings()[i]);
        doomed[i] = true;
      }
    }
  }
  std::vector<acl_binding> next;
  for (std::size_t i = 0; i < doomed.size(); ++i) {
    if (!doomed[i]) next.push_back(current->bindings()[i]);
  }
  if (next.size() != current->bindings().size()) {
    if (auto r = store(std::move(next)); !r) return base::failure(r.error());
  }
  return results;
}

result<std::vector<acl_binding>> acl_store::describe(const acl_binding_filter& filter) const {
  if (auto e = validate_filter(filter)) return base::failure(std::move(*e));
  const auto current = _index.load();
  std::vector<acl_binding> out;
  for (const auto& b : current->bindings()) {
    if (filter.matches(b)) out.push_back(b);
  }
  return out;
}

}  // namespace spate::security

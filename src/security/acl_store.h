#pragma once
// The broker's ACLs, durable in <data_dir>/acls.json (format: docs/security-files.md), with the
// operations of CreateAcls, DeleteAcls and DescribeAcls. Every change rewrites the file
// atomically (io::write_file_atomically), then builds a new acl_index and publishes it to the
// authorizer given at open (and to snapshot()).
//
// Thread-safety: all methods are thread-safe. describe() and snapshot() read the current index
// without waiting. create() and remove() are serialized by `_write_mu`, held across the file
// write so that the file and the published index change in the same order; they block on I/O:
// call them from the blocking pool, never an event loop.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "base/snapshot.h"
#include "io/file.h"
#include "security/acl_index.h"
#include "security/authorizer.h"
#include "security/errc.h"

namespace spate::security {

class acl_store {
 public:
  static constexpr std::string_view file_name = "acls.json";

  // Loads <data_dir>/acls.json (a missing file is no ACLs; it is written at the first change) and
  // publishes it to `publish_to` if given. A file that does not parse, or holds an invalid
  // binding, is errc::corrupt_file: starting with some ACLs missing could allow what they deny.
  static result<std::unique_ptr<acl_store>> open(io::file_system& fs, std::filesystem::path data_dir,
                                                 authorizer* publish_to = nullptr);

  std::shared_ptr<const acl_index> snapshot() const { return _index.load(); }

  // CreateAcls: per binding, nullopt (created, or already present) or its validation error
  // (validate_binding). Valid ones are stored even when others fail, as in Kafka. A failed write
  // is errc::io_error for the whole request, and changes nothing.
  result<std::vector<std::optional<error>>> create(const std::vector<acl_binding>& bindings) EXCLUDES(_write_mu);

  // DeleteAcls: per filter, the bindings it matched (all of them are deleted), or its validation
  // error (validate_filter). A binding matched by two filters is listed under both.
  struct filter_result {
    std::optional<security::error> error;
    std::vector<acl_binding> deleted;
  };
  result<std::vector<filter_result>> remove(const std::vector<acl_binding_filter>& filters) EXCLUDES(_write_mu);

  // DescribeAcls: the bindings the filter matches (sorted), or its validation error.
  result<std::vector<acl_binding>> describe(const acl_binding_filter& filter) const;

 private:
  acl_store(io::file_system& fs, std::filesystem::path path, authorizer* publish_to, std::vector<acl_binding> acls);
  result<void> store(std::vector<acl_binding> bindings) REQUIRES(_write_mu);

  io::file_system& _fs;
  const std::filesystem::path _path;
  authorizer* const _publish_to;
  base::mutex _write_mu;
  // Replaced (never modified) under _write_mu; loaded without it.
  base::snapshot<acl_index> _index;
};

// The file's text for some bindings, and back (tests and the store).
std::string encode_acls(const std::vector<acl_binding>& bindings);
result<std::vector<acl_binding>> decode_acls(std::string_view text);

}  // namespace spate::security

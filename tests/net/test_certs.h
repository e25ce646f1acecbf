#pragma once
// Certificates for TLS tests, made at test time with OpenSSL's API (no key is ever committed): a
// CA, and certificates it (or another CA) signs, written as PEM files into a directory.
// Thread-compatible.
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace spate::net::test {

// An EC P-256 key pair with its certificate.
class test_identity {
 public:
  struct options {
    // Subject RDNs, most general first as OpenSSL adds them: {{"O", "Acme"}, {"CN", "alice"}}.
    std::vector<std::pair<std::string, std::string>> subject;
    bool is_ca = false;
    std::vector<std::string> dns_names;     // subjectAltName DNS entries
    std::vector<std::string> ip_addresses;  // subjectAltName IP entries
    long valid_from_days = -1;              // relative to now
    long valid_to_days = 30;
  };
  // Self-signed when `issuer` is null.
  test_identity(const options& o, const test_identity* issuer);
  ~test_identity();
  test_identity(const test_identity&) = delete;
  test_identity& operator=(const test_identity&) = delete;

  // Writes <dir>/<name>.crt and <dir>/<name>.key (encrypted with `password` when not empty) and
  // returns their paths.
  std::pair<std::filesystem::path, std::filesystem::path> write(const std::filesystem::path& dir,
                                                                const std::string& name,
                                                                const std::string& password = "") const;

  struct impl;

 private:
  std::unique_ptr<impl> _impl;
};

// A fresh directory under the system temp dir, removed by the destructor.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return _path; }

 private:
  std::filesystem::path _path;
};

}  // namespace spate::net::test

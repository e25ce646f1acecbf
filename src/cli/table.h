#pragma once
// Aligned text tables for people; every listing also has a --json form for scripts.
#include <string>
#include <vector>

namespace spate::cli {

// Columns are left-aligned and separated by two spaces; no trailing blanks. Not thread-safe.
class table {
 public:
  explicit table(std::vector<std::string> headers);

  // A row shorter than the header is padded with empty cells; a longer one is a programming error.
  void add_row(std::vector<std::string> cells);
  bool empty() const { return _rows.empty(); }
  std::string render() const;

 private:
  std::vector<std::string> _headers;
  std::vector<std::vector<std::string>> _rows;
};

}  // namespace spate::cli

#include "cli/table.h"

#include <algorithm>
#include <stdexcept>

namespace spate::cli {

table::table(std::vector<std::string> headers) : _headers(std::move(headers)) {}

void table::add_row(std::vector<std::string> cells) {
  if (cells.size() > _headers.size()) throw std::logic_error("table row has more cells than headers");
  cells.resize(_headers.size());
  _rows.push_back(std::move(cells));
}

std::string table::render() const {
  std::vector<std::size_t> widths(_headers.size());
  for (std::size_t c = 0; c < _headers.size(); ++c) widths[c] = _headers[c].size();
  for (const auto& row : _rows) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string out;
  auto append_line = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) line += "  ";
      line += cells[c];
      if (c + 1 < cells.size()) line.append(widths[c] - cells[c].size(), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  };
  append_line(_headers);
  for (const auto& row : _rows) append_line(row);
  return out;
}

}  // namespace spate::cli

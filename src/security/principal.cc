#include "security/principal.h"

namespace spate::security {

std::optional<principal> parse_principal(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) return std::nullopt;
  return principal{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

}  // namespace spate::security

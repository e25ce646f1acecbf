#include "security/base64.h"

#include <gtest/gtest.h>

namespace spate::security {
namespace {

// RFC 4648 section 10.
TEST(Base64, EncodesAndDecodesTheRfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), plain) << encoded;
  }
}

TEST(Base64, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
}

TEST(Base64, RefusesNonCanonicalText) {
  for (const char* bad : {"Zg=", "Zg", "Zh==", "Zm9=", "Zm9v\n", " Zm9v", "=Zm9", "Zm=v", "Z===", "Zm9v====", "Zm-v",
                          "Zm_v", "Zm9vYg==Zm9v"}) {
    EXPECT_EQ(base64_decode(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace spate::security

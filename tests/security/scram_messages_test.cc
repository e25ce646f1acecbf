#include "security/scram_messages.h"

#include <gtest/gtest.h>

namespace spate::security {
namespace {

TEST(SaslName, EscapesCommaAndEqualsBothWays) {
  EXPECT_EQ(encode_saslname("a,b=c"), "a=2Cb=3Dc");
  EXPECT_EQ(decode_saslname("a=2Cb=3Dc"), "a,b=c");
  EXPECT_EQ(decode_saslname("plain"), "plain");
}

TEST(SaslName, RefusesAnyOtherEscapeAndRawCommas) {
  for (const char* bad : {"a=", "a=2", "a=2c", "a=3d", "a=41", "a,b", "=="}) {
    EXPECT_EQ(decode_saslname(bad), std::nullopt) << bad;
  }
}

TEST(ClientFirst, ParsesTheRfcExample) {
  auto m = parse_client_first("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->cbind_flag, 'n');
  EXPECT_EQ(m->username, "user");
  EXPECT_EQ(m->authzid, "");
  EXPECT_EQ(m->nonce, "fyko+d2lbbFgONRv9qkxdawL");
  EXPECT_EQ(m->gs2_header, "n,,");
  EXPECT_EQ(m->bare, "n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  EXPECT_TRUE(m->extensions.empty());
}

TEST(ClientFirst, ParsesAnAuthzidEscapedNamesAndKafkasTokenauthExtension) {
  auto m = parse_client_first("n,a=a=3Db,n=a=3Db=2Cc,r=abc,tokenauth=true");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->authzid, "a=b");
  EXPECT_EQ(m->username, "a=b,c");
  EXPECT_EQ(m->gs2_header, "n,a=a=3Db,");
  EXPECT_EQ(m->bare, "n=a=3Db=2Cc,r=abc,tokenauth=true");
  EXPECT_EQ(m->extensions.at("tokenauth"), "true");
}

TEST(ClientFirst, AcceptsTheYFlagOfAClientThatCouldBindChannels) {
  auto m = parse_client_first("y,,n=user,r=abc");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->cbind_flag, 'y');
  EXPECT_EQ(m->gs2_header, "y,,");
}

TEST(ClientFirst, RefusesEveryMalformedMessage) {
  const char* cases[] = {
      "",                            // empty
      "n,,",                         // no bare part
      "n,,n=user",                   // no nonce
      "p=tls-unique,,n=user,r=abc",  // channel binding requested
      "x,,n=user,r=abc",             // unknown gs2 flag
      "n,b=x,n=user,r=abc",          // not an authzid
      "n,a=,n=user,r=abc",           // empty authzid
      "n,a=x=41,n=user,r=abc",       // bad escape in authzid
      "n,,m=ext,n=user,r=abc",       // mandatory extension
      "n,,n=,r=abc",                 // empty username
      "n,,n=us=er,r=abc",            // bad escape in username
      "n,,u=user,r=abc",             // wrong attribute
      "n,,n=user,r=",                // empty nonce
      "n,,n=user,r=a b",             // nonce with a space
      "n,,n=user,r=ab\x7f",          // nonce with DEL
      "n,,n=user,x=abc",             // wrong attribute for the nonce
      "n,,r=abc,n=user",             // attributes out of order
      "n,,n=user,r=abc,",            // trailing comma
      "n,,n=user,r=abc,=x",          // extension without a name
      "n,,n=user,r=abc,k=",          // extension without a value
      "n,,n=user,r=abc,k1=v",        // extension name not alphabetic
      "n,,n=user,r=abc,k",           // extension without '='
      "n,,n=user,r=abc,k=v=w",       // '=' in an extension value
      "n,,n=user,r=abc,k=a,k=b",     // duplicate extension
      "n,,n=user,r=abc,k=\xc3\xa9",  // non-ASCII extension value
  };
  for (const char* c : cases) {
    auto m = parse_client_first(c);
    ASSERT_FALSE(m) << c;
    EXPECT_EQ(m.error().code, errc::authentication_failed);
  }
}

TEST(ClientFirst, RefusesOversizedMessages) {
  EXPECT_FALSE(parse_client_first("n,,n=user,r=" + std::string(scram_max_message_size, 'a')));
}

TEST(ServerFirst, ParsesAndBuildsTheSameText) {
  const std::string text = build_server_first("abcdef", std::string("\x01\x02\x03", 3), 4096);
  EXPECT_EQ(text, "r=abcdef,s=AQID,i=4096");
  auto m = parse_server_first(text);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->nonce, "abcdef");
  EXPECT_EQ(m->salt, std::string("\x01\x02\x03", 3));
  EXPECT_EQ(m->iterations, 4096);
  EXPECT_EQ(m->text, text);
}

TEST(ServerFirst, RefusesEveryMalformedMessage) {
  for (const char* c :
       {"", "r=abc", "r=abc,s=AQID", "m=x,r=abc,s=AQID,i=1", "r=,s=AQID,i=1", "r=abc,s=,i=1", "r=abc,s=AQI,i=1",
        "r=abc,s=AQID,i=", "r=abc,s=AQID,i=0", "r=abc,s=AQID,i=-1", "r=abc,s=AQID,i=+5", "r=abc,s=AQID,i=012",
        "r=abc,s=AQID,i=99999999999", "r=abc,s=AQID,i=12x", "s=AQID,r=abc,i=1"}) {
    EXPECT_FALSE(parse_server_first(c)) << c;
  }
}

TEST(ClientFinal, ParsesProofAndTheTextWithoutIt) {
  auto m = parse_client_final("c=biws,r=abcdef,p=AQID");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->channel_binding, "n,,");
  EXPECT_EQ(m->nonce, "abcdef");
  EXPECT_EQ(m->proof, std::string("\x01\x02\x03", 3));
  EXPECT_EQ(m->without_proof, "c=biws,r=abcdef");
}

TEST(ClientFinal, KeepsExtensionsInTheTextWithoutProof) {
  auto m = parse_client_final("c=biws,r=abc,x=y,p=AQID");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->without_proof, "c=biws,r=abc,x=y");
}

TEST(ClientFinal, RefusesEveryMalformedMessage) {
  for (const char* c : {"", "c=biws", "c=biws,r=abc", "c=biws,r=abc,p=", "c=,r=abc,p=AQID", "c=biw,r=abc,p=AQID",
                        "r=abc,c=biws,p=AQID", "c=biws,r=,p=AQID", "c=biws,r=abc,p=AQI", "c=biws,r=abc,p=AQID,x=y",
                        "c=biws,r=abc,q=AQID", "c=biws,r=abc,,p=AQID", "c=biws,r=a,b,p=AQID"}) {
    EXPECT_FALSE(parse_client_final(c)) << c;
  }
}

TEST(ServerFinal, ParsesAVerifierOrAnError) {
  auto ok = parse_server_final("v=AQID");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->verifier, std::string("\x01\x02\x03", 3));
  auto err = parse_server_final("e=invalid-proof");
  ASSERT_TRUE(err);
  EXPECT_EQ(err->error, "invalid-proof");
  for (const char* c : {"", "v=", "e=", "v=AQI", "x=AQID"}) EXPECT_FALSE(parse_server_final(c)) << c;
}

}  // namespace
}  // namespace spate::security

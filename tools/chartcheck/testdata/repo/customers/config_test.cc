// Tests are not the binary: this name must not be allowed.
TEST(Config, Reads) { setenv("AGORA_ONLY_IN_A_TEST", "1", 1); }

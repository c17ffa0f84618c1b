// Test fixture: shared runtime code only customers calls.
namespace agora::runtime::pg {

void ReadPgOptions(config::Reader& r, Options* out) {
  r.String("AGORA_PG_DATABASE", "agora", &out->database, "database");
}

}  // namespace agora::runtime::pg

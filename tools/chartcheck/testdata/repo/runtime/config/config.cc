// Test fixture. The prefix literal alone is not a variable: "AGORA_".
namespace agora::runtime::config {
std::string FlagToVariable(const std::string& flag) {
  if (absl::StartsWith(flag, "AGORA_")) return flag;
  return "AGORA_" + absl::AsciiStrToUpper(flag);
}
}  // namespace agora::runtime::config

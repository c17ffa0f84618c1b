#include "runtime/config/config.h"

#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

extern char** environ;  // NOLINT: POSIX

namespace agora::runtime::config {

std::string FlagToVariable(const std::string& flag) {
  if (absl::StartsWith(flag, "AGORA_")) return flag;
  return "AGORA_" + absl::AsciiStrToUpper(absl::StrReplaceAll(flag, {{"-", "_"}}));
}

namespace {

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv(*e);
    const auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    if (!absl::StartsWith(kv, "AGORA_")) continue;
    env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

}  // namespace

Reader::Reader(int argc, const char* const* argv)
    : Reader(ProcessEnvironment(), std::vector<std::string>(argv + (argc > 0 ? 1 : 0), argv + argc)) {}

Reader::Reader(const std::map<std::string, std::string>& env,
               const std::vector<std::string>& args)
    : env_(env) {
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      help_ = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      errors_.push_back(absl::StrCat("unexpected argument '", arg, "' (flags are --name=value)"));
      continue;
    }
    const auto eq = arg.find('=');
    if (eq == std::string::npos) {
      errors_.push_back(absl::StrCat("flag '", arg, "' has no value (write --name=value)"));
      continue;
    }
    const std::string name = FlagToVariable(arg.substr(2, eq - 2));
    flags_[name] = arg.substr(eq + 1);
    used_flags_[name] = false;
  }
}

const std::string* Reader::Lookup(const std::string& name, const std::string& fallback_text,
                                  const std::string& help) {
  std::string flag = absl::AsciiStrToLower(absl::StrReplaceAll(name.substr(6), {{"_", "-"}}));
  usage_.push_back(absl::StrCat("  --", flag, " / ", name, " (default ",
                                fallback_text.empty() ? "none" : fallback_text, "): ", help));
  if (auto it = flags_.find(name); it != flags_.end()) {
    used_flags_[name] = true;
    return &it->second;
  }
  if (auto it = env_.find(name); it != env_.end()) return &it->second;
  return nullptr;
}

void Reader::String(const std::string& name, const std::string& fallback, std::string* out,
                    const std::string& help) {
  const std::string* v = Lookup(name, fallback.empty() ? "" : "'" + fallback + "'", help);
  *out = v != nullptr ? *v : fallback;
}

void Reader::RequiredString(const std::string& name, const std::string& fallback,
                            std::string* out, const std::string& help) {
  String(name, fallback, out, help);
  if (out->empty()) errors_.push_back(absl::StrCat(name, " must be set: ", help));
}

void Reader::Int(const std::string& name, int64_t fallback, int64_t min, int64_t max,
                 int64_t* out, const std::string& help) {
  const std::string* v = Lookup(name, absl::StrCat(fallback), help);
  *out = fallback;
  if (v == nullptr) return;
  int64_t parsed = 0;
  if (!absl::SimpleAtoi(*v, &parsed) || parsed < min || parsed > max) {
    errors_.push_back(absl::StrCat(name, "='", *v, "' is not an integer in [", min, ", ", max,
                                   "]: ", help));
    return;
  }
  *out = parsed;
}

void Reader::Int(const std::string& name, int fallback, int min, int max, int* out,
                 const std::string& help) {
  int64_t wide = fallback;
  Int(name, static_cast<int64_t>(fallback), min, max, &wide, help);
  *out = static_cast<int>(wide);
}

void Reader::Choice(const std::string& name, const std::string& fallback,
                    const std::vector<std::string>& choices, std::string* out,
                    const std::string& help) {
  String(name, fallback, out, absl::StrCat(help, " (one of ", absl::StrJoin(choices, ", "), ")"));
  for (const std::string& c : choices) {
    if (*out == c) return;
  }
  errors_.push_back(absl::StrCat(name, "='", *out, "' is not one of ", absl::StrJoin(choices, ", ")));
  *out = fallback;
}

void Reader::Bool(const std::string& name, bool fallback, bool* out, const std::string& help) {
  const std::string* v = Lookup(name, fallback ? "true" : "false", help);
  *out = fallback;
  if (v == nullptr) return;
  if (!absl::SimpleAtob(*v, out)) {
    errors_.push_back(absl::StrCat(name, "='", *v, "' is not a boolean (true/false): ", help));
    *out = fallback;
  }
}

void Reader::Duration(const std::string& name, absl::Duration fallback, absl::Duration min,
                      absl::Duration max, absl::Duration* out, const std::string& help) {
  const std::string* v = Lookup(name, absl::FormatDuration(fallback), help);
  *out = fallback;
  if (v == nullptr) return;
  absl::Duration parsed;
  if (!absl::ParseDuration(*v, &parsed) || parsed < min || parsed > max) {
    errors_.push_back(absl::StrCat(name, "='", *v, "' is not a duration in [",
                                   absl::FormatDuration(min), ", ", absl::FormatDuration(max),
                                   "] (e.g. 250ms, 5s): ", help));
    return;
  }
  *out = parsed;
}

absl::Status Reader::Finish() {
  if (help_) return absl::CancelledError(absl::StrCat("flags and variables:\n", absl::StrJoin(usage_, "\n")));
  std::vector<std::string> errors = errors_;
  for (const auto& [name, used] : used_flags_) {
    if (!used) errors.push_back(absl::StrCat("unknown flag for ", name, " (see --help)"));
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("bad configuration:\n  ", absl::StrJoin(errors, "\n  ")));
}

}  // namespace agora::runtime::config

package main

// The environment variables the Agora binaries read, found in their C++
// configuration code: every string literal that is a whole AGORA_* name in
// the non-test *.cc files of runtime/ (shared: counted for every binary)
// and of each binary's own directory, plus the names built in a loop such
// as gateway/config.cc's
//
//   const std::pair<const char*, const char*> kBackends[] = {{"...", "INVENTORY"}, ...};
//   for (const auto& [service, name] : kBackends)
//     r.String(std::string("AGORA_") + name + "_ADDRESS", ...);
//
// plus AGORA_MIGRATE_ONLY (every service binary reads it).

import (
	"fmt"
	"io/ioutil"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Binaries are the directories of the Agora binaries (the binary's name).
var Binaries = []string{"gateway", "customers", "inventory", "orders", "reviews", "saga"}

// EnvSets is the set of variables each binary reads; All is their union.
type EnvSets struct {
	PerBinary map[string]map[string]bool
	All       map[string]bool
	Precise   map[string]map[string]bool // per binary, through the call graph (reach.go)
	Specs     map[string]VarSpec         // how a variable is read (type, range, choices)
	Listen    ListenPorts                // default listen ports per binary
	Notes     []string                   // how the loop-built names were found
}

// VarSpec is how the config code reads a variable: r.Int(NAME, default,
// min, max, ...), r.Bool, r.Duration, r.Choice(NAME, default, {...}),
// r.String, r.RequiredString.
type VarSpec struct {
	Kind     string // String, RequiredString, Int, Bool, Duration, Choice
	Min, Max *int64
	Choices  []string
}

// ListenPorts are, per binary, the ports it listens on by default, keyed by
// the variable that moves them (AGORA_GRPC_ADDRESS, AGORA_METRICS_PORT,
// AGORA_HTTP_PORT).
type ListenPorts map[string]map[string]int

var agoraNameRE = regexp.MustCompile(`^AGORA_[A-Z0-9_]+$`)

// ScanEnv reads the config code under repo.
func ScanEnv(repo string) (*EnvSets, error) {
	sets := &EnvSets{PerBinary: map[string]map[string]bool{}, All: map[string]bool{},
		Specs: map[string]VarSpec{}, Listen: ListenPorts{}}
	shared := map[string]bool{"AGORA_MIGRATE_ONLY": true}
	if err := scanDir(filepath.Join(repo, "runtime"), shared, sets); err != nil {
		return nil, err
	}
	for _, b := range Binaries {
		own := map[string]bool{}
		dir := filepath.Join(repo, b)
		if _, err := os.Stat(dir); err != nil {
			sets.Notes = append(sets.Notes, fmt.Sprintf("no %s/ under %s", b, repo))
			continue
		}
		if err := scanDir(dir, own, sets); err != nil {
			return nil, err
		}
		if err := scanListen(dir, b, sets); err != nil {
			return nil, err
		}
		for n := range shared {
			own[n] = true
		}
		sets.PerBinary[b] = own
		for n := range own {
			sets.All[n] = true
		}
	}
	precise, err := reachableVars(repo)
	if err != nil {
		return nil, err
	}
	sets.Precise = precise
	if len(sets.PerBinary) == 0 || len(sets.All) <= len(shared) {
		return nil, fmt.Errorf("--repo %s: no Agora binary directory with AGORA_* names in its config code; wrong directory?", repo)
	}
	return sets, nil
}

func scanDir(dir string, into map[string]bool, sets *EnvSets) error {
	return filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() || !strings.HasSuffix(p, ".cc") || strings.HasSuffix(p, "_test.cc") {
			return nil
		}
		data, err := ioutil.ReadFile(p)
		if err != nil {
			return err
		}
		code, lits := cxxStrip(string(data))
		for _, l := range lits {
			if agoraNameRE.MatchString(l) {
				into[l] = true
			}
		}
		names, note, err := loopNames(code)
		if err != nil {
			return fmt.Errorf("%s: %v", p, err)
		}
		for _, n := range names {
			into[n] = true
		}
		scanSpecs(code, sets.Specs)
		if note != "" {
			sets.Notes = append(sets.Notes, p+": "+note)
		}
		return nil
	})
}

// cxxStrip removes comments from C++ source and returns the code (literals
// kept in place) and the string literals (raw strings included).
func cxxStrip(src string) (string, []string) {
	var code strings.Builder
	var lits []string
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				i = len(src)
			} else {
				i += end + 4
			}
			code.WriteByte(' ')
		case c == 'R' && i+1 < len(src) && src[i+1] == '"' && (i == 0 || !isIdent(src[i-1]) || src[i-1] == 'u' || src[i-1] == 'L' || src[i-1] == '8'):
			open := strings.IndexByte(src[i+2:], '(')
			if open < 0 {
				code.WriteByte(c)
				i++
				continue
			}
			delim := src[i+2 : i+2+open]
			body := i + 2 + open + 1
			end := strings.Index(src[body:], ")"+delim+"\"")
			if end < 0 {
				i = len(src)
				continue
			}
			lits = append(lits, src[body:body+end])
			code.WriteString(`"` + src[body:body+end] + `"`)
			i = body + end + len(delim) + 2
		case c == '"':
			j := i + 1
			var lit strings.Builder
			for j < len(src) && src[j] != '"' && src[j] != '\n' {
				if src[j] == '\\' && j+1 < len(src) {
					lit.WriteByte(src[j])
					j++
				}
				lit.WriteByte(src[j])
				j++
			}
			lits = append(lits, lit.String())
			code.WriteString(src[i : j+1])
			i = j + 1
		case c == '\'' && !(i > 0 && isHexDigit(src[i-1]) && i+1 < len(src) && isHexDigit(src[i+1])):
			// character literal (not a digit separator as in 1'000)
			j := i + 1
			for j < len(src) && src[j] != '\'' && src[j] != '\n' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j > len(src) {
				j = len(src) - 1
			}
			code.WriteString(src[i : j+1])
			i = j + 1
		default:
			code.WriteByte(c)
			i++
		}
	}
	return code.String(), lits
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

var (
	concatRE  = regexp.MustCompile(`"AGORA_"\s*\)?\s*\+\s*([A-Za-z_]\w*)\s*\+\s*"([A-Z0-9_]*)"`)
	forRE     = regexp.MustCompile(`for\s*\(\s*(?:const\s+)?auto\s*&{0,2}\s*(?:\[([^\]]*)\]|([A-Za-z_]\w*))\s*:\s*([A-Za-z_]\w*)\s*\)`)
	upperLit  = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	stringLit = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)
)

// loopNames finds `"AGORA_" + name + "_SUFFIX"` and resolves `name` through
// the range-for loop that binds it and the array that loop walks.
func loopNames(code string) ([]string, string, error) {
	var names []string
	var notes []string
	for _, m := range concatRE.FindAllStringSubmatchIndex(code, -1) {
		ident := code[m[2]:m[3]]
		suffix := code[m[4]:m[5]]
		// The nearest range-for before the concatenation that binds ident.
		var arr string
		pos := -1
		for _, f := range forRE.FindAllStringSubmatchIndex(code[:m[0]], -1) {
			binds := []string{}
			if f[2] >= 0 {
				for _, b := range strings.Split(code[f[2]:f[3]], ",") {
					binds = append(binds, strings.TrimSpace(b))
				}
			} else {
				binds = append(binds, code[f[4]:f[5]])
			}
			for i, b := range binds {
				if b == ident {
					arr = code[f[6]:f[7]]
					if len(binds) == 1 {
						pos = -1
					} else {
						pos = i
					}
				}
			}
		}
		if arr == "" {
			return nil, "", fmt.Errorf(`"AGORA_" + %s + "%s": no range-for binding %s found`, ident, suffix, ident)
		}
		elems, err := arrayElements(code, arr, pos)
		if err != nil {
			return nil, "", err
		}
		for _, e := range elems {
			names = append(names, "AGORA_"+e+suffix)
		}
		notes = append(notes, fmt.Sprintf(`"AGORA_" + %s + "%s" over %s: %s`, ident, suffix, arr, strings.Join(elems, ", ")))
	}
	sort.Strings(names)
	return names, strings.Join(notes, "; "), nil
}

// arrayElements reads `arr[] = { ... }` and returns, for each element, the
// string literal at position pos of its braces (pos -1: the element itself).
func arrayElements(code, arr string, pos int) ([]string, error) {
	decl := regexp.MustCompile(`\b` + regexp.QuoteMeta(arr) + `\s*\[\s*\w*\s*\]\s*=\s*\{`)
	loc := decl.FindStringIndex(code)
	if loc == nil {
		return nil, fmt.Errorf("array %s: declaration not found", arr)
	}
	start := loc[1] // after the opening brace
	depth := 1
	end := start
	for end < len(code) && depth > 0 {
		switch code[end] {
		case '{':
			depth++
		case '}':
			depth--
		case '"':
			end++
			for end < len(code) && code[end] != '"' {
				if code[end] == '\\' {
					end++
				}
				end++
			}
		}
		end++
	}
	body := code[start : end-1]
	var out []string
	if pos < 0 {
		for _, l := range stringLit.FindAllStringSubmatch(body, -1) {
			out = append(out, l[1])
		}
	} else {
		group := regexp.MustCompile(`\{([^{}]*)\}`)
		for _, g := range group.FindAllStringSubmatch(body, -1) {
			lits := stringLit.FindAllStringSubmatch(g[1], -1)
			if pos < len(lits) {
				out = append(out, lits[pos][1])
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("array %s: no names found", arr)
	}
	for _, n := range out {
		if !upperLit.MatchString(n) {
			return nil, fmt.Errorf("array %s: %q does not make an AGORA_* name", arr, n)
		}
	}
	return out, nil
}

var (
	readCallRE = regexp.MustCompile(`\.(String|RequiredString|Int|Bool|Duration|Choice)\(\s*"(AGORA_[A-Z0-9_]+)"\s*,`)
	intArgsRE  = regexp.MustCompile(`^\s*(?:int64_t\{)?(-?\d+)\}?\s*,\s*(?:int64_t\{)?(-?\d+)\}?\s*,\s*(?:int64_t\{)?(-?\d+)\}?\s*,`)
	choiceRE   = regexp.MustCompile(`^\s*"[^"]*"\s*,\s*\{([^}]*)\}`)
	serveRE    = regexp.MustCompile(`ReadServeConfig\(\s*\w+\s*,\s*(\d+)\s*,\s*(\d+)`)
	portReadRE = regexp.MustCompile(`"(AGORA_[A-Z0-9_]*PORT)"\s*,\s*(\d+)\s*,`)
)

// scanSpecs records how each AGORA_* variable is read.
func scanSpecs(code string, specs map[string]VarSpec) {
	for _, m := range readCallRE.FindAllStringSubmatchIndex(code, -1) {
		kind := code[m[2]:m[3]]
		name := code[m[4]:m[5]]
		rest := code[m[1]:]
		spec := VarSpec{Kind: kind}
		switch kind {
		case "Int":
			if a := intArgsRE.FindStringSubmatch(rest); a != nil {
				min, err1 := strconv.ParseInt(a[2], 10, 64)
				max, err2 := strconv.ParseInt(a[3], 10, 64)
				if err1 == nil && err2 == nil {
					spec.Min, spec.Max = &min, &max
				}
			}
		case "Choice":
			if a := choiceRE.FindStringSubmatch(rest); a != nil {
				for _, l := range stringLit.FindAllStringSubmatch(a[1], -1) {
					spec.Choices = append(spec.Choices, l[1])
				}
			}
		}
		if _, seen := specs[name]; !seen {
			specs[name] = spec
		}
	}
}

// scanListen finds a binary's default ports: ReadServeConfig(r, grpc, metrics)
// and r.Int("AGORA_..._PORT", default, ...).
func scanListen(dir, binary string, sets *EnvSets) error {
	ports := map[string]int{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(p, ".cc") || strings.HasSuffix(p, "_test.cc") {
			return err
		}
		data, err := ioutil.ReadFile(p)
		if err != nil {
			return err
		}
		code, _ := cxxStrip(string(data))
		if m := serveRE.FindStringSubmatch(code); m != nil {
			ports["AGORA_GRPC_ADDRESS"], _ = strconv.Atoi(m[1])
			ports["AGORA_METRICS_PORT"], _ = strconv.Atoi(m[2])
		}
		for _, m := range portReadRE.FindAllStringSubmatch(code, -1) {
			if m[1] == "AGORA_HTTP_PORT" {
				ports[m[1]], _ = strconv.Atoi(m[2])
			}
		}
		return nil
	})
	if len(ports) > 0 {
		sets.Listen[binary] = ports
	}
	return err
}

// checkValue tells whether the config code accepts a value ("" when it does).
func (s VarSpec) checkValue(v string) string {
	switch s.Kind {
	case "RequiredString":
		if v == "" {
			return "must not be empty"
		}
	case "Int":
		n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(v, "+")), 10, 64)
		if err != nil {
			return "is not an integer"
		}
		if s.Min != nil && n < *s.Min || s.Max != nil && n > *s.Max {
			return fmt.Sprintf("is outside [%d, %d]", *s.Min, *s.Max)
		}
	case "Bool":
		switch strings.ToLower(v) {
		case "true", "t", "yes", "y", "1", "false", "f", "no", "n", "0":
		default:
			return "is not a boolean (true/false)"
		}
	case "Duration":
		if !absDurationRE.MatchString(v) {
			return "is not a duration (e.g. 250ms, 5s, 1m)"
		}
	case "Choice":
		for _, c := range s.Choices {
			if v == c {
				return ""
			}
		}
		if len(s.Choices) > 0 {
			return "is not one of " + strings.Join(s.Choices, ", ")
		}
	}
	return ""
}

// absl::ParseDuration's syntax.
var absDurationRE = regexp.MustCompile(`^([-+]?(0|inf)|[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|ms|s|m|h))*)$`)

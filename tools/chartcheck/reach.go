package main

// A rough call graph of the C++ code, so each binary's variables can be
// told apart from the shared runtime/ code's: a runtime function's AGORA_*
// literals count for a binary only when the binary's own code calls that
// function (by name, transitively through runtime/). Calls through
// pointers or virtual dispatch are not followed, so this narrower set only
// produces warnings; the spec'd set (runtime/ counts for every binary)
// decides violations.

import (
	"io/ioutil"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

type cxxFunc struct {
	name  string
	file  string
	body  string
	lits  []string
	calls []string
}

type cxxFile struct {
	path       string
	funcs      []*cxxFunc
	globalLits []string
	globalCall []string
	loopNames  []string
}

var (
	callRE     = regexp.MustCompile(`\b([A-Za-z_]\w*)\s*(?:<[^;(){}]*>)?\s*\(`)
	keywordRE  = regexp.MustCompile(`^(if|for|while|switch|catch|return|sizeof|decltype|static_assert|alignof|defined|do|else|try)$`)
	templateRE = regexp.MustCompile(`^template\s*<[^{};]*>\s*`)
)

func callsIn(s string) []string {
	var out []string
	for _, m := range callRE.FindAllStringSubmatch(s, -1) {
		if !keywordRE.MatchString(m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

func litsIn(s string) []string {
	var out []string
	for _, m := range stringLit.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// parseCxxFile splits comment-free code into top-level function bodies and
// the rest (namespace-scope code).
func parseCxxFile(path, code string) *cxxFile {
	f := &cxxFile{path: path}
	var global strings.Builder
	type frame struct {
		kind  string // ns, class, func, block, init
		start int
		name  string
	}
	var stack []frame
	inFunc := func() bool {
		for _, fr := range stack {
			if fr.kind == "func" || fr.kind == "init" {
				return true
			}
		}
		return false
	}
	boundary := 0
	i := 0
	for i < len(code) {
		c := code[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(code) && code[j] != '"' && code[j] != '\n' {
				if code[j] == '\\' {
					j++
				}
				j++
			}
			if !inFunc() {
				global.WriteString(code[i:min(j+1, len(code))])
			}
			i = j + 1
			continue
		case c == '\'' && !(i > 0 && isHexDigit(code[i-1]) && i+1 < len(code) && isHexDigit(code[i+1])):
			j := i + 1
			for j < len(code) && code[j] != '\'' && code[j] != '\n' {
				if code[j] == '\\' {
					j++
				}
				j++
			}
			i = j + 1
			continue
		case c == '{':
			kind, name := "block", ""
			if !inFunc() {
				header := stripPreprocessor(code[boundary:i])
				header = strings.TrimSpace(templateRE.ReplaceAllString(strings.TrimSpace(header), ""))
				switch {
				case strings.HasPrefix(header, "namespace") || strings.HasPrefix(header, "extern"):
					kind = "ns"
				case regexp.MustCompile(`^(class|struct|union|enum)\b`).MatchString(header) && !strings.Contains(header, "("):
					kind = "class"
				case strings.Contains(header, "(") && !strings.Contains(header[:strings.Index(header, "(")], "="):
					kind = "func"
					pre := strings.TrimSpace(header[:strings.Index(header, "(")])
					if m := regexp.MustCompile(`([A-Za-z_~]\w*)\s*$`).FindStringSubmatch(pre); m != nil {
						name = strings.TrimPrefix(m[1], "~")
					}
					if keywordRE.MatchString(name) {
						kind = "block"
					}
				default:
					kind = "init"
				}
				if !inFunc() && kind != "func" && kind != "init" {
					global.WriteString(code[boundary:i])
				}
			}
			start := i + 1
			if kind == "func" || kind == "init" {
				start = boundary
			}
			stack = append(stack, frame{kind: kind, start: start, name: name})
			boundary = i + 1
		case c == '}':
			if len(stack) > 0 {
				fr := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if fr.kind == "func" && !inFunc() {
					body := code[fr.start : i+1]
					f.funcs = append(f.funcs, &cxxFunc{name: fr.name, file: path, body: body, lits: litsIn(body), calls: callsIn(body)})
				} else if fr.kind == "init" && !inFunc() {
					global.WriteString(code[fr.start : i+1])
				}
			}
			boundary = i + 1
		case c == ';':
			if !inFunc() {
				global.WriteString(code[boundary : i+1])
			}
			boundary = i + 1
		}
		i++
	}
	g := global.String()
	f.globalLits = litsIn(g)
	f.globalCall = callsIn(g)
	return f
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func stripPreprocessor(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

func loadCxxDir(dir string) ([]*cxxFile, error) {
	var files []*cxxFile
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() || strings.HasSuffix(p, "_test.cc") || !(strings.HasSuffix(p, ".cc") || strings.HasSuffix(p, ".h")) {
			return nil
		}
		data, err := ioutil.ReadFile(p)
		if err != nil {
			return err
		}
		code, _ := cxxStrip(string(data))
		f := parseCxxFile(p, code)
		if strings.HasSuffix(p, ".cc") {
			f.loopNames, _, _ = loopNames(code)
		}
		files = append(files, f)
		return nil
	})
	return files, err
}

// reachableVars computes, per binary, the AGORA_* names in its own code and
// in the runtime functions its code calls (transitively).
func reachableVars(repo string) (map[string]map[string]bool, error) {
	runtime, err := loadCxxDir(filepath.Join(repo, "runtime"))
	if err != nil {
		return nil, err
	}
	byName := map[string][]*cxxFunc{}
	fileOf := map[*cxxFunc]*cxxFile{}
	for _, f := range runtime {
		for _, fn := range f.funcs {
			byName[fn.name] = append(byName[fn.name], fn)
			fileOf[fn] = f
		}
	}
	out := map[string]map[string]bool{}
	for _, b := range Binaries {
		dir := filepath.Join(repo, b)
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		own, err := loadCxxDir(dir)
		if err != nil {
			return nil, err
		}
		vars := map[string]bool{}
		var work []string
		for _, f := range own {
			if !strings.HasSuffix(f.path, ".cc") {
				continue
			}
			for _, l := range f.globalLits {
				if agoraNameRE.MatchString(l) {
					vars[l] = true
				}
			}
			for _, n := range f.loopNames {
				vars[n] = true
			}
			work = append(work, f.globalCall...)
			for _, fn := range f.funcs {
				for _, l := range fn.lits {
					if agoraNameRE.MatchString(l) {
						vars[l] = true
					}
				}
				work = append(work, fn.calls...)
			}
		}
		reached := map[*cxxFunc]bool{}
		reachedFile := map[*cxxFile]bool{}
		seen := map[string]bool{}
		for len(work) > 0 {
			name := work[len(work)-1]
			work = work[:len(work)-1]
			if seen[name] {
				continue
			}
			seen[name] = true
			for _, fn := range byName[name] {
				if reached[fn] {
					continue
				}
				reached[fn] = true
				reachedFile[fileOf[fn]] = true
				work = append(work, fn.calls...)
				for _, l := range fn.lits {
					if agoraNameRE.MatchString(l) {
						vars[l] = true
					}
				}
			}
		}
		for f := range reachedFile {
			if !strings.HasSuffix(f.path, ".cc") {
				continue
			}
			for _, l := range f.globalLits {
				if agoraNameRE.MatchString(l) {
					vars[l] = true
				}
			}
			for _, n := range f.loopNames {
				vars[n] = true
			}
		}
		out[b] = vars
	}
	return out, nil
}

package main

// Loading a chart directory the way Helm's loader does (Chart.yaml,
// values.yaml, values.schema.json, templates/, every other file as .Files,
// .helmignore honoured), and merging values the way `helm template` does.

import (
	"fmt"
	"io/ioutil"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ChartMetadata mirrors helm.sh/helm/v3/pkg/chart.Metadata, the type of
// .Chart in templates (a field that does not exist is a template error, as
// in Helm).
type ChartMetadata struct {
	Name         string            `yaml:"name" json:"name"`
	Home         string            `yaml:"home" json:"home,omitempty"`
	Sources      []string          `yaml:"sources" json:"sources,omitempty"`
	Version      string            `yaml:"version" json:"version"`
	Description  string            `yaml:"description" json:"description,omitempty"`
	Keywords     []string          `yaml:"keywords" json:"keywords,omitempty"`
	Maintainers  []*Maintainer     `yaml:"maintainers" json:"maintainers,omitempty"`
	Icon         string            `yaml:"icon" json:"icon,omitempty"`
	APIVersion   string            `yaml:"apiVersion" json:"apiVersion"`
	Condition    string            `yaml:"condition" json:"condition,omitempty"`
	Tags         string            `yaml:"tags" json:"tags,omitempty"`
	AppVersion   string            `yaml:"appVersion" json:"appVersion,omitempty"`
	Deprecated   bool              `yaml:"deprecated" json:"deprecated,omitempty"`
	Annotations  map[string]string `yaml:"annotations" json:"annotations,omitempty"`
	KubeVersion  string            `yaml:"kubeVersion" json:"kubeVersion,omitempty"`
	Dependencies []*Dependency     `yaml:"dependencies" json:"dependencies,omitempty"`
	Type         string            `yaml:"type" json:"type,omitempty"`
}

// Maintainer mirrors chart.Maintainer.
type Maintainer struct {
	Name  string `yaml:"name" json:"name,omitempty"`
	Email string `yaml:"email" json:"email,omitempty"`
	URL   string `yaml:"url" json:"url,omitempty"`
}

// Dependency mirrors the fields of chart.Dependency a template may read.
type Dependency struct {
	Name       string `yaml:"name" json:"name"`
	Version    string `yaml:"version" json:"version,omitempty"`
	Repository string `yaml:"repository" json:"repository"`
	Condition  string `yaml:"condition" json:"condition,omitempty"`
	Alias      string `yaml:"alias" json:"alias,omitempty"`
}

// TemplateFile is one file of templates/, named as Helm names it
// ("agora/templates/deployment.yaml").
type TemplateFile struct {
	Name string
	Data string
}

// Chart is a loaded chart directory.
type Chart struct {
	Dir       string
	Metadata  *ChartMetadata
	Values    map[string]interface{}
	Schema    []byte
	Templates []TemplateFile
	Files     Files
}

var chartNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// LoadChart reads a chart directory.
func LoadChart(dir string) (*Chart, error) {
	c := &Chart{Dir: dir, Files: Files{}}
	meta, err := ioutil.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, fmt.Errorf("%s: not a chart: %v", dir, err)
	}
	c.Metadata = &ChartMetadata{}
	if err := yaml.Unmarshal(meta, c.Metadata); err != nil {
		return nil, fmt.Errorf("Chart.yaml: %v", err)
	}
	md := c.Metadata
	var problems []string
	if md.APIVersion != "v2" && md.APIVersion != "v1" {
		problems = append(problems, fmt.Sprintf("apiVersion is %q (v2 expected)", md.APIVersion))
	}
	if md.Name == "" {
		problems = append(problems, "name is missing")
	} else if !chartNameRE.MatchString(md.Name) {
		problems = append(problems, fmt.Sprintf("name %q is not a valid chart name", md.Name))
	}
	if md.Version == "" {
		problems = append(problems, "version is missing")
	} else if _, err := parseSemver(md.Version); err != nil {
		problems = append(problems, fmt.Sprintf("version %q is not SemVer 2: %v", md.Version, err))
	}
	if md.Type != "" && md.Type != "application" && md.Type != "library" {
		problems = append(problems, fmt.Sprintf("type %q is neither application nor library", md.Type))
	}
	if len(md.Dependencies) > 0 {
		problems = append(problems, "dependencies (subcharts) are not supported by chartcheck")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("Chart.yaml: %s", strings.Join(problems, "; "))
	}

	if data, err := ioutil.ReadFile(filepath.Join(dir, "values.yaml")); err == nil {
		v, err := parseValuesYAML(data)
		if err != nil {
			return nil, fmt.Errorf("values.yaml: %v", err)
		}
		c.Values = v
	} else if os.IsNotExist(err) {
		c.Values = map[string]interface{}{}
	} else {
		return nil, err
	}
	if data, err := ioutil.ReadFile(filepath.Join(dir, "values.schema.json")); err == nil {
		c.Schema = data
	}

	ignore, err := loadHelmignore(dir)
	if err != nil {
		return nil, err
	}
	err = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if ignore.ignored(rel, info.IsDir()) {
			if info.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if info.IsDir() {
			if rel == "charts" {
				entries, _ := ioutil.ReadDir(p)
				if len(entries) > 0 {
					return fmt.Errorf("%s: subcharts are not supported by chartcheck", p)
				}
			}
			return nil
		}
		data, err := ioutil.ReadFile(p)
		if err != nil {
			return err
		}
		switch {
		case rel == "Chart.yaml", rel == "values.yaml", rel == "values.schema.json",
			rel == "requirements.yaml", rel == "requirements.lock", rel == "Chart.lock":
		case strings.HasPrefix(rel, "templates/"):
			if strings.HasPrefix(path.Base(rel), ".") {
				return nil // Helm's default rule: templates/.?*
			}
			c.Templates = append(c.Templates, TemplateFile{Name: md.Name + "/" + rel, Data: string(data)})
		default:
			c.Files[rel] = data
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(c.Templates, func(i, j int) bool { return c.Templates[i].Name < c.Templates[j].Name })
	return c, nil
}

// helmignore holds the rules of .helmignore (Helm's subset of .gitignore:
// globs matched against the path and the base name, a trailing / for
// directories, a leading ! to negate; ** is not supported).
type helmignore struct {
	rules []ignoreRule
}

type ignoreRule struct {
	pattern string
	negate  bool
	dirOnly bool
}

func loadHelmignore(dir string) (*helmignore, error) {
	h := &helmignore{}
	data, err := ioutil.ReadFile(filepath.Join(dir, ".helmignore"))
	if os.IsNotExist(err) {
		return h, nil
	}
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := ignoreRule{}
		if strings.HasPrefix(line, "!") {
			r.negate = true
			line = line[1:]
		}
		if strings.HasSuffix(line, "/") {
			r.dirOnly = true
			line = strings.TrimSuffix(line, "/")
		}
		r.pattern = strings.TrimPrefix(line, "/")
		h.rules = append(h.rules, r)
	}
	return h, nil
}

func (h *helmignore) ignored(rel string, isDir bool) bool {
	if rel == "Chart.yaml" {
		return false
	}
	ignored := false
	for _, r := range h.rules {
		if r.dirOnly && !isDir {
			continue
		}
		var m bool
		if strings.Contains(r.pattern, "/") {
			m, _ = filepath.Match(r.pattern, rel)
		} else {
			m, _ = filepath.Match(r.pattern, path.Base(rel))
		}
		if m {
			ignored = !r.negate
		}
	}
	return ignored
}

// coalesce merges src (user values) over dst (chart defaults) as Helm's
// chartutil.CoalesceValues does: maps merge key by key, anything else is
// replaced, and a null in the user values deletes the default.
func coalesce(dst, src map[string]interface{}) map[string]interface{} {
	out := deepCopyMap(dst)
	for k, sv := range src {
		if sv == nil {
			delete(out, k)
			continue
		}
		dv, exists := out[k]
		sm, sIsMap := sv.(map[string]interface{})
		dm, dIsMap := dv.(map[string]interface{})
		if exists && sIsMap && dIsMap {
			out[k] = coalesce(dm, sm)
			continue
		}
		if exists && dIsMap && !sIsMap {
			warnf("values: overwriting table %q with a %s", k, typeName(sv))
		}
		out[k] = deepCopy(sv)
	}
	return out
}

func deepCopyMap(m map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(m))
	for k, v := range m {
		out[k] = deepCopy(v)
	}
	return out
}

func deepCopy(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		return deepCopyMap(x)
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	default:
		return v
	}
}

// removeNulls drops keys whose value is null from the chart defaults after
// the merge (Helm does not pass nulls to templates).
func removeNulls(m map[string]interface{}) {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case map[string]interface{}:
			removeNulls(x)
		}
	}
}

// parseSet applies one --set / --set-string argument ("a.b=c,d[0].e=f")
// to vals, as Helm's strvals parser does for the common forms: dotted keys,
// list indexes, backslash escapes of , . = [ and \. With typed, values are
// parsed like --set (true/false/null/integers), else kept as strings.
func parseSet(vals map[string]interface{}, arg string, typed bool) error {
	pairs, err := splitUnescaped(arg, ',')
	if err != nil {
		return err
	}
	for _, pair := range pairs {
		if pair == "" {
			continue
		}
		eq := indexUnescaped(pair, '=')
		if eq < 0 {
			return fmt.Errorf("--set %q: key %q has no value", arg, unescape(pair))
		}
		key, raw := pair[:eq], unescape(pair[eq+1:])
		var val interface{} = raw
		if typed {
			val = typedSetValue(raw)
		}
		path, err := parseSetKey(key)
		if err != nil {
			return fmt.Errorf("--set %q: %v", arg, err)
		}
		if err := setPath(vals, path, val); err != nil {
			return fmt.Errorf("--set %q: %v", arg, err)
		}
	}
	return nil
}

func typedSetValue(s string) interface{} {
	switch s {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	case "0":
		return int64(0)
	}
	if len(s) > 0 && s[0] != '0' {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
	}
	return s
}

type setStep struct {
	key   string
	index int // -1 for a map key
}

func parseSetKey(key string) ([]setStep, error) {
	var steps []setStep
	parts, err := splitUnescaped(key, '.')
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		name := p
		var idxs []int
		for {
			o := indexUnescaped(name, '[')
			if o < 0 {
				break
			}
			c := strings.IndexByte(name[o:], ']')
			if c < 0 {
				return nil, fmt.Errorf("unclosed [ in %q", key)
			}
			n, err := strconv.Atoi(name[o+1 : o+c])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("bad list index in %q", key)
			}
			idxs = append(idxs, n)
			rest := name[o+c+1:]
			name = name[:o] + rest
			if rest != "" && !strings.HasPrefix(rest, "[") {
				return nil, fmt.Errorf("unexpected %q after ] in %q", rest, key)
			}
		}
		name = unescape(name)
		if name == "" && len(idxs) == 0 {
			return nil, fmt.Errorf("empty key in %q", key)
		}
		if name != "" {
			steps = append(steps, setStep{key: name, index: -1})
		}
		for _, i := range idxs {
			steps = append(steps, setStep{index: i})
		}
	}
	return steps, nil
}

func setPath(vals map[string]interface{}, steps []setStep, val interface{}) error {
	if len(steps) == 0 || steps[0].index >= 0 {
		return fmt.Errorf("a key must come first")
	}
	setIn(vals, steps, val)
	return nil
}

func setIn(cur interface{}, steps []setStep, val interface{}) interface{} {
	if len(steps) == 0 {
		return val
	}
	st := steps[0]
	if st.index < 0 {
		m, ok := cur.(map[string]interface{})
		if !ok {
			m = map[string]interface{}{}
		}
		m[st.key] = setIn(m[st.key], steps[1:], val)
		return m
	}
	l, _ := cur.([]interface{})
	for len(l) <= st.index {
		l = append(l, nil)
	}
	l[st.index] = setIn(l[st.index], steps[1:], val)
	return l
}

func splitUnescaped(s string, sep byte) ([]string, error) {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == sep {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:]), nil
}

func indexUnescaped(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == c {
			return i
		}
	}
	return -1
}

func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func warnf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "chartcheck: warning: "+format+"\n", args...)
}

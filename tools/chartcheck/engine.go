package main

// The template engine: text/template + sprig + Helm's own functions, run
// over the chart's templates the way helm.sh/helm/v3/pkg/engine does.

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/semver"
	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

// Release mirrors the .Release object.
type ReleaseOptions struct {
	Name      string
	Namespace string
	Revision  int
	IsInstall bool
	IsUpgrade bool
}

// KubeVersion mirrors chartutil.KubeVersion.
type KubeVersion struct {
	Version string
	Major   string
	Minor   string
}

// String is the version ("v1.29.0").
func (k *KubeVersion) String() string { return k.Version }

// GitVersion is the version, as in Helm (kept for old charts).
func (k *KubeVersion) GitVersion() string { return k.Version }

// VersionSet mirrors chartutil.VersionSet.
type VersionSet []string

// Has reports whether an API version ("apps/v1" or "apps/v1/Deployment") is available.
func (v VersionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

// HelmVersion mirrors the fields of .Capabilities.HelmVersion.
type HelmVersion struct {
	Version      string
	GitCommit    string
	GitTreeState string
	GoVersion    string
}

// Capabilities mirrors chartutil.Capabilities.
type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions VersionSet
	HelmVersion HelmVersion
}

// defaultAPIKinds are the group versions (and their kinds) a current
// cluster serves; Has accepts "group/version" and "group/version/Kind".
var defaultAPIKinds = map[string][]string{
	"v1": {"Binding", "ConfigMap", "Endpoints", "Event", "LimitRange", "Namespace", "Node",
		"PersistentVolume", "PersistentVolumeClaim", "Pod", "PodTemplate", "ReplicationController",
		"ResourceQuota", "Secret", "Service", "ServiceAccount"},
	"admissionregistration.k8s.io/v1":      {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"},
	"apiextensions.k8s.io/v1":              {"CustomResourceDefinition"},
	"apiregistration.k8s.io/v1":            {"APIService"},
	"apps/v1":                              {"ControllerRevision", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"},
	"authentication.k8s.io/v1":             {"TokenReview"},
	"authorization.k8s.io/v1":              {"LocalSubjectAccessReview", "SelfSubjectAccessReview", "SubjectAccessReview"},
	"autoscaling/v1":                       {"HorizontalPodAutoscaler"},
	"autoscaling/v2":                       {"HorizontalPodAutoscaler"},
	"batch/v1":                             {"CronJob", "Job"},
	"certificates.k8s.io/v1":               {"CertificateSigningRequest"},
	"coordination.k8s.io/v1":               {"Lease"},
	"discovery.k8s.io/v1":                  {"EndpointSlice"},
	"events.k8s.io/v1":                     {"Event"},
	"flowcontrol.apiserver.k8s.io/v1beta3": {"FlowSchema", "PriorityLevelConfiguration"},
	"networking.k8s.io/v1":                 {"Ingress", "IngressClass", "NetworkPolicy"},
	"node.k8s.io/v1":                       {"RuntimeClass"},
	"policy/v1":                            {"PodDisruptionBudget"},
	"rbac.authorization.k8s.io/v1":         {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"},
	"scheduling.k8s.io/v1":                 {"PriorityClass"},
	"storage.k8s.io/v1":                    {"CSIDriver", "CSINode", "CSIStorageCapacity", "StorageClass", "VolumeAttachment"},
	// The Prometheus operator's CRDs (the chart's ServiceMonitor and PrometheusRule).
	"monitoring.coreos.com/v1": {"Alertmanager", "PodMonitor", "Probe", "Prometheus", "PrometheusRule", "ServiceMonitor", "ThanosRuler"},
}

// NewCapabilities builds .Capabilities for a Kubernetes version ("v1.29.0")
// plus extra API versions (--api-versions).
func NewCapabilities(kubeVersion string, extra []string) (*Capabilities, error) {
	v, err := semver.NewVersion(kubeVersion)
	if err != nil {
		return nil, fmt.Errorf("--kube-version %q: %v", kubeVersion, err)
	}
	var set VersionSet
	for gv, kinds := range defaultAPIKinds {
		set = append(set, gv)
		for _, k := range kinds {
			set = append(set, gv+"/"+k)
		}
	}
	set = append(set, extra...)
	sort.Strings(set)
	return &Capabilities{
		KubeVersion: KubeVersion{Version: "v" + v.String(), Major: fmt.Sprint(v.Major()), Minor: fmt.Sprint(v.Minor())},
		APIVersions: set,
		HelmVersion: HelmVersion{Version: "v3.14.0", GoVersion: "go1.19"},
	}, nil
}

// Files mirrors chart.Files / engine files: the chart's non-template files.
type Files map[string][]byte

// GetBytes returns a file's content, or nil.
func (f Files) GetBytes(name string) []byte { return f[name] }

// Get returns a file's content as a string ("" when absent).
func (f Files) Get(name string) string { return string(f[name]) }

// Glob returns the files whose path matches a glob (* stays within a path
// segment, ** crosses segments), as Helm's gobwas/glob with '/' separator.
func (f Files) Glob(pattern string) Files {
	re, err := globRegexp(pattern)
	out := Files{}
	if err != nil {
		return out
	}
	for name, data := range f {
		if re.MatchString(name) {
			out[name] = data
		}
	}
	return out
}

// AsConfig renders the files as the data of a ConfigMap (base name: content).
func (f Files) AsConfig() string {
	if len(f) == 0 {
		return ""
	}
	m := map[string]string{}
	for k, v := range f {
		m[path.Base(k)] = string(v)
	}
	s, _ := helmToYAML(m)
	return strings.TrimSuffix(s, "\n")
}

// AsSecrets renders the files as the data of a Secret (base name: base64).
func (f Files) AsSecrets() string {
	if len(f) == 0 {
		return ""
	}
	m := map[string]string{}
	for k, v := range f {
		m[path.Base(k)] = base64.StdEncoding.EncodeToString(v)
	}
	s, _ := helmToYAML(m)
	return strings.TrimSuffix(s, "\n")
}

// Lines splits a file into lines.
func (f Files) Lines(name string) []string {
	if f[name] == nil {
		return []string{}
	}
	return strings.Split(string(f[name]), "\n")
}

func globRegexp(pattern string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch c {
		case '*':
			if i+1 < len(pattern) && pattern[i+1] == '*' {
				b.WriteString(".*")
				i++
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '[':
			j := strings.IndexByte(pattern[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("bad glob %q", pattern)
			}
			cls := pattern[i+1 : i+j]
			if strings.HasPrefix(cls, "!") {
				cls = "^" + cls[1:]
			}
			b.WriteString("[" + cls + "]")
			i += j
		case '{':
			j := strings.IndexByte(pattern[i:], '}')
			if j < 0 {
				return nil, fmt.Errorf("bad glob %q", pattern)
			}
			alts := strings.Split(pattern[i+1:i+j], ",")
			for k := range alts {
				alts[k] = regexp.QuoteMeta(alts[k])
			}
			b.WriteString("(?:" + strings.Join(alts, "|") + ")")
			i += j
		case '\\':
			if i+1 < len(pattern) {
				i++
				b.WriteString(regexp.QuoteMeta(string(pattern[i])))
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// RenderOptions are the inputs of one render.
type RenderOptions struct {
	Release      ReleaseOptions
	Capabilities *Capabilities
	Strict       bool // missingkey=error (helm --strict lint); off like helm template
}

// RenderedTemplate is the output of one template file.
type RenderedTemplate struct {
	Name   string
	Output string
}

// RenderError is one template that failed.
type RenderError struct {
	Template string
	Err      error
}

func (e *RenderError) Error() string { return e.Err.Error() }

const recursionMaxNums = 1000

// engine holds the parsed template set.
type engine struct {
	root          *template.Template
	includedNames map[string]int
}

// helmFuncMap is sprig's text functions plus Helm's (include and tpl are
// bound per template set).
func helmFuncMap() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	extra := template.FuncMap{
		"toToml": func(v interface{}) string { return "toToml is not supported by chartcheck" },
		"toYaml": func(v interface{}) string {
			s, err := helmToYAML(v)
			if err != nil {
				return ""
			}
			return strings.TrimSuffix(s, "\n")
		},
		"toYamlPretty": func(v interface{}) string {
			s, err := helmToYAML(v)
			if err != nil {
				return ""
			}
			return strings.TrimSuffix(s, "\n")
		},
		"fromYaml": func(s string) map[string]interface{} {
			m, err := parseValuesYAML([]byte(s))
			if err != nil {
				return map[string]interface{}{"Error": err.Error()}
			}
			return m
		},
		"fromYamlArray": func(s string) []interface{} {
			var raw interface{}
			if err := yaml.Unmarshal([]byte(s), &raw); err != nil {
				return []interface{}{err.Error()}
			}
			l, ok := jsonLike(raw).([]interface{})
			if !ok {
				return []interface{}{"not an array"}
			}
			return l
		},
		"toJson": func(v interface{}) string {
			b, err := json.Marshal(v)
			if err != nil {
				return ""
			}
			return string(b)
		},
		"fromJson": func(s string) map[string]interface{} {
			m := map[string]interface{}{}
			if err := json.Unmarshal([]byte(s), &m); err != nil {
				m["Error"] = err.Error()
			}
			return m
		},
		"fromJsonArray": func(s string) []interface{} {
			var a []interface{}
			if err := json.Unmarshal([]byte(s), &a); err != nil {
				a = []interface{}{err.Error()}
			}
			return a
		},
		"required": func(warn string, val interface{}) (interface{}, error) {
			if val == nil {
				return val, errors.New(warn)
			}
			if s, ok := val.(string); ok && s == "" {
				return val, errors.New(warn)
			}
			return val, nil
		},
		"fail": func(msg string) (string, error) { return "", errors.New(msg) },
		"lookup": func(apiversion, resource, namespace, name string) (map[string]interface{}, error) {
			return map[string]interface{}{}, nil
		},
		// Replaced per template set.
		"include": func(string, interface{}) (string, error) { return "", errors.New("include: no template set") },
		"tpl":     func(string, interface{}) (string, error) { return "", errors.New("tpl: no template set") },
	}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

func (e *engine) includeFun(t *template.Template) func(string, interface{}) (string, error) {
	return func(name string, data interface{}) (string, error) {
		var buf strings.Builder
		if v, ok := e.includedNames[name]; ok {
			if v > recursionMaxNums {
				return "", fmt.Errorf("unable to execute template: rendering template has a nested reference name: %s", name)
			}
			e.includedNames[name]++
		} else {
			e.includedNames[name] = 1
		}
		err := t.ExecuteTemplate(&buf, name, data)
		e.includedNames[name]--
		return buf.String(), err
	}
}

func (e *engine) tplFun(parent *template.Template, strict bool) func(string, interface{}) (string, error) {
	return func(text string, vals interface{}) (string, error) {
		t, err := parent.Clone()
		if err != nil {
			return "", fmt.Errorf("cannot clone template: %v", err)
		}
		if strict {
			t.Option("missingkey=error")
		} else {
			t.Option("missingkey=zero")
		}
		t.Funcs(template.FuncMap{"include": e.includeFun(t), "tpl": e.tplFun(t, strict)})
		t, err = t.New(parent.Name()).Parse(text)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %v", text, err)
		}
		var buf strings.Builder
		if err := t.Execute(&buf, vals); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %v", text, err)
		}
		return strings.Replace(buf.String(), "<no value>", "", -1), nil
	}
}

// Render renders every template of the chart with the merged values. It
// returns the output of every non-partial template (NOTES.txt included) and
// every error (Helm stops at the first; chartcheck reports them all).
func Render(c *Chart, values map[string]interface{}, opts RenderOptions) ([]RenderedTemplate, []*RenderError) {
	e := &engine{includedNames: map[string]int{}}
	t := template.New("gotpl")
	if opts.Strict {
		t.Option("missingkey=error")
	} else {
		t.Option("missingkey=zero")
	}
	t.Funcs(helmFuncMap())
	t.Funcs(template.FuncMap{"include": e.includeFun(t), "tpl": e.tplFun(t, opts.Strict)})
	e.root = t

	var errs []*RenderError
	for _, tf := range c.Templates {
		if _, err := t.New(tf.Name).Parse(tf.Data); err != nil {
			errs = append(errs, &RenderError{Template: tf.Name, Err: fmt.Errorf("parse error at (%s): %v", tf.Name, cleanParseError(err))})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}

	rel := map[string]interface{}{
		"Name":      opts.Release.Name,
		"Namespace": opts.Release.Namespace,
		"Revision":  opts.Release.Revision,
		"IsInstall": opts.Release.IsInstall,
		"IsUpgrade": opts.Release.IsUpgrade,
		"Service":   "Helm",
	}
	var out []RenderedTemplate
	for _, tf := range c.Templates {
		if strings.HasPrefix(path.Base(tf.Name), "_") {
			continue
		}
		top := map[string]interface{}{
			"Values":       values,
			"Release":      rel,
			"Chart":        c.Metadata,
			"Capabilities": opts.Capabilities,
			"Files":        c.Files,
			"Subcharts":    map[string]interface{}{},
			"Template": map[string]interface{}{
				"Name":     tf.Name,
				"BasePath": c.Metadata.Name + "/templates",
			},
		}
		var buf strings.Builder
		if err := t.ExecuteTemplate(&buf, tf.Name, top); err != nil {
			errs = append(errs, &RenderError{Template: tf.Name, Err: cleanupExecError(tf.Name, err)})
			continue
		}
		out = append(out, RenderedTemplate{Name: tf.Name, Output: strings.Replace(buf.String(), "<no value>", "", -1)})
	}
	return out, errs
}

var execLocRE = regexp.MustCompile(`^template: ([^:]+:\d+:\d+): (?:executing "[^"]*" at <[^>]*>: )?`)

// cleanupExecError turns text/template's execution error into Helm's
// "execution error at (file:line:col): message", with the message of a
// required/fail call stripped of the call chain.
func cleanupExecError(filename string, err error) error {
	msg := err.Error()
	loc := filename
	if m := execLocRE.FindStringSubmatch(msg); m != nil {
		loc = m[1]
	}
	// The innermost message: after the last "error calling X: ".
	if i := strings.LastIndex(msg, "error calling "); i >= 0 {
		rest := msg[i+len("error calling "):]
		if j := strings.Index(rest, ": "); j >= 0 {
			inner := rest[j+2:]
			// include/tpl wrap the error of the template they ran; find its location.
			if locs := regexp.MustCompile(`template: ([^:]+:\d+:\d+)`).FindAllStringSubmatch(msg, -1); len(locs) > 0 {
				loc = locs[len(locs)-1][1]
			}
			return fmt.Errorf("execution error at (%s): %s", loc, inner)
		}
	}
	if m := execLocRE.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("execution error at (%s): %s", loc, msg[len(m[0]):])
	}
	return fmt.Errorf("execution error at (%s): %s", loc, msg)
}

func cleanParseError(err error) string {
	return strings.TrimPrefix(err.Error(), "template: ")
}

func parseSemver(s string) (*semver.Version, error) { return semver.NewVersion(s) }

// checkKubeVersion applies Chart.yaml's kubeVersion constraint as Helm does.
func checkKubeVersion(c *Chart, caps *Capabilities) error {
	if c.Metadata.KubeVersion == "" {
		return nil
	}
	cons, err := semver.NewConstraint(c.Metadata.KubeVersion)
	if err != nil {
		return fmt.Errorf("Chart.yaml kubeVersion %q: %v", c.Metadata.KubeVersion, err)
	}
	v, err := semver.NewVersion(caps.KubeVersion.Version)
	if err != nil {
		return err
	}
	if !cons.Check(v) {
		return fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", c.Metadata.KubeVersion, caps.KubeVersion.Version)
	}
	return nil
}

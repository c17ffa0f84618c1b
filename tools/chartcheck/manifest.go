package main

// Splitting rendered templates into manifests (Helm's releaseutil), sorting
// them in Helm's install order, and parsing each one.

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Doc is one rendered manifest.
type Doc struct {
	Source     string // agora/templates/x.yaml
	Index      int    // position in its template's output
	Content    string
	Obj        map[string]interface{}
	ParseErr   error
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	Hooks      []string // helm.sh/hook events, empty for ordinary resources
	HookWeight int
}

// ID names a manifest in messages: "Deployment/agora-gateway (agora/templates/gateway.yaml)".
func (d *Doc) ID() string {
	k, n := d.Kind, d.Name
	if k == "" {
		k = "?"
	}
	if n == "" {
		n = "?"
	}
	return fmt.Sprintf("%s/%s (%s)", k, n, d.Source)
}

// IsHook reports whether the manifest is a Helm hook.
func (d *Doc) IsHook() bool { return len(d.Hooks) > 0 }

// HasHook reports whether it runs on the given hook event (pre-install ...).
func (d *Doc) HasHook(ev string) bool {
	for _, h := range d.Hooks {
		if h == ev {
			return true
		}
	}
	return false
}

var docSepRE = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

// splitManifests is releaseutil.SplitManifests: split on ---, trim, drop empties.
func splitManifests(s string) []string {
	var out []string
	for _, d := range docSepRE.Split(strings.TrimSpace(s), -1) {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		out = append(out, d)
	}
	return out
}

// installOrder is Helm's releaseutil.InstallOrder.
var installOrder = []string{
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
	"PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
	"PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
	"ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList",
	"RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod", "ReplicationController",
	"ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob",
	"IngressClass", "Ingress", "APIService",
}

func kindRank(kind string) int {
	for i, k := range installOrder {
		if k == kind {
			return i
		}
	}
	return len(installOrder)
}

// BuildManifests splits and parses the rendered templates (NOTES.txt
// excluded), and orders them as `helm template` prints them: ordinary
// resources in install order, then hooks by weight.
func BuildManifests(chartName string, rendered []RenderedTemplate, caps *Capabilities) ([]*Doc, []error) {
	var docs []*Doc
	var errs []error
	notes := chartName + "/templates/NOTES.txt"
	for _, rt := range rendered {
		if rt.Name == notes {
			continue
		}
		for i, content := range splitManifests(rt.Output) {
			d := &Doc{Source: rt.Name, Index: i, Content: content}
			d.parse()
			if d.ParseErr == nil && d.APIVersion != "" && caps != nil && !caps.APIVersions.Has(d.APIVersion) {
				errs = append(errs, fmt.Errorf("apiVersion %q in %s is not available (add it with --api-versions)", d.APIVersion, rt.Name))
			}
			docs = append(docs, d)
		}
	}
	// releaseutil: kinds in InstallOrder, unknown kinds last and by name,
	// the same kind in file order; hooks after, by weight, then kind.
	sort.SliceStable(docs, func(i, j int) bool {
		a, b := docs[i], docs[j]
		if a.IsHook() != b.IsHook() {
			return !a.IsHook()
		}
		if a.IsHook() && a.HookWeight != b.HookWeight {
			return a.HookWeight < b.HookWeight
		}
		ra, rb := kindRank(a.Kind), kindRank(b.Kind)
		if ra == len(installOrder) && rb == len(installOrder) {
			return a.Kind < b.Kind
		}
		return ra < rb
	})
	return docs, errs
}

func (d *Doc) parse() {
	var raw interface{}
	dec := yaml.NewDecoder(strings.NewReader(d.Content))
	if err := dec.Decode(&raw); err != nil {
		d.ParseErr = fmt.Errorf("YAML parse error: %v", err)
		return
	}
	var extra interface{}
	if err := dec.Decode(&extra); err != io.EOF {
		d.ParseErr = fmt.Errorf("YAML parse error: more than one document after splitting")
		return
	}
	obj, ok := plainify(raw).(map[string]interface{})
	if !ok {
		if raw == nil {
			d.ParseErr = fmt.Errorf("the document is empty (only comments)")
		} else {
			d.ParseErr = fmt.Errorf("the document is a %s, not a map", typeName(raw))
		}
		return
	}
	d.Obj = obj
	d.APIVersion, _ = obj["apiVersion"].(string)
	d.Kind, _ = obj["kind"].(string)
	md := mapAt(obj, "metadata")
	d.Name, _ = md["name"].(string)
	d.Namespace, _ = md["namespace"].(string)
	ann := mapAt(md, "annotations")
	if h, ok := ann["helm.sh/hook"].(string); ok {
		for _, e := range strings.Split(h, ",") {
			if e = strings.TrimSpace(e); e != "" {
				d.Hooks = append(d.Hooks, e)
			}
		}
	}
	if w, ok := ann["helm.sh/hook-weight"].(string); ok {
		d.HookWeight, _ = strconv.Atoi(strings.TrimSpace(w))
	}
}

// WriteManifests prints manifests as `helm template` does.
func WriteManifests(w io.Writer, docs []*Doc) {
	for _, d := range docs {
		fmt.Fprintf(w, "---\n# Source: %s\n%s\n", d.Source, d.Content)
	}
}

// Accessors over decoded YAML.

func mapAt(m map[string]interface{}, keys ...string) map[string]interface{} {
	cur := m
	for _, k := range keys {
		if cur == nil {
			return nil
		}
		next, _ := cur[k].(map[string]interface{})
		cur = next
	}
	return cur
}

func listAt(m map[string]interface{}, keys ...string) []interface{} {
	if len(keys) == 0 || m == nil {
		return nil
	}
	parent := mapAt(m, keys[:len(keys)-1]...)
	if parent == nil {
		return nil
	}
	l, _ := parent[keys[len(keys)-1]].([]interface{})
	return l
}

func strAt(m map[string]interface{}, keys ...string) string {
	if len(keys) == 0 || m == nil {
		return ""
	}
	parent := mapAt(m, keys[:len(keys)-1]...)
	if parent == nil {
		return ""
	}
	s, _ := parent[keys[len(keys)-1]].(string)
	return s
}

func valueAt(m map[string]interface{}, keys ...string) (interface{}, bool) {
	if len(keys) == 0 || m == nil {
		return nil, false
	}
	parent := mapAt(m, keys[:len(keys)-1]...)
	if parent == nil {
		return nil, false
	}
	v, ok := parent[keys[len(keys)-1]]
	return v, ok
}

func maps(l []interface{}) []map[string]interface{} {
	var out []map[string]interface{}
	for _, e := range l {
		if m, ok := e.(map[string]interface{}); ok {
			out = append(out, m)
		}
	}
	return out
}

// stringMap reads a map of strings (labels); non-string values are kept as
// their text, the type problem is reported by the type checks.
func stringMap(m map[string]interface{}) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		} else {
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

var sourceRE = regexp.MustCompile(`(?m)^# Source: (\S+)\s*$`)

// ParseManifestStream reads manifests as `helm template` (or `chartcheck
// render`) prints them: documents separated by ---, each with an optional
// "# Source: path" comment.
func ParseManifestStream(text string) []*Doc {
	var docs []*Doc
	counts := map[string]int{}
	for _, part := range regexp.MustCompile(`(?m)^---[ \t]*$`).Split(text, -1) {
		content := strings.TrimSpace(part)
		if content == "" {
			continue
		}
		source := "(stream)"
		if m := sourceRE.FindStringSubmatch(content); m != nil {
			source = m[1]
			content = strings.TrimSpace(strings.Replace(content, m[0], "", 1))
		}
		if content == "" {
			continue
		}
		d := &Doc{Source: source, Index: counts[source], Content: content}
		counts[source]++
		d.parse()
		docs = append(docs, d)
	}
	return docs
}

package main

// The checks run over a render. Each finding names the check, the manifest
// and what is wrong; errors fail `chartcheck check`, warnings do not.

import (
	"encoding/base64"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Finding is one problem found in the render.
type Finding struct {
	Severity string // "error" or "warning"
	Check    string
	Where    string
	Message  string
}

func (f Finding) String() string {
	tag := "VIOLATION"
	if f.Severity == "warning" {
		tag = "WARNING"
	}
	if f.Where == "" {
		return fmt.Sprintf("%s [%s] %s", tag, f.Check, f.Message)
	}
	return fmt.Sprintf("%s [%s] %s: %s", tag, f.Check, f.Where, f.Message)
}

// Checker holds a render and the findings.
type Checker struct {
	Docs      []*Doc
	Env       *EnvSets    // nil: the environment check is skipped
	Listen    ListenPorts // default listen ports per binary (from the code)
	Namespace string      // the release namespace
	Promtool  string      // path of promtool, "" to skip
	Findings  []Finding

	workloads []*Workload
}

// Workload is anything with a pod template.
type Workload struct {
	Doc       *Doc
	Kind      string
	Name      string
	Selector  map[string]interface{} // LabelSelector; nil when absent
	PodMeta   map[string]interface{}
	PodLabels map[string]string
	PodSpec   map[string]interface{}
	Serving   bool // a long-running server (Deployment, StatefulSet, DaemonSet, ReplicaSet)
}

// Container is one container or init container of a workload.
type Container struct {
	W      *Workload
	M      map[string]interface{}
	Name   string
	Init   bool
	Binary string // the Agora binary it runs ("" if unknown)
}

func (c *Container) Where() string {
	kind := "container"
	if c.Init {
		kind = "initContainer"
	}
	return fmt.Sprintf("%s %s %q", c.W.Doc.ID(), kind, c.Name)
}

func (k *Checker) errorf(check, where, format string, args ...interface{}) {
	k.Findings = append(k.Findings, Finding{"error", check, where, fmt.Sprintf(format, args...)})
}

func (k *Checker) warnf(check, where, format string, args ...interface{}) {
	k.Findings = append(k.Findings, Finding{"warning", check, where, fmt.Sprintf(format, args...)})
}

// Errors counts the findings that fail the check.
func (k *Checker) Errors() int {
	n := 0
	for _, f := range k.Findings {
		if f.Severity == "error" {
			n++
		}
	}
	return n
}

// Run runs every check.
func (k *Checker) Run() {
	k.collectWorkloads()
	k.checkDocuments()
	k.checkTypes()
	k.checkWorkloadSelectors()
	k.checkServices()
	k.checkPDBs()
	k.checkHPAs()
	k.checkProbes()
	k.checkEnv()
	k.checkListenPorts()
	k.checkRefs()
	k.checkFiles()
	k.checkImages()
	k.checkResources()
	k.checkSecurity()
	k.checkHooks()
	k.checkNetworkPolicies()
	k.checkIngresses()
	k.checkServiceMonitors()
	k.checkPrometheusRules()
	k.checkDashboards()
}

// Lookups.

func (k *Checker) find(kind, name string) *Doc {
	for _, d := range k.Docs {
		if d.Obj != nil && d.Kind == kind && d.Name == name {
			return d
		}
	}
	return nil
}

func (k *Checker) ofKind(kinds ...string) []*Doc {
	var out []*Doc
	for _, d := range k.Docs {
		if d.Obj == nil {
			continue
		}
		for _, kind := range kinds {
			if d.Kind == kind {
				out = append(out, d)
			}
		}
	}
	return out
}

func (k *Checker) collectWorkloads() {
	for _, d := range k.Docs {
		if d.Obj == nil {
			continue
		}
		w := &Workload{Doc: d, Kind: d.Kind, Name: d.Name}
		var tmpl map[string]interface{}
		switch d.Kind {
		case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet":
			w.Serving = true
			tmpl = mapAt(d.Obj, "spec", "template")
			w.Selector = mapAt(d.Obj, "spec", "selector")
		case "Job":
			tmpl = mapAt(d.Obj, "spec", "template")
			w.Selector = mapAt(d.Obj, "spec", "selector")
		case "CronJob":
			tmpl = mapAt(d.Obj, "spec", "jobTemplate", "spec", "template")
		case "Pod":
			tmpl = d.Obj
		default:
			continue
		}
		if tmpl == nil {
			k.errorf("workload", d.ID(), "has no pod template (spec.template)")
			continue
		}
		w.PodMeta = mapAt(tmpl, "metadata")
		w.PodLabels = stringMap(mapAt(tmpl, "metadata", "labels"))
		w.PodSpec = mapAt(tmpl, "spec")
		if w.PodSpec == nil {
			k.errorf("workload", d.ID(), "the pod template has no spec")
			continue
		}
		k.workloads = append(k.workloads, w)
	}
}

func (w *Workload) containers() []*Container {
	var out []*Container
	for _, part := range []string{"initContainers", "containers"} {
		for i, c := range maps(listAt(w.PodSpec, part)) {
			name, _ := c["name"].(string)
			if name == "" {
				name = fmt.Sprintf("#%d", i)
			}
			out = append(out, &Container{W: w, M: c, Name: name, Init: part == "initContainers", Binary: containerBinary(c)})
		}
	}
	return out
}

// containerBinary is the Agora binary a container runs, from its command
// (/usr/local/bin/<binary> or <binary>).
func containerBinary(c map[string]interface{}) string {
	cmd := listAt(c, "command")
	if len(cmd) == 0 {
		return ""
	}
	first, _ := cmd[0].(string)
	base := path.Base(first)
	for _, b := range Binaries {
		if base == b {
			return b
		}
	}
	return ""
}

// Label selectors.

// selectorMatches evaluates a metav1.LabelSelector (matchLabels and
// matchExpressions). An empty selector matches everything.
func selectorMatches(sel map[string]interface{}, labels map[string]string) bool {
	for key, v := range mapAt(sel, "matchLabels") {
		want := fmt.Sprint(v)
		if got, ok := labels[key]; !ok || got != want {
			return false
		}
	}
	for _, e := range maps(listAt(sel, "matchExpressions")) {
		key, _ := e["key"].(string)
		op, _ := e["operator"].(string)
		var values []string
		for _, v := range listAt(e, "values") {
			values = append(values, fmt.Sprint(v))
		}
		got, has := labels[key]
		in := false
		for _, v := range values {
			if has && v == got {
				in = true
			}
		}
		switch op {
		case "In":
			if !in {
				return false
			}
		case "NotIn":
			if in {
				return false
			}
		case "Exists":
			if !has {
				return false
			}
		case "DoesNotExist":
			if has {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func selectorEmpty(sel map[string]interface{}) bool {
	return len(mapAt(sel, "matchLabels")) == 0 && len(listAt(sel, "matchExpressions")) == 0
}

// mapSelectorMatches is a Service-style selector (a plain map).
func mapSelectorMatches(sel map[string]string, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func formatLabels(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ", ") + "}"
}

func workloadNames(ws []*Workload) string {
	var n []string
	for _, w := range ws {
		n = append(n, w.Kind+"/"+w.Name)
	}
	return strings.Join(n, ", ")
}

// Names.

var (
	dns1123Subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	dns1123Label     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dns1035Label     = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	labelValueRE     = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)
	labelNameRE      = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	ianaSvcName      = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	configKeyRE      = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
	envNameRE        = regexp.MustCompile(`^[-._a-zA-Z][-._a-zA-Z0-9]*$`)
)

func (k *Checker) checkDocuments() {
	seen := map[string]*Doc{}
	for _, d := range k.Docs {
		if d.ParseErr != nil {
			k.errorf("yaml", d.Source+fmt.Sprintf(" document %d", d.Index+1), "%v\n%s", d.ParseErr, excerpt(d.Content))
			continue
		}
		var missing []string
		if d.APIVersion == "" {
			missing = append(missing, "apiVersion")
		}
		if d.Kind == "" {
			missing = append(missing, "kind")
		}
		if d.Name == "" {
			missing = append(missing, "metadata.name")
		}
		if len(missing) > 0 {
			k.errorf("yaml", d.ID(), "missing %s", strings.Join(missing, ", "))
			continue
		}
		if d.Namespace != "" && k.Namespace != "" && d.Namespace != k.Namespace {
			k.warnf("names", d.ID(), "metadata.namespace is %q, the release namespace is %q", d.Namespace, k.Namespace)
		}
		group := d.APIVersion
		if i := strings.Index(group, "/"); i >= 0 {
			group = group[:i]
		} else {
			group = ""
		}
		key := group + "/" + d.Kind + "/" + d.Namespace + "/" + d.Name
		if prev, ok := seen[key]; ok {
			k.errorf("names", d.ID(), "duplicate of the %s in %s (same kind and name)", d.Kind, prev.Source)
		}
		seen[key] = d
		switch d.Kind {
		case "Service":
			if len(d.Name) > 63 || !dns1035Label.MatchString(d.Name) {
				k.errorf("names", d.ID(), "a Service name must be a DNS-1035 label (lowercase, starts with a letter, at most 63 characters)")
			}
		case "Deployment", "StatefulSet", "Job", "DaemonSet":
			if len(d.Name) > 63 || !dns1123Label.MatchString(d.Name) {
				k.errorf("names", d.ID(), "the name must be a DNS-1123 label of at most 63 characters (it names pods and labels)")
			}
		case "CronJob":
			if len(d.Name) > 52 || !dns1123Label.MatchString(d.Name) {
				k.errorf("names", d.ID(), "a CronJob name must be a DNS-1123 label of at most 52 characters")
			}
		default:
			if len(d.Name) > 253 || !dns1123Subdomain.MatchString(d.Name) {
				k.errorf("names", d.ID(), "the name must be a DNS-1123 subdomain")
			}
		}
	}
}

func excerpt(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 12 {
		lines = append(lines[:12], "...")
	}
	for i, l := range lines {
		lines[i] = fmt.Sprintf("    %3d | %s", i+1, l)
	}
	return strings.Join(lines, "\n")
}

// checkTypes catches values the API server rejects or silently mangles:
// non-string labels, annotations, env values and ConfigMap data, bad label
// syntax, invalid base64 in Secrets, bad container and Service ports.
func (k *Checker) checkTypes() {
	for _, d := range k.Docs {
		if d.Obj == nil {
			continue
		}
		k.checkMeta(d.ID(), "metadata", mapAt(d.Obj, "metadata"))
		switch d.Kind {
		case "ConfigMap":
			for key, v := range mapAt(d.Obj, "data") {
				if !configKeyRE.MatchString(key) {
					k.errorf("types", d.ID(), "data key %q is not a valid ConfigMap key", key)
				}
				if _, ok := v.(string); !ok {
					k.errorf("types", d.ID(), "data.%s is a %s; ConfigMap data values must be strings (quote it)", key, typeName(v))
				}
			}
			k.checkSize(d)
		case "Secret":
			for key, v := range mapAt(d.Obj, "data") {
				if !configKeyRE.MatchString(key) {
					k.errorf("types", d.ID(), "data key %q is not a valid Secret key", key)
				}
				s, ok := v.(string)
				if !ok {
					k.errorf("types", d.ID(), "data.%s is a %s, not a base64 string", key, typeName(v))
					continue
				}
				if _, err := base64.StdEncoding.DecodeString(s); err != nil {
					k.errorf("types", d.ID(), "data.%s is not valid base64 (use stringData for plain text): %v", key, err)
				}
			}
			for key, v := range mapAt(d.Obj, "stringData") {
				if !configKeyRE.MatchString(key) {
					k.errorf("types", d.ID(), "stringData key %q is not a valid Secret key", key)
				}
				if _, ok := v.(string); !ok {
					k.errorf("types", d.ID(), "stringData.%s is a %s; values must be strings", key, typeName(v))
				}
			}
		case "Service":
			ports := maps(listAt(d.Obj, "spec", "ports"))
			names := map[string]bool{}
			for i, p := range ports {
				name, _ := p["name"].(string)
				if len(ports) > 1 && name == "" {
					k.errorf("types", d.ID(), "spec.ports[%d] has no name (required when a Service has several ports)", i)
				}
				if name != "" {
					if len(name) > 63 || !dns1123Label.MatchString(name) {
						k.errorf("types", d.ID(), "port name %q is not a DNS-1123 label", name)
					}
					if names[name] {
						k.errorf("types", d.ID(), "port name %q is used twice", name)
					}
					names[name] = true
				}
				if n, ok := p["port"].(int); !ok || n < 1 || n > 65535 {
					k.errorf("types", d.ID(), "spec.ports[%d].port is %v; an integer 1-65535 is required", i, p["port"])
				}
				if tp, ok := p["targetPort"]; ok {
					switch t := tp.(type) {
					case int:
						if t < 1 || t > 65535 {
							k.errorf("types", d.ID(), "spec.ports[%d].targetPort %d is out of range", i, t)
						}
					case string:
						if _, err := strconv.Atoi(t); err == nil {
							k.errorf("types", d.ID(), "spec.ports[%d].targetPort %q is a number written as a string: Kubernetes reads it as a port NAME", i, t)
						}
					default:
						k.errorf("types", d.ID(), "spec.ports[%d].targetPort is a %s", i, typeName(tp))
					}
				}
			}
		}
	}
	for _, w := range k.workloads {
		k.checkMeta(w.Doc.ID(), "pod template metadata", w.PodMeta)
		if w.Kind == "Job" || w.Kind == "CronJob" {
			rp, _ := w.PodSpec["restartPolicy"].(string)
			if rp != "Never" && rp != "OnFailure" {
				k.errorf("types", w.Doc.ID(), "a Job's pod restartPolicy must be Never or OnFailure (is %q)", rp)
			}
		}
		volumes := map[string]bool{}
		for _, v := range maps(listAt(w.PodSpec, "volumes")) {
			n, _ := v["name"].(string)
			if volumes[n] {
				k.errorf("types", w.Doc.ID(), "volume %q is declared twice", n)
			}
			volumes[n] = true
		}
		portNames := map[string]string{}
		containerNames := map[string]bool{}
		for _, c := range w.containers() {
			if containerNames[c.Name] {
				k.errorf("types", c.Where(), "two containers have this name")
			}
			containerNames[c.Name] = true
			for i, p := range maps(listAt(c.M, "ports")) {
				n, ok := p["containerPort"].(int)
				if !ok || n < 1 || n > 65535 {
					k.errorf("types", c.Where(), "ports[%d].containerPort is %v; an integer 1-65535 is required", i, p["containerPort"])
				}
				if name, ok := p["name"].(string); ok {
					if len(name) > 15 || !ianaSvcName.MatchString(name) || !strings.ContainsAny(name, "abcdefghijklmnopqrstuvwxyz") || strings.Contains(name, "--") {
						k.errorf("types", c.Where(), "port name %q is not a valid IANA service name (at most 15 characters, lowercase letters, digits and -)", name)
					}
					if other, dup := portNames[name]; dup {
						k.errorf("types", c.Where(), "port name %q is also declared by container %q of the pod", name, other)
					}
					portNames[name] = c.Name
				}
			}
			envSeen := map[string]bool{}
			for i, e := range maps(listAt(c.M, "env")) {
				name, _ := e["name"].(string)
				if !envNameRE.MatchString(name) {
					k.errorf("types", c.Where(), "env[%d].name %q is not a valid variable name", i, name)
				}
				if envSeen[name] {
					k.errorf("types", c.Where(), "env %s is set twice (the last one wins)", name)
				}
				envSeen[name] = true
				if v, ok := e["value"]; ok {
					if _, isStr := v.(string); !isStr && v != nil {
						k.errorf("types", c.Where(), "env %s has a %s value (%v); env values must be strings (quote it)", name, typeName(v), v)
					}
				}
			}
			mounts := map[string]bool{}
			for _, m := range maps(listAt(c.M, "volumeMounts")) {
				n, _ := m["name"].(string)
				mp, _ := m["mountPath"].(string)
				if !volumes[n] {
					k.errorf("types", c.Where(), "volumeMount %q names no volume of the pod", n)
				}
				if mounts[mp] {
					k.errorf("types", c.Where(), "two volumeMounts at %s", mp)
				}
				mounts[mp] = true
			}
		}
	}
}

func (k *Checker) checkMeta(where, what string, md map[string]interface{}) {
	for key, v := range mapAt(md, "labels") {
		s, ok := v.(string)
		if !ok {
			k.errorf("types", where, "%s label %s is a %s (%v); label values must be strings (quote it)", what, key, typeName(v), v)
			continue
		}
		if len(s) > 63 || !labelValueRE.MatchString(s) {
			k.errorf("types", where, "%s label %s=%q is not a valid label value (at most 63 characters: letters, digits, -_.)", what, key, s)
		}
		if !validQualifiedName(key) {
			k.errorf("types", where, "%s label key %q is not a valid qualified name", what, key)
		}
	}
	for key, v := range mapAt(md, "annotations") {
		if _, ok := v.(string); !ok {
			k.errorf("types", where, "%s annotation %s is a %s (%v); annotation values must be strings (quote it)", what, key, typeName(v), v)
		}
		if !validQualifiedName(key) {
			k.errorf("types", where, "%s annotation key %q is not a valid qualified name", what, key)
		}
	}
}

func validQualifiedName(key string) bool {
	name := key
	if i := strings.LastIndex(key, "/"); i >= 0 {
		prefix := key[:i]
		name = key[i+1:]
		if len(prefix) > 253 || !dns1123Subdomain.MatchString(prefix) {
			return false
		}
	}
	return len(name) <= 63 && labelNameRE.MatchString(name)
}

// checkSize: a ConfigMap holds at most 1 MiB; kubectl apply (client side)
// stores a copy in an annotation limited to 256 KiB.
func (k *Checker) checkSize(d *Doc) {
	total := 0
	for key, v := range mapAt(d.Obj, "data") {
		if s, ok := v.(string); ok {
			total += len(key) + len(s)
		}
	}
	switch {
	case total > 1<<20:
		k.errorf("types", d.ID(), "data holds %d bytes; a ConfigMap holds at most 1 MiB", total)
	case total > 256<<10:
		k.warnf("types", d.ID(), "data holds %d bytes: too large for `kubectl apply` (256 KiB annotation); Helm itself is fine", total)
	}
}

// checkWorkloadSelectors: each workload's selector matches its own pods.
func (k *Checker) checkWorkloadSelectors() {
	for _, w := range k.workloads {
		switch w.Kind {
		case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet":
			if w.Selector == nil || selectorEmpty(w.Selector) {
				k.errorf("selectors", w.Doc.ID(), "spec.selector is missing or empty (required by apps/v1)")
				continue
			}
		case "Job":
			if w.Selector == nil {
				continue // generated by the API server
			}
		default:
			continue
		}
		if !selectorMatches(w.Selector, w.PodLabels) {
			k.errorf("selectors", w.Doc.ID(), "spec.selector %s does not match the pod template labels %s",
				formatLabels(stringMap(mapAt(w.Selector, "matchLabels"))), formatLabels(w.PodLabels))
		}
	}
}

// servicePods are the workloads whose pods a Service selector matches.
func (k *Checker) servicePods(svc *Doc) (serving, other []*Workload) {
	sel := stringMap(mapAt(svc.Obj, "spec", "selector"))
	if len(sel) == 0 {
		return nil, nil
	}
	for _, w := range k.workloads {
		if mapSelectorMatches(sel, w.PodLabels) {
			if w.Serving {
				serving = append(serving, w)
			} else {
				other = append(other, w)
			}
		}
	}
	return
}

func (k *Checker) checkServices() {
	for _, svc := range k.ofKind("Service") {
		sel := stringMap(mapAt(svc.Obj, "spec", "selector"))
		if len(sel) == 0 {
			if strAt(svc.Obj, "spec", "type") != "ExternalName" {
				k.warnf("selectors", svc.ID(), "has no selector (its endpoints must be managed by hand)")
			}
			continue
		}
		serving, other := k.servicePods(svc)
		if len(serving) == 0 {
			k.errorf("selectors", svc.ID(), "selector %s matches the pods of no Deployment/StatefulSet/DaemonSet in the chart", formatLabels(sel))
			continue
		}
		if len(serving) > 1 {
			k.errorf("selectors", svc.ID(), "selector %s matches the pods of several workloads (%s): traffic would be spread over all of them", formatLabels(sel), workloadNames(serving))
		}
		if len(other) > 0 {
			k.errorf("selectors", svc.ID(), "selector %s also matches the pods of %s, which would receive the Service's traffic", formatLabels(sel), workloadNames(other))
		}
		for i, p := range maps(listAt(svc.Obj, "spec", "ports")) {
			tp, ok := p["targetPort"]
			if !ok {
				tp = p["port"]
			}
			proto, _ := p["protocol"].(string)
			for _, w := range serving {
				if !podDeclaresPort(w, tp, proto) {
					k.errorf("ports", svc.ID(), "spec.ports[%d] (%v) targets port %v, which no container of %s declares", i, p["name"], tp, w.Kind+"/"+w.Name)
				}
			}
		}
	}
}

// podDeclaresPort reports whether a container of the pod declares a port
// (a number, or a name) with the protocol (default TCP).
func podDeclaresPort(w *Workload, port interface{}, proto string) bool {
	for _, c := range w.containers() {
		if c.Init {
			continue
		}
		if containerDeclaresPort(c.M, port, proto) {
			return true
		}
	}
	return false
}

func containerDeclaresPort(c map[string]interface{}, port interface{}, proto string) bool {
	if proto == "" {
		proto = "TCP"
	}
	for _, p := range maps(listAt(c, "ports")) {
		pp, _ := p["protocol"].(string)
		if pp == "" {
			pp = "TCP"
		}
		if pp != proto {
			continue
		}
		switch x := port.(type) {
		case int:
			if n, ok := p["containerPort"].(int); ok && n == x {
				return true
			}
		case string:
			if n, ok := p["name"].(string); ok && n == x {
				return true
			}
		}
	}
	return false
}

// resolvePort turns a port (number or name) into a number using the
// container's declared ports; 0 when a name is not declared.
func resolvePort(w *Workload, port interface{}) int {
	switch x := port.(type) {
	case int:
		return x
	case string:
		for _, c := range w.containers() {
			for _, p := range maps(listAt(c.M, "ports")) {
				if n, _ := p["name"].(string); n == x {
					v, _ := p["containerPort"].(int)
					return v
				}
			}
		}
	}
	return 0
}

func (k *Checker) checkPDBs() {
	for _, pdb := range k.ofKind("PodDisruptionBudget") {
		sel := mapAt(pdb.Obj, "spec", "selector")
		_, hasMin := valueAt(pdb.Obj, "spec", "minAvailable")
		_, hasMax := valueAt(pdb.Obj, "spec", "maxUnavailable")
		if hasMin == hasMax {
			k.errorf("selectors", pdb.ID(), "exactly one of spec.minAvailable and spec.maxUnavailable must be set")
		}
		if sel == nil {
			k.errorf("selectors", pdb.ID(), "has no spec.selector")
			continue
		}
		var matched []*Workload
		for _, w := range k.workloads {
			if w.Serving && selectorMatches(sel, w.PodLabels) {
				matched = append(matched, w)
			}
		}
		if len(matched) == 0 {
			k.errorf("selectors", pdb.ID(), "selector %s matches the pods of no Deployment/StatefulSet in the chart", formatLabels(stringMap(mapAt(sel, "matchLabels"))))
			continue
		}
		if len(matched) > 1 {
			k.warnf("selectors", pdb.ID(), "selector matches the pods of several workloads (%s)", workloadNames(matched))
		}
		if min, ok := valueAt(pdb.Obj, "spec", "minAvailable"); ok {
			if n, isInt := min.(int); isInt {
				for _, w := range matched {
					replicas := k.minReplicas(w)
					if n >= replicas {
						k.warnf("selectors", pdb.ID(), "minAvailable %d with %d replica(s) of %s: no pod can ever be evicted, node drains block", n, replicas, w.Kind+"/"+w.Name)
					}
				}
			}
		}
		if max, ok := valueAt(pdb.Obj, "spec", "maxUnavailable"); ok {
			if n, isInt := max.(int); isInt && n == 0 {
				k.warnf("selectors", pdb.ID(), "maxUnavailable 0: node drains block")
			}
		}
	}
}

// minReplicas is the replica count a workload runs with at least: its
// HPA's minReplicas, else spec.replicas (default 1).
func (k *Checker) minReplicas(w *Workload) int {
	for _, h := range k.ofKind("HorizontalPodAutoscaler") {
		if strAt(h.Obj, "spec", "scaleTargetRef", "kind") == w.Kind && strAt(h.Obj, "spec", "scaleTargetRef", "name") == w.Name {
			if n, ok := mapAt(h.Obj, "spec")["minReplicas"].(int); ok {
				return n
			}
			return 1
		}
	}
	if n, ok := mapAt(w.Doc.Obj, "spec")["replicas"].(int); ok {
		return n
	}
	return 1
}

func (k *Checker) checkHPAs() {
	for _, h := range k.ofKind("HorizontalPodAutoscaler") {
		ref := mapAt(h.Obj, "spec", "scaleTargetRef")
		kind, _ := ref["kind"].(string)
		name, _ := ref["name"].(string)
		target := k.find(kind, name)
		if target == nil {
			k.errorf("selectors", h.ID(), "scaleTargetRef %s/%s is not in the chart", kind, name)
			continue
		}
		if av, _ := ref["apiVersion"].(string); av != "" && av != target.APIVersion {
			k.errorf("selectors", h.ID(), "scaleTargetRef apiVersion %s, the target is %s", av, target.APIVersion)
		}
		spec := mapAt(h.Obj, "spec")
		min, hasMin := spec["minReplicas"].(int)
		max, hasMax := spec["maxReplicas"].(int)
		if !hasMax {
			k.errorf("selectors", h.ID(), "spec.maxReplicas is missing or not an integer")
		}
		if hasMin && hasMax && min > max {
			k.errorf("selectors", h.ID(), "minReplicas %d > maxReplicas %d", min, max)
		}
		if _, set := mapAt(target.Obj, "spec")["replicas"]; set {
			k.warnf("selectors", h.ID(), "%s sets spec.replicas although this HPA scales it: every helm upgrade resets the replica count", target.Kind+"/"+target.Name)
		}
		if h.APIVersion == "autoscaling/v2" {
			for _, m := range maps(listAt(spec, "metrics")) {
				if t, _ := m["type"].(string); t == "Resource" {
					res := strAt(m, "resource", "name")
					for _, w := range k.workloads {
						if w.Doc != target {
							continue
						}
						for _, c := range w.containers() {
							if c.Init {
								continue
							}
							if _, ok := mapAt(c.M, "resources", "requests")[res]; !ok {
								k.errorf("resources", h.ID(), "scales on %s utilisation but container %q of %s requests no %s", res, c.Name, name, res)
							}
						}
					}
				}
			}
		}
	}
}

// Probes.

func (k *Checker) checkProbes() {
	for _, w := range k.workloads {
		for _, c := range w.containers() {
			for _, probe := range []string{"livenessProbe", "readinessProbe", "startupProbe"} {
				p := mapAt(c.M, probe)
				if p == nil {
					if w.Serving && !c.Init && probe != "startupProbe" {
						k.errorf("probes", c.Where(), "has no %s", probe)
					}
					continue
				}
				if c.Init {
					k.errorf("probes", c.Where(), "init containers may not have a %s", probe)
				}
				handlers := 0
				if g := mapAt(p, "grpc"); g != nil {
					handlers++
					port, ok := g["port"].(int)
					if !ok {
						k.errorf("probes", c.Where(), "%s.grpc.port is %v: gRPC probes take a port NUMBER (names are not allowed)", probe, g["port"])
					} else if !containerDeclaresPort(c.M, port, "TCP") {
						k.errorf("probes", c.Where(), "%s.grpc.port %d is not declared in the container's ports", probe, port)
					}
					if c.Binary == "gateway" {
						k.errorf("probes", c.Where(), "%s uses gRPC, but the gateway serves HTTP only", probe)
					}
				}
				if hg := mapAt(p, "httpGet"); hg != nil {
					handlers++
					k.checkProbePort(c, probe+".httpGet", hg["port"])
					if c.Binary != "" && c.Binary != "gateway" {
						k.errorf("probes", c.Where(), "%s uses httpGet, but %s serves gRPC (use a grpc probe)", probe, c.Binary)
					}
					if c.Binary == "gateway" && probe == "readinessProbe" && strings.HasPrefix(strAt(hg, "path"), "/readyz") {
						k.errorf("probes", c.Where(), "readinessProbe uses /readyz, which fails while ANY backend is down: one backend outage would take every gateway pod out of the Service (use /healthz)")
					}
				}
				if ts := mapAt(p, "tcpSocket"); ts != nil {
					handlers++
					k.checkProbePort(c, probe+".tcpSocket", ts["port"])
				}
				if mapAt(p, "exec") != nil {
					handlers++
				}
				if handlers != 1 {
					k.errorf("probes", c.Where(), "%s must have exactly one handler (grpc, httpGet, tcpSocket or exec), has %d", probe, handlers)
				}
				if probe == "livenessProbe" || probe == "startupProbe" {
					if st, ok := p["successThreshold"].(int); ok && st != 1 {
						k.errorf("probes", c.Where(), "%s.successThreshold must be 1", probe)
					}
				}
			}
		}
	}
}

func (k *Checker) checkProbePort(c *Container, what string, port interface{}) {
	switch x := port.(type) {
	case int:
		if !containerDeclaresPort(c.M, x, "TCP") {
			k.errorf("probes", c.Where(), "%s.port %d is not declared in the container's ports", what, x)
		}
	case string:
		if _, err := strconv.Atoi(x); err == nil {
			k.errorf("probes", c.Where(), "%s.port %q is a number written as a string: Kubernetes reads it as a port name", what, x)
		} else if !containerDeclaresPort(c.M, x, "TCP") {
			k.errorf("probes", c.Where(), "%s.port %q names no port of the container", what, x)
		}
	default:
		k.errorf("probes", c.Where(), "%s.port is missing or a %s", what, typeName(port))
	}
}

// Images.

var digestRE = regexp.MustCompile(`@sha256:[a-f0-9]{64}$`)

func (k *Checker) checkImages() {
	for _, w := range k.workloads {
		for _, c := range w.containers() {
			image, _ := c.M["image"].(string)
			if msg := imageProblem(image); msg != "" {
				k.errorf("images", c.Where(), "%s", msg)
			}
		}
	}
}

func imageProblem(image string) string {
	if strings.TrimSpace(image) == "" {
		return "has no image"
	}
	if image != strings.TrimSpace(image) || strings.ContainsAny(image, " \t") {
		return fmt.Sprintf("image %q contains whitespace", image)
	}
	if strings.Contains(image, "@") {
		if !digestRE.MatchString(image) {
			return fmt.Sprintf("image %q has a malformed digest (want @sha256:<64 hex>)", image)
		}
		return ""
	}
	name := image
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	i := strings.LastIndex(name, ":")
	if i < 0 {
		return fmt.Sprintf("image %q is not pinned: no tag (means :latest) and no digest", image)
	}
	tag := name[i+1:]
	switch tag {
	case "":
		return fmt.Sprintf("image %q has an empty tag", image)
	case "latest":
		return fmt.Sprintf("image %q is not pinned: :latest", image)
	}
	return ""
}

// Resources.

func (k *Checker) checkResources() {
	for _, w := range k.workloads {
		for _, c := range w.containers() {
			res := mapAt(c.M, "resources")
			for _, kind := range []string{"requests", "limits"} {
				for _, r := range []string{"cpu", "memory"} {
					v, ok := mapAt(res, kind)[r]
					if !ok || v == nil {
						k.errorf("resources", c.Where(), "has no resources.%s.%s", kind, r)
						continue
					}
					if _, err := parseQuantity(v); err != nil {
						k.errorf("resources", c.Where(), "resources.%s.%s: %v", kind, r, err)
					}
				}
			}
			for r, req := range mapAt(res, "requests") {
				lim, ok := mapAt(res, "limits")[r]
				if !ok {
					continue
				}
				rq, err1 := parseQuantity(req)
				lq, err2 := parseQuantity(lim)
				if err1 == nil && err2 == nil && rq.Cmp(lq) > 0 {
					k.errorf("resources", c.Where(), "resources.requests.%s (%v) exceeds the limit (%v)", r, req, lim)
				}
			}
		}
	}
}

// Security contexts.

func (k *Checker) checkSecurity() {
	for _, w := range k.workloads {
		pod := mapAt(w.PodSpec, "securityContext")
		if b, _ := w.PodSpec["hostNetwork"].(bool); b {
			k.errorf("security", w.Doc.ID(), "uses hostNetwork")
		}
		for _, c := range w.containers() {
			sc := mapAt(c.M, "securityContext")
			nonRoot, set := sc["runAsNonRoot"].(bool)
			if !set {
				nonRoot, set = pod["runAsNonRoot"].(bool)
			}
			if !set || !nonRoot {
				k.errorf("security", c.Where(), "runAsNonRoot is not true (neither in the container's nor in the pod's securityContext)")
			}
			uid, uidSet := sc["runAsUser"].(int)
			if !uidSet {
				uid, uidSet = pod["runAsUser"].(int)
			}
			if uidSet && uid == 0 {
				k.errorf("security", c.Where(), "runAsUser is 0 (root)")
			}
			if b, _ := sc["readOnlyRootFilesystem"].(bool); !b {
				k.errorf("security", c.Where(), "securityContext.readOnlyRootFilesystem is not true")
			}
			if b, ok := sc["allowPrivilegeEscalation"].(bool); !ok || b {
				k.errorf("security", c.Where(), "securityContext.allowPrivilegeEscalation is not false")
			}
			if b, _ := sc["privileged"].(bool); b {
				k.errorf("security", c.Where(), "is privileged")
			}
			dropAll := false
			for _, d := range listAt(sc, "capabilities", "drop") {
				if s, _ := d.(string); s == "ALL" || s == "all" {
					dropAll = true
				}
			}
			if !dropAll {
				k.warnf("security", c.Where(), "capabilities.drop does not include ALL (required by the restricted Pod Security Standard)")
			}
			seccomp := strAt(sc, "seccompProfile", "type")
			if seccomp == "" {
				seccomp = strAt(pod, "seccompProfile", "type")
			}
			if seccomp != "RuntimeDefault" && seccomp != "Localhost" {
				k.warnf("security", c.Where(), "no seccompProfile RuntimeDefault (required by the restricted Pod Security Standard)")
			}
		}
	}
}

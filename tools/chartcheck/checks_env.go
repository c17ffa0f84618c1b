package main

// Environment, command line, listen ports and references to ConfigMaps,
// Secrets and ServiceAccounts.

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// EnvEntry is one variable of a container's environment after Kubernetes
// applies envFrom (in order) and then env.
type EnvEntry struct {
	Name   string
	Value  string
	Known  bool   // the value is known (a literal or a rendered ConfigMap key)
	Secret bool   // from a Secret (value not printed)
	Source string // "env", "ConfigMap x", "Secret x key k", "fieldRef ..."
}

// dataKeys returns a rendered ConfigMap's or Secret's keys and values.
func (k *Checker) dataKeys(kind, name string) (map[string]string, bool) {
	d := k.find(kind, name)
	if d == nil {
		return nil, false
	}
	out := map[string]string{}
	for key, v := range mapAt(d.Obj, "data") {
		s, _ := v.(string)
		if kind == "Secret" {
			b, err := base64.StdEncoding.DecodeString(s)
			if err == nil {
				s = string(b)
			}
		}
		out[key] = s
	}
	for key, v := range mapAt(d.Obj, "stringData") {
		s, _ := v.(string)
		out[key] = s
	}
	for key := range mapAt(d.Obj, "binaryData") {
		out[key] = ""
	}
	return out, true
}

// effectiveEnv resolves a container's environment. Problems (a reference
// to a key a rendered object lacks) are reported by checkRefs.
func (k *Checker) effectiveEnv(c *Container) []EnvEntry {
	byName := map[string]int{}
	var out []EnvEntry
	put := func(e EnvEntry) {
		if i, ok := byName[e.Name]; ok {
			out[i] = e
			return
		}
		byName[e.Name] = len(out)
		out = append(out, e)
	}
	for _, ef := range maps(listAt(c.M, "envFrom")) {
		prefix, _ := ef["prefix"].(string)
		for _, kind := range []string{"ConfigMap", "Secret"} {
			ref := mapAt(ef, strings.ToLower(kind[:1])+kind[1:]+"Ref")
			if ref == nil {
				continue
			}
			name, _ := ref["name"].(string)
			data, ok := k.dataKeys(kind, name)
			if !ok {
				continue
			}
			keys := make([]string, 0, len(data))
			for key := range data {
				keys = append(keys, key)
			}
			sort.Strings(keys)
			for _, key := range keys {
				put(EnvEntry{Name: prefix + key, Value: data[key], Known: true, Secret: kind == "Secret", Source: kind + " " + name})
			}
		}
	}
	for _, e := range maps(listAt(c.M, "env")) {
		name, _ := e["name"].(string)
		entry := EnvEntry{Name: name, Source: "env"}
		if v, ok := e["value"]; ok {
			entry.Value = fmt.Sprint(v)
			if v == nil {
				entry.Value = ""
			}
			entry.Known = true
		} else if vf := mapAt(e, "valueFrom"); vf != nil {
			switch {
			case mapAt(vf, "configMapKeyRef") != nil:
				r := mapAt(vf, "configMapKeyRef")
				n, key := strAt(r, "name"), strAt(r, "key")
				entry.Source = "ConfigMap " + n + " key " + key
				if data, ok := k.dataKeys("ConfigMap", n); ok {
					entry.Value, entry.Known = data[key]
				}
			case mapAt(vf, "secretKeyRef") != nil:
				r := mapAt(vf, "secretKeyRef")
				n, key := strAt(r, "name"), strAt(r, "key")
				entry.Source = "Secret " + n + " key " + key
				entry.Secret = true
				if data, ok := k.dataKeys("Secret", n); ok {
					entry.Value, entry.Known = data[key]
				}
			case mapAt(vf, "fieldRef") != nil:
				entry.Source = "fieldRef " + strAt(vf, "fieldRef", "fieldPath")
			case mapAt(vf, "resourceFieldRef") != nil:
				entry.Source = "resourceFieldRef " + strAt(vf, "resourceFieldRef", "resource")
			}
		}
		put(entry)
	}
	return out
}

var depVarRE = regexp.MustCompile(`\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)`)

// referencedVars are the $(NAME) references in env values, command and args
// (Kubernetes expands them), so helper variables such as POD_IP are used.
func referencedVars(c map[string]interface{}) map[string]bool {
	refs := map[string]bool{}
	add := func(s string) {
		for _, m := range depVarRE.FindAllStringSubmatch(s, -1) {
			refs[m[1]] = true
		}
	}
	for _, e := range maps(listAt(c, "env")) {
		if v, ok := e["value"].(string); ok {
			add(v)
		}
	}
	for _, part := range []string{"command", "args"} {
		for _, a := range listAt(c, part) {
			if s, ok := a.(string); ok {
				add(s)
			}
		}
	}
	return refs
}

// flagToVariable is runtime/config's FlagToVariable.
func flagToVariable(flag string) string {
	if strings.HasPrefix(flag, "AGORA_") {
		return flag
	}
	return "AGORA_" + strings.ToUpper(strings.Replace(flag, "-", "_", -1))
}

// commandFlags are the arguments after the binary: --name=value pairs.
func commandArgs(c map[string]interface{}) []string {
	var out []string
	cmd := listAt(c, "command")
	for i, a := range cmd {
		if i == 0 {
			continue
		}
		out = append(out, fmt.Sprint(a))
	}
	for _, a := range listAt(c, "args") {
		out = append(out, fmt.Sprint(a))
	}
	return out
}

func (k *Checker) allowedFor(c *Container) (map[string]bool, string) {
	if c.Binary != "" {
		if s, ok := k.Env.PerBinary[c.Binary]; ok {
			return s, c.Binary
		}
	}
	return k.Env.All, "any Agora binary"
}

func (k *Checker) checkEnv() {
	if k.Env == nil {
		k.warnf("env", "", "no --repo given: the environment variables were not checked against the config code")
		return
	}
	for _, w := range k.workloads {
		for _, c := range w.containers() {
			allowed, who := k.allowedFor(c)
			if c.Binary == "" {
				k.warnf("env", c.Where(), "its command does not name an Agora binary (/usr/local/bin/<binary>): its variables were checked against every binary's")
			}
			refs := referencedVars(c.M)
			for _, e := range k.effectiveEnv(c) {
				if allowed[e.Name] {
					if p, ok := k.Env.Precise[c.Binary]; ok && !p[e.Name] {
						k.warnf("env", c.Where(), "%s (from %s): %s does not call the runtime code that reads it", e.Name, e.Source, c.Binary)
					}
					if spec, ok := k.Env.Specs[e.Name]; ok && e.Known && !e.Secret {
						if msg := spec.checkValue(e.Value); msg != "" {
							k.errorf("env", c.Where(), "%s=%q (from %s) %s: the binary refuses to start", e.Name, e.Value, e.Source, msg)
						}
					}
					continue
				}
				if !strings.HasPrefix(e.Name, "AGORA_") && refs[e.Name] {
					continue // a helper used as $(NAME)
				}
				if k.Env.All[e.Name] {
					k.errorf("env", c.Where(), "%s (from %s) is not read by %s (other binaries read it)", e.Name, e.Source, who)
				} else {
					k.errorf("env", c.Where(), "%s (from %s) is read by no Agora binary (not in the config code)", e.Name, e.Source)
				}
			}
			// Secret values cannot be checked by type, but a required one must exist.
			if c.Binary == "" {
				continue
			}
			for _, a := range commandArgs(c.M) {
				if a == "--help" || a == "-h" {
					k.errorf("env", c.Where(), "argument %s makes the binary print its usage and exit", a)
					continue
				}
				if !strings.HasPrefix(a, "--") {
					k.errorf("env", c.Where(), "argument %q: the binary accepts only --name=value flags and exits 2", a)
					continue
				}
				eq := strings.Index(a, "=")
				if eq < 0 {
					k.errorf("env", c.Where(), "flag %q has no value: the binary wants --name=value (e.g. %s=true) and exits 2", a, a)
					continue
				}
				name := flagToVariable(a[2:eq])
				if !allowed[name] {
					k.errorf("env", c.Where(), "flag %s (%s) is not read by %s: the binary exits 2 on unknown flags", a[:eq], name, who)
					continue
				}
				if spec, ok := k.Env.Specs[name]; ok {
					if msg := spec.checkValue(a[eq+1:]); msg != "" {
						k.errorf("env", c.Where(), "flag %s %s: the binary refuses to start", a, msg)
					}
				}
			}
		}
	}
}

// configValue is the value a binary sees for a variable: a flag wins over
// the environment. ok is false when it is set but unknown here (a Secret or
// an object outside the chart); set is false when it is not set at all.
func (k *Checker) configValue(c *Container, name string) (value string, set, ok bool) {
	for _, a := range commandArgs(c.M) {
		if eq := strings.Index(a, "="); strings.HasPrefix(a, "--") && eq > 0 && flagToVariable(a[2:eq]) == name {
			value, set, ok = a[eq+1:], true, true
		}
	}
	if set {
		return
	}
	for _, e := range k.effectiveEnv(c) {
		if e.Name == name {
			return e.Value, true, e.Known
		}
	}
	return "", false, true
}

// checkListenPorts: the ports a container declares are the ports its
// binary listens on (from its config: AGORA_GRPC_ADDRESS, AGORA_METRICS_PORT,
// AGORA_HTTP_PORT, or the defaults in the code), and vice versa.
func (k *Checker) checkListenPorts() {
	if k.Env == nil {
		return
	}
	for _, w := range k.workloads {
		if !w.Serving {
			continue
		}
		for _, c := range w.containers() {
			if c.Init || c.Binary == "" {
				continue
			}
			defaults, ok := k.Env.Listen[c.Binary]
			if !ok {
				continue
			}
			if v, set, _ := k.configValue(c, "AGORA_MIGRATE_ONLY"); set && (v == "true" || v == "1") {
				k.errorf("ports", c.Where(), "a Deployment container runs with AGORA_MIGRATE_ONLY=%s: it exits after the migrations and restarts forever", v)
				continue
			}
			listen := map[int]string{}
			complete := true
			for name, def := range defaults {
				v, set, known := k.configValue(c, name)
				port := def
				if set {
					if !known {
						complete = false
						continue
					}
					p, err := portOf(name, v)
					if err != nil {
						k.errorf("ports", c.Where(), "%s=%q: %v", name, v, err)
						complete = false
						continue
					}
					port = p
				}
				if port == 0 {
					k.errorf("ports", c.Where(), "%s makes %s listen on a random port: probes and Services cannot reach it", name, c.Binary)
					continue
				}
				listen[port] = name
				if !containerDeclaresPort(c.M, port, "TCP") {
					how := "default"
					if set {
						how = "set"
					}
					k.errorf("ports", c.Where(), "%s listens on %d (%s %s) but the container does not declare containerPort %d", c.Binary, port, name, how, port)
				}
			}
			if !complete {
				continue
			}
			for _, p := range maps(listAt(c.M, "ports")) {
				n, _ := p["containerPort"].(int)
				if _, ok := listen[n]; !ok && n != 0 {
					var l []string
					for port, name := range listen {
						l = append(l, fmt.Sprintf("%d (%s)", port, name))
					}
					sort.Strings(l)
					k.errorf("ports", c.Where(), "declares containerPort %d (%v) but %s listens only on %s", n, p["name"], c.Binary, strings.Join(l, ", "))
				}
			}
		}
	}
}

func portOf(name, v string) (int, error) {
	s := v
	if strings.HasSuffix(name, "_ADDRESS") {
		i := strings.LastIndex(v, ":")
		if i < 0 {
			return 0, fmt.Errorf("not host:port")
		}
		s = v[i+1:]
	}
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || fmt.Sprint(n) != s || n < 0 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port", s)
	}
	return n, nil
}

// podRefs lists the objects a pod spec uses: kind -> name -> what uses it.
type podRef struct {
	Kind, Name, Key, What string
	Optional              bool
}

func podRefs(w *Workload) []podRef {
	var refs []podRef
	if sa, _ := w.PodSpec["serviceAccountName"].(string); sa != "" {
		refs = append(refs, podRef{Kind: "ServiceAccount", Name: sa, What: "serviceAccountName"})
	}
	for _, ps := range maps(listAt(w.PodSpec, "imagePullSecrets")) {
		refs = append(refs, podRef{Kind: "Secret", Name: strAt(ps, "name"), What: "imagePullSecrets"})
	}
	for _, v := range maps(listAt(w.PodSpec, "volumes")) {
		vn := strAt(v, "name")
		if cm := mapAt(v, "configMap"); cm != nil {
			opt, _ := cm["optional"].(bool)
			refs = append(refs, volumeItemRefs("ConfigMap", strAt(cm, "name"), cm, "volume "+vn, opt)...)
		}
		if s := mapAt(v, "secret"); s != nil {
			opt, _ := s["optional"].(bool)
			refs = append(refs, volumeItemRefs("Secret", strAt(s, "secretName"), s, "volume "+vn, opt)...)
		}
		for _, src := range maps(listAt(v, "projected", "sources")) {
			if cm := mapAt(src, "configMap"); cm != nil {
				opt, _ := cm["optional"].(bool)
				refs = append(refs, volumeItemRefs("ConfigMap", strAt(cm, "name"), cm, "volume "+vn, opt)...)
			}
			if s := mapAt(src, "secret"); s != nil {
				opt, _ := s["optional"].(bool)
				refs = append(refs, volumeItemRefs("Secret", strAt(s, "name"), s, "volume "+vn, opt)...)
			}
		}
	}
	for _, c := range w.containers() {
		for _, ef := range maps(listAt(c.M, "envFrom")) {
			if r := mapAt(ef, "configMapRef"); r != nil {
				opt, _ := r["optional"].(bool)
				refs = append(refs, podRef{Kind: "ConfigMap", Name: strAt(r, "name"), What: "envFrom of " + c.Name, Optional: opt})
			}
			if r := mapAt(ef, "secretRef"); r != nil {
				opt, _ := r["optional"].(bool)
				refs = append(refs, podRef{Kind: "Secret", Name: strAt(r, "name"), What: "envFrom of " + c.Name, Optional: opt})
			}
		}
		for _, e := range maps(listAt(c.M, "env")) {
			if r := mapAt(e, "valueFrom", "configMapKeyRef"); r != nil {
				opt, _ := r["optional"].(bool)
				refs = append(refs, podRef{Kind: "ConfigMap", Name: strAt(r, "name"), Key: strAt(r, "key"), What: "env " + strAt(e, "name") + " of " + c.Name, Optional: opt})
			}
			if r := mapAt(e, "valueFrom", "secretKeyRef"); r != nil {
				opt, _ := r["optional"].(bool)
				refs = append(refs, podRef{Kind: "Secret", Name: strAt(r, "name"), Key: strAt(r, "key"), What: "env " + strAt(e, "name") + " of " + c.Name, Optional: opt})
			}
		}
	}
	return refs
}

func volumeItemRefs(kind, name string, src map[string]interface{}, what string, opt bool) []podRef {
	items := maps(listAt(src, "items"))
	if len(items) == 0 {
		return []podRef{{Kind: kind, Name: name, What: what, Optional: opt}}
	}
	var out []podRef
	for _, it := range items {
		out = append(out, podRef{Kind: kind, Name: name, Key: strAt(it, "key"), What: what, Optional: opt})
	}
	return out
}

// checkRefs: every ConfigMap, Secret and ServiceAccount a pod uses is in the
// chart (else it must exist beforehand: a warning), with the keys it reads.
func (k *Checker) checkRefs() {
	warned := map[string]bool{}
	for _, w := range k.workloads {
		for _, r := range podRefs(w) {
			if r.Name == "" {
				k.errorf("refs", w.Doc.ID(), "%s names no %s", r.What, r.Kind)
				continue
			}
			d := k.find(r.Kind, r.Name)
			if d == nil {
				key := w.Doc.ID() + r.Kind + r.Name
				if !r.Optional && !warned[key] {
					warned[key] = true
					k.warnf("refs", w.Doc.ID(), "%s uses %s %q, which the chart does not create: it must exist before the install", r.What, r.Kind, r.Name)
				}
				continue
			}
			if r.Key != "" {
				data, _ := k.dataKeys(r.Kind, r.Name)
				if _, ok := data[r.Key]; !ok && !r.Optional {
					k.errorf("refs", w.Doc.ID(), "%s reads key %q of %s %s, which has no such key (has: %s)", r.What, r.Key, r.Kind, r.Name, strings.Join(keysOf(data), ", "))
				}
			}
		}
	}
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkHooks: a pre-install hook runs before Helm creates the chart's
// ordinary resources, so it cannot use them on a first install.
func (k *Checker) checkHooks() {
	for _, w := range k.workloads {
		d := w.Doc
		if !d.HasHook("pre-install") {
			continue
		}
		for _, r := range podRefs(w) {
			ref := k.find(r.Kind, r.Name)
			if ref == nil {
				continue
			}
			if !ref.IsHook() {
				k.errorf("hooks", d.ID(), "is a pre-install hook but its %s uses %s %s, which Helm creates only AFTER the pre-install hooks: the first install fails (make it a hook with a lower weight, or make the Job a post-install hook)", r.What, r.Kind, r.Name)
				continue
			}
			if !ref.HasHook("pre-install") {
				k.errorf("hooks", d.ID(), "is a pre-install hook but uses %s %s, a hook on %v only", r.Kind, r.Name, ref.Hooks)
			} else if ref.HookWeight > d.HookWeight {
				k.errorf("hooks", d.ID(), "(weight %d) uses %s %s, a hook of higher weight %d created after it", d.HookWeight, r.Kind, r.Name, ref.HookWeight)
			}
		}
	}
}

// checkFiles: a variable that names a file (AGORA_*_FILE) points into a
// volume mount that provides that file (the root filesystem is the image's:
// nothing else is there). Migration-only containers are skipped (they load
// no keys).
func (k *Checker) checkFiles() {
	for _, w := range k.workloads {
		volumes := map[string]map[string]interface{}{}
		for _, v := range maps(listAt(w.PodSpec, "volumes")) {
			volumes[strAt(v, "name")] = v
		}
		for _, c := range w.containers() {
			if v, set, _ := k.configValue(c, "AGORA_MIGRATE_ONLY"); set && (v == "true" || v == "1") {
				continue
			}
			names := map[string]bool{}
			for _, e := range k.effectiveEnv(c) {
				names[e.Name] = true
			}
			for _, a := range commandArgs(c.M) {
				if eq := strings.Index(a, "="); strings.HasPrefix(a, "--") && eq > 0 {
					names[flagToVariable(a[2:eq])] = true
				}
			}
			for name := range names {
				if !strings.HasSuffix(name, "_FILE") {
					continue
				}
				value, set, known := k.configValue(c, name)
				if !set || !known || value == "" {
					continue
				}
				if !strings.HasPrefix(value, "/") {
					k.errorf("files", c.Where(), "%s=%q is a relative path (to the image's working directory, where the chart mounts nothing)", name, value)
					continue
				}
				if msg := k.fileProvided(c, volumes, value); msg != "" {
					k.errorf("files", c.Where(), "%s=%s: %s", name, value, msg)
				}
			}
		}
	}
}

// fileProvided returns "" when a mount of the container provides path.
func (k *Checker) fileProvided(c *Container, volumes map[string]map[string]interface{}, path string) string {
	var best map[string]interface{}
	bestLen := -1
	for _, m := range maps(listAt(c.M, "volumeMounts")) {
		mp := strings.TrimSuffix(strAt(m, "mountPath"), "/")
		if (path == mp || strings.HasPrefix(path, mp+"/")) && len(mp) > bestLen {
			best, bestLen = m, len(mp)
		}
	}
	if best == nil {
		return "no volumeMount holds this path, and the image does not have it"
	}
	mp := strings.TrimSuffix(strAt(best, "mountPath"), "/")
	rel := strings.TrimPrefix(strings.TrimPrefix(path, mp), "/")
	if sub := strAt(best, "subPath"); sub != "" {
		if rel == "" {
			rel = sub
		} else {
			rel = sub + "/" + rel
		}
	}
	vol := volumes[strAt(best, "name")]
	if vol == nil {
		return "" // reported by the type checks
	}
	type source struct {
		kind, name string
		src        map[string]interface{}
	}
	var sources []source
	if s := mapAt(vol, "secret"); s != nil {
		sources = append(sources, source{"Secret", strAt(s, "secretName"), s})
	}
	if s := mapAt(vol, "configMap"); s != nil {
		sources = append(sources, source{"ConfigMap", strAt(s, "name"), s})
	}
	for _, p := range maps(listAt(vol, "projected", "sources")) {
		if s := mapAt(p, "secret"); s != nil {
			sources = append(sources, source{"Secret", strAt(s, "name"), s})
		}
		if s := mapAt(p, "configMap"); s != nil {
			sources = append(sources, source{"ConfigMap", strAt(s, "name"), s})
		}
	}
	if len(sources) == 0 {
		if mapAt(vol, "emptyDir") != nil {
			return fmt.Sprintf("it is in the emptyDir volume %q, which starts empty", strAt(best, "name"))
		}
		return "" // another kind of volume: cannot tell
	}
	var offered []string
	for _, s := range sources {
		items := maps(listAt(s.src, "items"))
		if len(items) > 0 {
			for _, it := range items {
				if strAt(it, "path") == rel {
					return ""
				}
				offered = append(offered, strAt(it, "path"))
			}
			continue
		}
		data, rendered := k.dataKeys(s.kind, s.name)
		if !rendered {
			return "" // an existing object: its keys are unknown here
		}
		if _, ok := data[rel]; ok {
			return ""
		}
		offered = append(offered, keysOf(data)...)
	}
	return fmt.Sprintf("volume %q mounted at %s provides %s, not %s", strAt(best, "name"), mp, strings.Join(offered, ", "), rel)
}

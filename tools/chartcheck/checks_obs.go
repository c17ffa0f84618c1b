package main

// Observability objects: ServiceMonitor, PrometheusRule, dashboards.

import (
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"
	"os/exec"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

var metaLabelRE = regexp.MustCompile(`^__meta_kubernetes_(service|pod)_label_(\w+)$`)

func sanitizeLabel(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func hasSanitizedLabel(labels map[string]string, name string) bool {
	for k := range labels {
		if sanitizeLabel(k) == name {
			return true
		}
	}
	return false
}

func (k *Checker) checkServiceMonitors() {
	sms := k.ofKind("ServiceMonitor")
	scraped := map[*Workload]bool{}
	for _, sm := range sms {
		spec := mapAt(sm.Obj, "spec")
		sel := mapAt(spec, "selector")
		if sel == nil {
			k.errorf("servicemonitor", sm.ID(), "spec.selector is missing")
			continue
		}
		ns := mapAt(spec, "namespaceSelector")
		if ns != nil {
			any, _ := ns["any"].(bool)
			inNS := any
			for _, n := range listAt(ns, "matchNames") {
				if fmt.Sprint(n) == k.Namespace {
					inNS = true
				}
			}
			if !inNS && len(listAt(ns, "matchNames")) > 0 {
				k.errorf("servicemonitor", sm.ID(), "namespaceSelector.matchNames does not include the release namespace %q", k.Namespace)
			}
		}
		var services []*Doc
		for _, svc := range k.ofKind("Service") {
			if selectorMatches(sel, stringMap(mapAt(svc.Obj, "metadata", "labels"))) {
				services = append(services, svc)
			}
		}
		if len(services) == 0 {
			k.errorf("servicemonitor", sm.ID(), "selector %s matches no Service of the chart", formatLabels(stringMap(mapAt(sel, "matchLabels"))))
			continue
		}
		endpoints := maps(listAt(spec, "endpoints"))
		if len(endpoints) == 0 {
			k.errorf("servicemonitor", sm.ID(), "has no endpoints")
		}
		for i, ep := range endpoints {
			port, _ := ep["port"].(string)
			if port == "" {
				if _, ok := ep["targetPort"]; !ok {
					k.errorf("servicemonitor", sm.ID(), "endpoints[%d] names no port", i)
				}
				continue
			}
			found := false
			for _, svc := range services {
				for _, p := range maps(listAt(svc.Obj, "spec", "ports")) {
					if n, _ := p["name"].(string); n == port {
						found = true
					}
				}
			}
			if !found {
				k.errorf("servicemonitor", sm.ID(), "endpoints[%d].port %q is not a port name of any selected Service (%s)", i, port, docNames(services))
			}
			for _, key := range []string{"relabelings", "metricRelabelings"} {
				if key == "metricRelabelings" {
					continue
				}
				for _, rl := range maps(listAt(ep, key)) {
					for _, sl := range listAt(rl, "sourceLabels") {
						m := metaLabelRE.FindStringSubmatch(fmt.Sprint(sl))
						if m == nil {
							continue
						}
						for _, svc := range services {
							if m[1] == "service" {
								if !hasSanitizedLabel(stringMap(mapAt(svc.Obj, "metadata", "labels")), m[2]) {
									k.errorf("servicemonitor", sm.ID(), "relabeling reads %s but Service %s has no such label: its targets get an empty value", sl, svc.Name)
								}
								continue
							}
							serving, _ := k.servicePods(svc)
							for _, w := range serving {
								if !hasSanitizedLabel(w.PodLabels, m[2]) {
									k.errorf("servicemonitor", sm.ID(), "relabeling reads %s but the pods of %s have no such label", sl, w.Name)
								}
							}
						}
					}
				}
			}
		}
		for _, svc := range services {
			has := false
			for _, ep := range endpoints {
				port, _ := ep["port"].(string)
				for _, p := range maps(listAt(svc.Obj, "spec", "ports")) {
					if n, _ := p["name"].(string); n == port && port != "" {
						has = true
					}
				}
			}
			if !has {
				k.errorf("servicemonitor", sm.ID(), "selects Service %s, which has none of the endpoint ports: it is not scraped", svc.Name)
				continue
			}
			serving, _ := k.servicePods(svc)
			for _, w := range serving {
				scraped[w] = true
			}
		}
		for _, tl := range listAt(spec, "targetLabels") {
			for _, svc := range services {
				if _, ok := stringMap(mapAt(svc.Obj, "metadata", "labels"))[fmt.Sprint(tl)]; !ok {
					k.errorf("servicemonitor", sm.ID(), "targetLabels %v: Service %s has no such label", tl, svc.Name)
				}
			}
		}
	}
	if len(sms) > 0 {
		for _, w := range k.workloads {
			if w.Serving && !scraped[w] {
				k.warnf("servicemonitor", w.Doc.ID(), "no ServiceMonitor scrapes its pods")
			}
		}
	}
}

func docNames(ds []*Doc) string {
	var n []string
	for _, d := range ds {
		n = append(n, d.Name)
	}
	return strings.Join(n, ", ")
}

// Prometheus rules.

type ruleGroup struct {
	Name     string `yaml:"name"`
	Interval string `yaml:"interval,omitempty"`
	Limit    int    `yaml:"limit,omitempty"`
	Rules    []rule `yaml:"rules"`
}

type rule struct {
	Record        string            `yaml:"record,omitempty"`
	Alert         string            `yaml:"alert,omitempty"`
	Expr          yaml.Node         `yaml:"expr"`
	For           string            `yaml:"for,omitempty"`
	KeepFiringFor string            `yaml:"keep_firing_for,omitempty"`
	Labels        map[string]string `yaml:"labels,omitempty"`
	Annotations   map[string]string `yaml:"annotations,omitempty"`
}

var (
	promDurationRE = regexp.MustCompile(`^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$`)
	metricNameRE   = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	promLabelRE    = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// parseRuleGroups reads {groups: [...]} strictly, as promtool does.
func parseRuleGroups(data []byte) ([]ruleGroup, []string) {
	var doc struct {
		Groups []ruleGroup `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, []string{err.Error()}
	}
	var problems []string
	if len(doc.Groups) == 0 {
		problems = append(problems, "no rule groups")
	}
	names := map[string]bool{}
	for gi, g := range doc.Groups {
		where := fmt.Sprintf("group %d (%q)", gi, g.Name)
		if g.Name == "" {
			problems = append(problems, where+": no name")
		}
		if names[g.Name] {
			problems = append(problems, where+": group name repeated")
		}
		names[g.Name] = true
		if g.Interval != "" && (!promDurationRE.MatchString(g.Interval) || g.Interval == "0s") {
			problems = append(problems, where+": bad interval "+g.Interval)
		}
		if len(g.Rules) == 0 {
			problems = append(problems, where+": no rules")
		}
		for ri, r := range g.Rules {
			rw := fmt.Sprintf("%s rule %d", where, ri)
			switch {
			case r.Record != "" && r.Alert != "":
				problems = append(problems, rw+": both record and alert")
			case r.Record == "" && r.Alert == "":
				problems = append(problems, rw+": neither record nor alert")
			case r.Record != "":
				rw += " (record " + r.Record + ")"
				if !metricNameRE.MatchString(r.Record) {
					problems = append(problems, rw+": invalid metric name")
				}
				if r.For != "" || len(r.Annotations) > 0 || r.KeepFiringFor != "" {
					problems = append(problems, rw+": recording rules take no for/annotations")
				}
			default:
				rw += " (alert " + r.Alert + ")"
			}
			if r.Expr.Kind != yaml.ScalarNode || strings.TrimSpace(r.Expr.Value) == "" {
				problems = append(problems, rw+": expr is missing or not a string")
			}
			for _, d := range []string{r.For, r.KeepFiringFor} {
				if d != "" && !promDurationRE.MatchString(d) {
					problems = append(problems, rw+": bad duration "+d)
				}
			}
			for l := range r.Labels {
				if !promLabelRE.MatchString(l) {
					problems = append(problems, rw+": invalid label name "+l)
				}
			}
			for l := range r.Annotations {
				if !promLabelRE.MatchString(l) {
					problems = append(problems, rw+": invalid annotation name "+l)
				}
			}
			if r.Alert != "" && r.Annotations["summary"] == "" && r.Annotations["description"] == "" {
				problems = append(problems, rw+": no summary or description annotation")
			}
		}
	}
	return doc.Groups, problems
}

func (k *Checker) checkPrometheusRules() {
	for _, pr := range k.ofKind("PrometheusRule") {
		spec := mapAt(pr.Obj, "spec")
		if spec == nil {
			k.errorf("prometheusrule", pr.ID(), "has no spec")
			continue
		}
		out, err := yaml.Marshal(spec)
		if err != nil {
			k.errorf("prometheusrule", pr.ID(), "%v", err)
			continue
		}
		_, problems := parseRuleGroups(out)
		for _, p := range problems {
			k.errorf("prometheusrule", pr.ID(), "%s", p)
		}
		if len(problems) > 0 || k.Promtool == "" {
			continue
		}
		f, err := ioutil.TempFile("", "chartcheck-rules-*.yaml")
		if err != nil {
			k.errorf("prometheusrule", pr.ID(), "%v", err)
			continue
		}
		f.Write(out)
		f.Close()
		res, err := exec.Command(k.Promtool, "check", "rules", f.Name()).CombinedOutput()
		os.Remove(f.Name())
		if err != nil {
			k.errorf("prometheusrule", pr.ID(), "promtool check rules failed:\n%s", indentText(strings.Replace(string(res), f.Name(), "spec", -1), "    "))
		}
	}
}

func indentText(s, pad string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = pad + lines[i]
	}
	return strings.Join(lines, "\n")
}

// Dashboards: every ConfigMap value whose key ends in .json, and every
// value of a ConfigMap labelled for the Grafana sidecar, is JSON; each
// dashboard has a title and a uid unique across the chart.
func (k *Checker) checkDashboards() {
	uids := map[string]string{}
	for _, cm := range k.ofKind("ConfigMap") {
		labels := stringMap(mapAt(cm.Obj, "metadata", "labels"))
		_, sidecar := labels["grafana_dashboard"]
		data := mapAt(cm.Obj, "data")
		keys := sortedKeys(data)
		dashboards := 0
		for _, key := range keys {
			s, ok := data[key].(string)
			if !ok {
				continue
			}
			if !sidecar && !strings.HasSuffix(key, ".json") {
				continue
			}
			var v interface{}
			if err := json.Unmarshal([]byte(s), &v); err != nil {
				k.errorf("dashboards", cm.ID(), "data[%s] is not JSON: %v", key, err)
				continue
			}
			d, isObj := v.(map[string]interface{})
			if !isObj {
				k.errorf("dashboards", cm.ID(), "data[%s] is JSON but not an object", key)
				continue
			}
			_, hasPanels := d["panels"]
			_, hasRows := d["rows"]
			if !hasPanels && !hasRows {
				if sidecar {
					k.errorf("dashboards", cm.ID(), "data[%s] is not a dashboard (no panels)", key)
				}
				continue
			}
			dashboards++
			if t, _ := d["title"].(string); t == "" {
				k.errorf("dashboards", cm.ID(), "dashboard %s has no title", key)
			}
			uid, _ := d["uid"].(string)
			if uid == "" {
				k.warnf("dashboards", cm.ID(), "dashboard %s has no uid (Grafana makes a new one on every load; links break)", key)
			} else if prev, dup := uids[uid]; dup {
				k.errorf("dashboards", cm.ID(), "dashboard %s has uid %q, already used by %s", key, uid, prev)
			} else {
				uids[uid] = cm.Name + "/" + key
			}
			if len(uid) > 40 {
				k.errorf("dashboards", cm.ID(), "dashboard %s: uid %q is longer than 40 characters", key, uid)
			}
		}
		if dashboards > 0 && !sidecar {
			k.warnf("dashboards", cm.ID(), "holds dashboards but has no grafana_dashboard label: the Grafana sidecar will not load it")
		}
	}
}

// promcheck evaluates every PromQL expression of the Grafana dashboards and
// every rule Prometheus loaded through a running Prometheus' HTTP API, after
// a test drove traffic through a local Agora system scraped by it:
//
//   - each dashboard panel expression (Grafana variables substituted) must
//     parse and return at least one series: a panel over a metric nobody
//     exports, or over labels nobody sets, fails, named by dashboard and
//     panel;
//   - each query template variable (label_values(expr, label)) must find a
//     value;
//   - each rule Prometheus loaded (the chart's alert rules) must be healthy
//     after its evaluations, and its expression must evaluate.
//
// Usage:
//
//	promcheck -prometheus http://127.0.0.1:9090 -dashboards DIR [-expect-rules N] \
//	  [-var namespace=agora -var instance=.* ...]
//
// Only the Go standard library: it builds offline (GO111MODULE=off).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

type varFlags map[string]string

func (v varFlags) String() string { return fmt.Sprint(map[string]string(v)) }
func (v varFlags) Set(s string) error {
	k, val, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	v[k] = val
	return nil
}

type panel struct {
	ID      int     `json:"id"`
	Title   string  `json:"title"`
	Type    string  `json:"type"`
	Panels  []panel `json:"panels"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
		Hide  bool   `json:"hide"`
	} `json:"targets"`
}

type dashboard struct {
	Title      string  `json:"title"`
	UID        string  `json:"uid"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type apiResponse struct {
	Status    string          `json:"status"`
	Error     string          `json:"error"`
	ErrorType string          `json:"errorType"`
	Data      json.RawMessage `json:"data"`
}

type client struct{ base string }

func (c client) get(path string, params url.Values) (json.RawMessage, error) {
	u := c.base + path
	if params != nil {
		u += "?" + params.Encode()
	}
	resp, err := http.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r apiResponse
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("HTTP %d: unreadable answer: %v", resp.StatusCode, err)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s: %s", r.ErrorType, r.Error)
	}
	return r.Data, nil
}

// query evaluates expr now; returns the number of series (a scalar or a
// string counts as one) and the label sets of a vector/matrix.
func (c client) query(expr string) (int, []map[string]string, error) {
	data, err := c.get("/api/v1/query", url.Values{"query": {expr}})
	if err != nil {
		return 0, nil, err
	}
	var d struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return 0, nil, err
	}
	switch d.ResultType {
	case "vector", "matrix":
		var series []struct {
			Metric map[string]string `json:"metric"`
		}
		if err := json.Unmarshal(d.Result, &series); err != nil {
			return 0, nil, err
		}
		labels := make([]map[string]string, len(series))
		for i, s := range series {
			labels[i] = s.Metric
		}
		return len(series), labels, nil
	default:
		return 1, nil, nil
	}
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}|\[\[([A-Za-z_][A-Za-z0-9_]*)\]\]|\$([A-Za-z_][A-Za-z0-9_]*)`)

// substitute replaces Grafana variables; an unknown one is an error (the
// panel would not render as the test evaluates it).
func substitute(expr string, vars map[string]string) (string, error) {
	var missing []string
	out := varRef.ReplaceAllStringFunc(expr, func(m string) string {
		sub := varRef.FindStringSubmatch(m)
		name := sub[1] + sub[2] + sub[3]
		if v, ok := vars[name]; ok {
			return v
		}
		missing = append(missing, name)
		return m
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("unknown variable(s) %s", strings.Join(missing, ", "))
	}
	return out, nil
}

func flatten(panels []panel) []panel {
	var out []panel
	for _, p := range panels {
		out = append(out, p)
		out = append(out, flatten(p.Panels)...)
	}
	return out
}

var labelValues = regexp.MustCompile(`^\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$`)

func main() {
	prom := flag.String("prometheus", "", "base URL of Prometheus")
	dir := flag.String("dashboards", "", "folder of Grafana dashboard JSON files")
	expectRules := flag.Int("expect-rules", 0, "the least number of rules Prometheus must have loaded")
	vars := varFlags{"__rate_interval": "1m", "__interval": "15s", "__range": "5m"}
	flag.Var(vars, "var", "NAME=VALUE of a dashboard variable (repeatable)")
	flag.Parse()
	if *prom == "" || *dir == "" {
		flag.Usage()
		os.Exit(2)
	}
	c := client{base: strings.TrimRight(*prom, "/")}
	failures := 0
	fail := func(format string, args ...any) {
		failures++
		fmt.Printf("FAIL "+format+"\n", args...)
	}

	files, _ := filepath.Glob(filepath.Join(*dir, "*.json"))
	sort.Strings(files)
	if len(files) == 0 {
		fail("no dashboards in %s", *dir)
	}
	panels, exprs := 0, 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			fail("%s: %v", f, err)
			continue
		}
		var d dashboard
		if err := json.Unmarshal(raw, &d); err != nil {
			fail("%s: not a dashboard: %v", filepath.Base(f), err)
			continue
		}
		name := fmt.Sprintf("%s (%s)", d.Title, filepath.Base(f))
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			var q string
			if json.Unmarshal(v.Query, &q) != nil {
				var obj struct {
					Query string `json:"query"`
				}
				_ = json.Unmarshal(v.Query, &obj)
				q = obj.Query
			}
			m := labelValues.FindStringSubmatch(q)
			if m == nil {
				fail("%s: variable %s: query %q is not label_values(expr, label)", name, v.Name, q)
				continue
			}
			expr, err := substitute(m[1], vars)
			if err != nil {
				fail("%s: variable %s: %v", name, v.Name, err)
				continue
			}
			_, labels, err := c.query(expr)
			found := false
			for _, l := range labels {
				if l[m[2]] != "" {
					found = true
				}
			}
			if err != nil || !found {
				fail("%s: variable %s: %s finds no value of %s (%v)", name, v.Name, expr, m[2], err)
			}
		}
		for _, p := range flatten(d.Panels) {
			if p.Type == "row" {
				continue
			}
			panels++
			if len(p.Targets) == 0 {
				fail("%s: panel %q (id %d) has no query", name, p.Title, p.ID)
			}
			for _, t := range p.Targets {
				exprs++
				if strings.TrimSpace(t.Expr) == "" {
					fail("%s: panel %q (id %d) target %s has no expr", name, p.Title, p.ID, t.RefID)
					continue
				}
				expr, err := substitute(t.Expr, vars)
				if err != nil {
					fail("%s: panel %q (id %d): %v", name, p.Title, p.ID, err)
					continue
				}
				n, _, err := c.query(expr)
				switch {
				case err != nil:
					fail("%s: panel %q (id %d): %s: %v", name, p.Title, p.ID, expr, err)
				case n == 0:
					fail("%s: panel %q (id %d): no series after the traffic: %s", name, p.Title, p.ID, expr)
				}
			}
		}
	}
	fmt.Printf("dashboards: %d files, %d panels, %d expressions\n", len(files), panels, exprs)

	// Rules: loaded by Prometheus from the chart's rule file; each evaluated
	// at least once, healthy, and its expression evaluates on its own.
	data, err := c.get("/api/v1/rules", nil)
	if err != nil {
		fail("rules: %v", err)
	} else {
		var r struct {
			Groups []struct {
				Name  string `json:"name"`
				Rules []struct {
					Name           string `json:"name"`
					Query          string `json:"query"`
					Type           string `json:"type"`
					Health         string `json:"health"`
					LastError      string `json:"lastError"`
					State          string `json:"state"`
					LastEvaluation string `json:"lastEvaluation"`
				} `json:"rules"`
			} `json:"groups"`
		}
		_ = json.Unmarshal(data, &r)
		rules, alerts := 0, 0
		for _, g := range r.Groups {
			for _, rule := range g.Rules {
				rules++
				if rule.Type == "alerting" {
					alerts++
				}
				if rule.Health != "ok" || rule.LastError != "" {
					fail("rule %s/%s: health %q: %s", g.Name, rule.Name, rule.Health, rule.LastError)
				}
				if _, _, err := c.query(rule.Query); err != nil {
					fail("rule %s/%s: %s: %v", g.Name, rule.Name, rule.Query, err)
				}
				if rule.State == "firing" || rule.State == "pending" {
					fmt.Printf("note: alert %s is %s after the traffic\n", rule.Name, rule.State)
				}
			}
		}
		if rules < *expectRules {
			fail("rules: Prometheus loaded %d rules, want at least %d", rules, *expectRules)
		}
		fmt.Printf("rules: %d loaded (%d alerts), each evaluated\n", rules, alerts)
	}
	if failures > 0 {
		fmt.Printf("%d failure(s)\n", failures)
		os.Exit(1)
	}
	fmt.Println("ok")
}

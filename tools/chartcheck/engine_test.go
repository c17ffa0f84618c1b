package main

import (
	"io/ioutil"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func miniChart(t *testing.T) *Chart {
	t.Helper()
	c, err := LoadChart("testdata/charts/mini")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// renderMini renders the fixture chart like `chartcheck render` does.
func renderMini(t *testing.T, set ...string) (*Result, error) {
	t.Helper()
	o := options{chart: "testdata/charts/mini", release: "agora", namespace: "agora", kubeVersion: "v1.29.0"}
	o.setStrings = set
	return renderChart(o)
}

func TestHelmToYAMLLayout(t *testing.T) {
	v := map[string]interface{}{
		"b": []interface{}{float64(1), "x", map[string]interface{}{"k": "v", "a": true}},
		"a": map[string]interface{}{},
		"c": "multi\nline",
		"d": "8080",
		"e": nil,
		"f": []interface{}{},
		"g": "yes",
		"h": []interface{}{[]interface{}{1, 2}},
		"i": 0.5,
		"j": "a: b",
		"k": "text\n",
		"l": map[string]interface{}{"m": map[string]interface{}{"nn": "deep"}},
	}
	got, err := helmToYAML(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `a: {}
b:
- 1
- x
- a: true
  k: v
c: |-
  multi
  line
d: "8080"
e: null
f: []
g: "yes"
h:
- - 1
  - 2
i: 0.5
j: 'a: b'
k: |
  text
l:
  m:
    nn: deep
`
	if got != want {
		t.Errorf("toYaml:\n%s\nwant:\n%s", got, want)
	}
}

func TestRenderMiniChart(t *testing.T) {
	r, err := renderMini(t, "admin.password=s3cret-pw")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) > 0 || r.NotesError != "" {
		t.Fatalf("render errors: %v %s", r.Errors, r.NotesError)
	}
	kinds := map[string]int{}
	for _, d := range r.Docs {
		if d.ParseErr != nil {
			t.Errorf("%s: %v", d.Source, d.ParseErr)
		}
		kinds[d.Kind]++
	}
	for kind, n := range map[string]int{"Deployment": 2, "Service": 2, "PodDisruptionBudget": 2, "ConfigMap": 2,
		"Secret": 1, "ServiceMonitor": 1, "PrometheusRule": 1, "HorizontalPodAutoscaler": 1, "NetworkPolicy": 2, "ServiceAccount": 1} {
		if kinds[kind] != n {
			t.Errorf("%d %s, want %d", kinds[kind], kind, n)
		}
	}
	if r.Notes == nil || !strings.Contains(r.Notes.Output, "agora-mini is installed in agora.") {
		t.Errorf("NOTES.txt: %+v", r.Notes)
	}
	// Install order: NetworkPolicy first, HPA after the Deployments.
	if r.Docs[0].Kind != "NetworkPolicy" {
		t.Errorf("first document is a %s", r.Docs[0].Kind)
	}
	var sb strings.Builder
	WriteManifests(&sb, r.Docs)
	out := sb.String()
	for _, want := range []string{
		"---\n# Source: mini/templates/deployments.yaml\napiVersion: apps/v1\n",
		"image: registry.example.com/agora:1.2.3\n",           // default tag: .Chart.AppVersion
		"  AGORA_ADMIN_PASSWORD: \"czNjcmV0LXB3\"\n",          // b64enc
		"            limits:\n              cpu: \"1\"\n",     // toYaml | nindent
		"  overview.json: |-\n    {\n      \"title\": \"Mini", // Files.Glob + Files.Get
		"        - alert: MiniDown\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("render lacks %q", want)
		}
	}
	if strings.Contains(out, "<no value>") {
		t.Error("render contains <no value>")
	}
	if _, ok := miniChart(t).Files["files/notes.bak"]; ok {
		t.Error(".helmignore not honoured")
	}
}

func TestRequiredFailsRender(t *testing.T) {
	r, err := renderMini(t)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) == 0 {
		t.Fatal("rendered without an admin password")
	}
	if !strings.Contains(r.Errors[0], "admin.password is required") || !strings.Contains(r.Errors[0], "execution error at (mini/templates/_helpers.tpl:") {
		t.Errorf("error: %s", r.Errors[0])
	}
}

func TestSchemaRejectsValues(t *testing.T) {
	o := options{chart: "testdata/charts/mini", release: "agora", namespace: "agora", kubeVersion: "v1.29.0"}
	o.setStrings = []string{"admin.password=x", "components.gateway.port=http"}
	o.sets = []string{"components.customers.replicas=0", "logLevel=verbose", "unknownKey=1"}
	_, err := renderChart(o)
	if err == nil {
		t.Fatal("schema accepted bad values")
	}
	for _, want := range []string{
		"components.gateway.port: Invalid type. Expected: integer, given: string",
		"components.customers.replicas: Must be greater than or equal to 1",
		"logLevel: must be one of the following",
		"(root): Additional property unknownKey is not allowed",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("schema error lacks %q:\n%v", want, err)
		}
	}
}

func TestSchemaKeywords(t *testing.T) {
	schema := []byte(`{
	  "type": "object",
	  "required": ["a"],
	  "properties": {
	    "a": {"anyOf": [{"type": "string", "minLength": 3}, {"type": "integer"}]},
	    "b": {"oneOf": [{"type": "number"}, {"type": "integer"}]},
	    "c": {"type": "array", "items": {"type": "string", "pattern": "^x"}, "maxItems": 2},
	    "d": {"type": "object", "additionalProperties": {"type": "boolean"}},
	    "e": {"type": ["string", "null"], "maxLength": 2},
	    "f": {"if": {"properties": {"on": {"const": true}}}, "then": {"required": ["v"]}}
	  }
	}`)
	values := map[string]interface{}{
		"a": "xy",
		"b": float64(3),
		"c": []interface{}{"x1", "y2", "x3"},
		"d": map[string]interface{}{"ok": true, "bad": "yes"},
		"e": "long",
		"f": map[string]interface{}{"on": true},
	}
	errs, _, err := ValidateSchema(schema, values)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.String())
	}
	joined := strings.Join(got, "\n")
	for _, want := range []string{"a: must validate at least one schema (anyOf)", "b: must validate one and only one schema (oneOf), matches 2",
		"c[1]: Does not match pattern", "c: Array must have at most 2 items", "d.bad: Invalid type. Expected: boolean",
		"e: String length must be less than or equal to 2", "f: v is required"} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing %q in:\n%s", want, joined)
		}
	}
	if errs, _, _ := ValidateSchema(schema, map[string]interface{}{}); len(errs) != 1 || errs[0].String() != "(root): a is required" {
		t.Errorf("required: %v", errs)
	}
}

func renderString(t *testing.T, tmpl string, values map[string]interface{}, partials ...string) (string, error) {
	t.Helper()
	c := &Chart{Metadata: &ChartMetadata{Name: "t", Version: "1.0.0", AppVersion: "2.0"}, Files: Files{"files/a.txt": []byte("A"), "files/sub/b.txt": []byte("B")}}
	c.Templates = append(c.Templates, TemplateFile{Name: "t/templates/x.yaml", Data: tmpl})
	for i, p := range partials {
		c.Templates = append(c.Templates, TemplateFile{Name: "t/templates/_p" + string(rune('0'+i)) + ".tpl", Data: p})
	}
	caps, _ := NewCapabilities("v1.29.0", nil)
	out, errs := Render(c, values, RenderOptions{Release: ReleaseOptions{Name: "rel", Namespace: "ns", Revision: 1, IsInstall: true}, Capabilities: caps})
	if len(errs) > 0 {
		return "", errs[0]
	}
	return out[0].Output, nil
}

func TestHelmFunctions(t *testing.T) {
	values := map[string]interface{}{"name": "world", "tmpl": "hello {{ .Values.name }}", "big": float64(1000000), "port": float64(8080),
		"list": []interface{}{"a", "b"}}
	cases := []struct{ tmpl, want string }{
		{`{{ .Values.missing }}|{{ .Values.missing | default "d" }}`, "|d"},
		{`{{ tpl .Values.tmpl . }}`, "hello world"},
		{`{{ include "greet" . | upper }}`, "HI WORLD"},
		{`{{ .Values.big }} {{ .Values.port }} {{ int .Values.big }}`, "1e+06 8080 1000000"},
		{`{{ toYaml .Values.list }}`, "- a\n- b"},
		{`{{ toJson .Values.list }}`, `["a","b"]`},
		{`{{ (fromYaml "a: 1\nb: [x]").b }}`, "[x]"},
		{`{{ .Release.Name }} {{ .Release.Namespace }} {{ .Release.Service }} {{ .Release.Revision }} {{ .Release.IsInstall }}`, "rel ns Helm 1 true"},
		{`{{ .Chart.Name }}-{{ .Chart.Version }}-{{ .Chart.AppVersion }}`, "t-1.0.0-2.0"},
		{`{{ .Capabilities.KubeVersion.Version }} {{ .Capabilities.KubeVersion.Minor }} {{ .Capabilities.APIVersions.Has "apps/v1/Deployment" }} {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }} {{ .Capabilities.APIVersions.Has "nope/v9" }}`, "v1.29.0 29 true true false"},
		{`{{ .Files.Get "files/a.txt" }}{{ range $p, $b := .Files.Glob "files/**.txt" }}[{{ $p }}={{ toString $b }}]{{ end }}`, "A[files/a.txt=A][files/sub/b.txt=B]"},
		{`{{ (.Files.Glob "files/*.txt").AsConfig }}`, "a.txt: A"},
		{`{{ .Template.Name }} {{ .Template.BasePath }}`, "t/templates/x.yaml t/templates"},
		{`{{ semverCompare ">=1.25-0" .Capabilities.KubeVersion.Version }}`, "true"},
	}
	for _, c := range cases {
		got, err := renderString(t, c.tmpl, values, `{{- define "greet" -}}hi {{ .Values.name }}{{- end -}}`)
		if err != nil {
			t.Errorf("%s: %v", c.tmpl, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s = %q, want %q", c.tmpl, got, c.want)
		}
	}
	if _, err := renderString(t, `{{ required "x.y is required" .Values.nothing }}`, values); err == nil || !strings.Contains(err.Error(), "x.y is required") {
		t.Errorf("required: %v", err)
	}
	if _, err := renderString(t, `{{ fail "stop here" }}`, values); err == nil || !strings.Contains(err.Error(), "execution error at (t/templates/x.yaml:1:3): stop here") {
		t.Errorf("fail: %v", err)
	}
	if _, err := renderString(t, `{{ env "HOME" }}`, values); err == nil {
		t.Error("env is not removed (Helm removes it)")
	}
	if _, err := renderString(t, `{{ .Chart.NoSuchField }}`, values); err == nil {
		t.Error(".Chart is a struct in Helm: an unknown field is an error")
	}
	if _, err := renderString(t, `{{ if eq .Values.port 8080 }}x{{ end }}`, values); err == nil {
		t.Error("values numbers are float64 in Helm: eq with an int literal is an error")
	}
}

func TestSetAndCoalesce(t *testing.T) {
	user := map[string]interface{}{}
	for _, s := range []string{`a.b=1,c=x\,y`, `l[1].n=v`, `dotted\.key=z`} {
		if err := parseSet(user, s, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := parseSet(user, "n=5,t=true,o=0777,z=null", true); err != nil {
		t.Fatal(err)
	}
	defaults := map[string]interface{}{"a": map[string]interface{}{"b": "0", "keep": "k"}, "z": "gone", "x": "kept"}
	v := coalesce(defaults, user)
	removeNulls(v)
	got, _ := helmToYAML(v)
	want := `a:
  b: "1"
  keep: k
c: x,y
dotted.key: z
l:
- null
- "n": v
"n": 5
o: "0777"
t: true
x: kept
`
	if got != want {
		t.Errorf("values:\n%s\nwant:\n%s", got, want)
	}
}

func TestSplitManifests(t *testing.T) {
	docs := splitManifests("\n---\n# c\nkind: A\n---  \nkind: B\n--- \n")
	if len(docs) != 2 || docs[0] != "# c\nkind: A" || docs[1] != "kind: B" {
		t.Errorf("%q", docs)
	}
}

func TestBrokenNotesIsReported(t *testing.T) {
	dir := t.TempDir()
	if err := copyDir("testdata/charts/mini", dir); err != nil {
		t.Fatal(err)
	}
	if err := ioutil.WriteFile(filepath.Join(dir, "templates", "NOTES.txt"), []byte("{{ .Values.components.nothing.port }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := renderChart(options{chart: dir, release: "agora", namespace: "agora", kubeVersion: "v1.29.0", setStrings: []string{"admin.password=x"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) > 0 || !strings.Contains(r.NotesError, "NOTES.txt:1:") || !strings.Contains(r.NotesError, "nil pointer evaluating interface {}.port") {
		t.Errorf("errors %v, notes error %q", r.Errors, r.NotesError)
	}
}

func copyDir(src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := ioutil.ReadFile(p)
		if err != nil {
			return err
		}
		return ioutil.WriteFile(target, data, 0o644)
	})
}

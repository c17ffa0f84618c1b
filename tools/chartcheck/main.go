// Command chartcheck renders a Helm chart without helm (text/template,
// sprig and Helm's own template functions) and checks the manifests.
//
//	chartcheck render --chart DIR [-f values.yaml]... [--set-string k=v]... [--set k=v]...
//	                  [--release NAME] [--namespace NS] [--kube-version v1.29.0] [--api-versions G/V]...
//	chartcheck check  (the same flags) [--repo /work/main] [--promtool PATH|none]
//	chartcheck env    (the same flags): each container's resolved environment
//
// See README.md.
package main

import (
	"flag"
	"fmt"
	"io/ioutil"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

type options struct {
	chart       string
	valueFiles  multiFlag
	setStrings  multiFlag
	sets        multiFlag
	release     string
	namespace   string
	kubeVersion string
	apiVersions multiFlag
	strict      bool
	repo        string
	promtool    string
	quiet       bool
	manifests   string
	notes       bool
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  chartcheck render --chart DIR [-f values.yaml]... [--set-string k=v]... [--set k=v]...
                    [--release NAME] [--namespace NS] [--kube-version v1.29.0] [--api-versions group/version]...
                    [--strict] [--notes]
  chartcheck check  --chart DIR [same value flags] [--repo REPO] [--promtool PATH|none] [-q]
  chartcheck check  --manifests FILE|- [--repo REPO] ...   (check manifests rendered elsewhere, e.g. by helm)
  chartcheck env    --chart DIR [same value flags]   (prints each container's environment)
  chartcheck vars   --repo REPO                      (prints the variables each binary reads)
`)
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	var o options
	fs.StringVar(&o.chart, "chart", "", "chart directory")
	fs.Var(&o.valueFiles, "f", "values file (repeatable)")
	fs.Var(&o.valueFiles, "values", "values file (repeatable)")
	fs.Var(&o.setStrings, "set-string", "k=v string value (repeatable)")
	fs.Var(&o.sets, "set", "k=v typed value (repeatable)")
	fs.StringVar(&o.release, "release", "agora", "release name")
	fs.StringVar(&o.namespace, "namespace", "agora", "release namespace")
	fs.StringVar(&o.kubeVersion, "kube-version", "v1.29.0", "Kubernetes version for .Capabilities")
	fs.Var(&o.apiVersions, "api-versions", "extra API version for .Capabilities.APIVersions (repeatable)")
	fs.BoolVar(&o.strict, "strict", false, "fail on missing keys (missingkey=error)")
	fs.StringVar(&o.repo, "repo", "", "the Agora source tree (its config code lists the variables)")
	fs.StringVar(&o.promtool, "promtool", "", "promtool to check the PrometheusRule (default: from PATH; none: skip)")
	fs.BoolVar(&o.quiet, "q", false, "print violations only (no warnings)")
	fs.BoolVar(&o.notes, "notes", false, "render: print the rendered NOTES.txt instead of the manifests")
	fs.StringVar(&o.manifests, "manifests", "", "check: read already rendered manifests from this file (- for stdin) instead of rendering")
	switch cmd {
	case "render", "check", "env":
	case "vars":
		fs.Parse(os.Args[2:])
		os.Exit(runVars(o))
	case "-h", "--help", "help":
		usage()
		return
	default:
		fmt.Fprintf(os.Stderr, "chartcheck: unknown command %q\n", cmd)
		usage()
		os.Exit(2)
	}
	if err := fs.Parse(os.Args[2:]); err != nil {
		os.Exit(2)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "chartcheck: unexpected arguments %v\n", fs.Args())
		os.Exit(2)
	}
	if o.chart == "" && !(cmd == "check" && o.manifests != "") {
		fmt.Fprintln(os.Stderr, "chartcheck: --chart is required")
		os.Exit(2)
	}
	switch cmd {
	case "render":
		os.Exit(runRender(o))
	case "check":
		os.Exit(runCheck(o))
	case "env":
		os.Exit(runEnv(o))
	}
}

// Result is a render.
type Result struct {
	Chart      *Chart
	Values     map[string]interface{}
	Caps       *Capabilities
	Docs       []*Doc
	Notes      *RenderedTemplate
	Errors     []string // render errors (Helm would stop at the first)
	NotesError string
}

// Fatal errors stop before rendering (no chart, bad values, schema).
func renderChart(o options) (*Result, error) {
	c, err := LoadChart(o.chart)
	if err != nil {
		return nil, err
	}
	user := map[string]interface{}{}
	for _, f := range o.valueFiles {
		data, err := ioutil.ReadFile(f)
		if err != nil {
			return nil, err
		}
		v, err := parseValuesYAML(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f, err)
		}
		user = mergeMaps(user, v)
	}
	for _, s := range o.sets {
		if err := parseSet(user, s, true); err != nil {
			return nil, err
		}
	}
	for _, s := range o.setStrings {
		if err := parseSet(user, s, false); err != nil {
			return nil, err
		}
	}
	values := coalesce(c.Values, user)
	removeNulls(values)
	if c.Schema != nil {
		errs, unknown, err := ValidateSchema(c.Schema, values)
		if err != nil {
			return nil, err
		}
		for _, u := range unknown {
			warnf("values.schema.json: keyword %s is not known to chartcheck (ignored)", u)
		}
		if len(errs) > 0 {
			var b strings.Builder
			fmt.Fprintf(&b, "values don't meet the specifications of the schema(s) in the following chart(s):\n%s:\n", c.Metadata.Name)
			for _, e := range errs {
				fmt.Fprintf(&b, "- %s\n", e)
			}
			return nil, fmt.Errorf("%s", strings.TrimRight(b.String(), "\n"))
		}
	}
	caps, err := NewCapabilities(o.kubeVersion, o.apiVersions)
	if err != nil {
		return nil, err
	}
	if err := checkKubeVersion(c, caps); err != nil {
		return nil, err
	}
	rendered, rerrs := Render(c, values, RenderOptions{
		Release:      ReleaseOptions{Name: o.release, Namespace: o.namespace, Revision: 1, IsInstall: true},
		Capabilities: caps,
		Strict:       o.strict,
	})
	r := &Result{Chart: c, Values: values, Caps: caps}
	notesName := c.Metadata.Name + "/templates/NOTES.txt"
	seen := map[string]bool{}
	for _, e := range rerrs {
		msg := e.Error()
		if !strings.Contains(msg, "("+e.Template+":") {
			msg = "rendering " + e.Template + ": " + msg
		}
		if e.Template == notesName {
			r.NotesError = msg
			continue
		}
		if !seen[msg] {
			seen[msg] = true
			r.Errors = append(r.Errors, msg)
		}
	}
	for i := range rendered {
		if rendered[i].Name == notesName {
			r.Notes = &rendered[i]
		}
	}
	docs, derrs := BuildManifests(c.Metadata.Name, rendered, caps)
	for _, e := range derrs {
		r.Errors = append(r.Errors, e.Error())
	}
	r.Docs = docs
	return r, nil
}

// mergeMaps merges -f files: later files win, maps merge.
func mergeMaps(a, b map[string]interface{}) map[string]interface{} {
	out := deepCopyMap(a)
	for k, v := range b {
		if bm, ok := v.(map[string]interface{}); ok {
			if am, ok := out[k].(map[string]interface{}); ok {
				out[k] = mergeMaps(am, bm)
				continue
			}
		}
		out[k] = deepCopy(v)
	}
	return out
}

func runRender(o options) int {
	r, err := renderChart(o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		return 1
	}
	errs := r.Errors
	if r.NotesError != "" {
		errs = append(errs, r.NotesError)
	}
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintf(os.Stderr, "Error: %s\n", e)
		}
		return 1
	}
	for _, d := range r.Docs {
		if d.ParseErr != nil {
			fmt.Fprintf(os.Stderr, "Error: YAML parse error on %s: %v\n", d.Source, d.ParseErr)
			return 1
		}
	}
	if o.notes {
		if r.Notes != nil {
			fmt.Print(r.Notes.Output)
		}
		return 0
	}
	WriteManifests(os.Stdout, r.Docs)
	return 0
}

func findPromtool(o options) string {
	switch o.promtool {
	case "none":
		return ""
	case "":
		p, err := exec.LookPath("promtool")
		if err != nil {
			return ""
		}
		return p
	default:
		return o.promtool
	}
}

func runCheck(o options) int {
	if o.manifests != "" {
		var data []byte
		var err error
		if o.manifests == "-" {
			data, err = ioutil.ReadAll(os.Stdin)
		} else {
			data, err = ioutil.ReadFile(o.manifests)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "chartcheck: %v\n", err)
			return 2
		}
		return report(o, &Result{Docs: ParseManifestStream(string(data))}, o.manifests)
	}
	r, err := renderChart(o)
	if err != nil {
		fmt.Printf("VIOLATION [render] %v\n", err)
		fmt.Println("chartcheck: 1 violation (the chart did not render)")
		return 1
	}
	if len(r.Errors) > 0 {
		// Helm stops at the first error; the manifests are incomplete.
		for _, e := range r.Errors {
			fmt.Printf("VIOLATION [render] %s\n", e)
		}
		if r.NotesError != "" {
			fmt.Printf("VIOLATION [notes] %s\n", r.NotesError)
		}
		fmt.Printf("chartcheck: the chart did not render (%d error(s)); nothing else was checked\n", len(r.Errors))
		return 1
	}
	return report(o, r, filepath.Clean(o.chart))
}

func report(o options, r *Result, what string) int {
	k := &Checker{Docs: r.Docs, Namespace: o.namespace, Promtool: findPromtool(o)}
	if r.Chart == nil {
		// pre-rendered manifests: no NOTES.txt
	} else if r.NotesError != "" {
		k.errorf("notes", "NOTES.txt", "%s", r.NotesError)
	} else if r.Notes == nil {
		k.warnf("notes", "", "the chart has no templates/NOTES.txt")
	} else if strings.TrimSpace(r.Notes.Output) == "" {
		k.errorf("notes", "NOTES.txt", "renders empty")
	}
	if o.repo != "" {
		env, err := ScanEnv(o.repo)
		if err != nil {
			fmt.Printf("VIOLATION [env] %v\n", err)
			return 1
		}
		k.Env = env
	}
	if k.Promtool == "" && len(k.ofKind("PrometheusRule")) > 0 {
		k.warnf("prometheusrule", "", "promtool not found: the rules' PromQL was not checked (structure only)")
	}
	k.Run()
	sort.SliceStable(k.Findings, func(i, j int) bool {
		return k.Findings[i].Severity == "error" && k.Findings[j].Severity != "error"
	})
	warnings := 0
	for _, f := range k.Findings {
		if f.Severity == "warning" {
			warnings++
			if o.quiet {
				continue
			}
		}
		fmt.Println(f.String())
	}
	n := k.Errors()
	fmt.Printf("chartcheck: %s with %d values file(s): %d documents, %d violation(s), %d warning(s)\n",
		what, len(o.valueFiles), len(r.Docs), n, warnings)
	if n > 0 {
		return 1
	}
	return 0
}

func runEnv(o options) int {
	r, err := renderChart(o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		return 1
	}
	k := &Checker{Docs: r.Docs, Namespace: o.namespace}
	k.collectWorkloads()
	for _, w := range k.workloads {
		for _, c := range w.containers() {
			for _, e := range k.effectiveEnv(c) {
				v := e.Value
				switch {
				case e.Secret:
					v = "<" + e.Source + ">"
				case !e.Known:
					v = "<" + e.Source + ": unknown>"
				}
				fmt.Printf("%s/%s %s %s=%s\n", w.Kind, w.Name, c.Name, e.Name, v)
			}
			for _, a := range commandArgs(c.M) {
				fmt.Printf("%s/%s %s arg %s\n", w.Kind, w.Name, c.Name, a)
			}
		}
	}
	return 0
}

func runVars(o options) int {
	if o.repo == "" {
		fmt.Fprintln(os.Stderr, "chartcheck: vars needs --repo")
		return 2
	}
	env, err := ScanEnv(o.repo)
	if err != nil {
		fmt.Fprintf(os.Stderr, "chartcheck: %v\n", err)
		return 1
	}
	for _, b := range Binaries {
		names := make([]string, 0, len(env.PerBinary[b]))
		for n := range env.PerBinary[b] {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			spec := env.Specs[n]
			extra := spec.Kind
			if spec.Min != nil {
				extra += fmt.Sprintf(" [%d,%d]", *spec.Min, *spec.Max)
			}
			if len(spec.Choices) > 0 {
				extra += " {" + strings.Join(spec.Choices, ",") + "}"
			}
			fmt.Printf("%s %s %s\n", b, n, extra)
		}
		if l, ok := env.Listen[b]; ok {
			fmt.Printf("%s listens %v\n", b, l)
		}
	}
	for _, n := range env.Notes {
		fmt.Printf("note: %s\n", n)
	}
	return 0
}

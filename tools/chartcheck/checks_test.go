package main

import (
	"os/exec"
	"strings"
	"testing"
)

// baseline is the fixture chart's render, which passes every check.
func baseline(t *testing.T) string {
	t.Helper()
	r, err := renderMini(t, "admin.password=s3cret-pw")
	if err != nil || len(r.Errors) > 0 {
		t.Fatalf("render: %v %v", err, r.Errors)
	}
	var sb strings.Builder
	WriteManifests(&sb, r.Docs)
	return sb.String()
}

func runChecks(t *testing.T, text string) *Checker {
	t.Helper()
	env, err := ScanEnv("testdata/repo")
	if err != nil {
		t.Fatal(err)
	}
	promtool, _ := exec.LookPath("promtool")
	k := &Checker{Docs: ParseManifestStream(text), Env: env, Namespace: "agora", Promtool: promtool}
	k.Run()
	return k
}

// mutate replaces the n-th (1-based) occurrence of old.
func mutate(t *testing.T, text, old, new string, n int) string {
	t.Helper()
	idx := -1
	from := 0
	for i := 0; i < n; i++ {
		j := strings.Index(text[from:], old)
		if j < 0 {
			t.Fatalf("mutation: %q occurs fewer than %d times", old, n)
		}
		idx = from + j
		from = idx + len(old)
	}
	return text[:idx] + new + text[idx+len(old):]
}

func errorsOf(k *Checker) []string {
	var out []string
	for _, f := range k.Findings {
		if f.Severity == "error" {
			out = append(out, f.String())
		}
	}
	return out
}

func TestBaselinePasses(t *testing.T) {
	k := runChecks(t, baseline(t))
	if errs := errorsOf(k); len(errs) > 0 {
		t.Fatalf("the fixture has violations:\n%s", strings.Join(errs, "\n"))
	}
}

// Each case breaks the fixture's render in one way; the named check must
// report it (and the message must say what is wrong).
func TestChecksCatchBrokenManifests(t *testing.T) {
	base := baseline(t)
	hookJob := `
---
# Source: mini/templates/job.yaml
apiVersion: batch/v1
kind: Job
metadata:
  name: agora-mini-migrate
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
spec:
  template:
    spec:
      restartPolicy: Never
      securityContext:
        runAsNonRoot: true
      containers:
        - name: migrate
          image: registry.example.com/agora:1.2.3
          command: ["/usr/local/bin/customers", "--migrate-only=true"]
          envFrom:
            - secretRef:
                name: agora-mini-admin
          resources:
            requests: {cpu: 10m, memory: 32Mi}
            limits: {cpu: 100m, memory: 64Mi}
          securityContext:
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
`
	cases := []struct {
		name, old, new string
		n              int
		check, want    string
	}{
		{"probe on an undeclared port", "readinessProbe:\n            grpc:\n              port: 50062", "readinessProbe:\n            grpc:\n              port: 50099", 1,
			"probes", "readinessProbe.grpc.port 50099 is not declared"},
		{"probe on an undeclared port name", "readinessProbe:\n            httpGet:\n              path: /healthz\n              port: http", "readinessProbe:\n            httpGet:\n              path: /healthz\n              port: web", 1,
			"probes", `readinessProbe.httpGet.port "web" names no port`},
		{"grpc probe with a named port", "livenessProbe:\n            grpc:\n              port: 50062", "livenessProbe:\n            grpc:\n              port: grpc", 1,
			"probes", "gRPC probes take a port NUMBER"},
		{"missing readiness probe", "readinessProbe:\n            grpc:\n              port: 50062", "startupProbe:\n            grpc:\n              port: 50062", 1,
			"probes", "has no readinessProbe"},
		{"gateway readiness on /readyz", "path: /healthz\n              port: http\n          livenessProbe", "path: /readyz\n              port: http\n          livenessProbe", 1,
			"probes", "readinessProbe uses /readyz"},
		{"unknown env var", "            - name: AGORA_CUSTOMERS_ADDRESS", "            - name: AGORA_NOT_READ\n              value: x\n            - name: AGORA_CUSTOMERS_ADDRESS", 1,
			"env", "AGORA_NOT_READ (from env) is read by no Agora binary"},
		{"env var of another binary", "            - name: AGORA_CUSTOMERS_ADDRESS", "            - name: AGORA_PG_HOST\n              value: db\n            - name: AGORA_CUSTOMERS_ADDRESS", 1,
			"env", "AGORA_PG_HOST (from env) is not read by gateway"},
		{"unknown key in an envFrom ConfigMap", "  AGORA_DEMO_PAYMENTS: \"false\"", "  AGORA_DEMO_PAYMENTS: \"false\"\n  AGORA_TYPO_LEVEL: debug", 1,
			"env", "AGORA_TYPO_LEVEL (from ConfigMap agora-mini-customers) is read by no Agora binary"},
		{"a value the binary refuses", `AGORA_LOG_LEVEL: "info"`, `AGORA_LOG_LEVEL: "verbose"`, 1,
			"env", `AGORA_LOG_LEVEL="verbose" (from ConfigMap agora-mini-customers) is not one of debug, info, warn, error`},
		{"a boolean the binary refuses", `AGORA_DEMO_PAYMENTS: "false"`, `AGORA_DEMO_PAYMENTS: "nope"`, 1,
			"env", "is not a boolean"},
		{"a flag without a value", `command: ["/usr/local/bin/customers"]`, `command: ["/usr/local/bin/customers", "--migrate-only"]`, 1,
			"env", `flag "--migrate-only" has no value`},
		{"an unknown flag", `command: ["/usr/local/bin/customers"]`, `command: ["/usr/local/bin/customers", "--pg-hots=db"]`, 1,
			"env", "flag --pg-hots (AGORA_PG_HOTS) is not read by customers"},
		{"numeric env value", "              value: \"agora-mini-customers:50062\"", "              value: 5", 1,
			"types", "env AGORA_CUSTOMERS_ADDRESS has a number value"},
		{"image :latest", "image: registry.example.com/agora:1.2.3", "image: registry.example.com/agora:latest", 1,
			"images", "is not pinned: :latest"},
		{"image without tag", "image: registry.example.com/agora:1.2.3", "image: registry.example.com:5000/agora", 2,
			"images", "no tag"},
		{"empty tag", "image: registry.example.com/agora:1.2.3", "image: \"registry.example.com/agora:\"", 1,
			"images", "empty tag"},
		{"Service selector matches nothing", "    app.kubernetes.io/component: customers\n  ports:", "    app.kubernetes.io/component: customerz\n  ports:", 1,
			"selectors", "matches the pods of no Deployment"},
		{"Service selector too broad", "    app.kubernetes.io/component: customers\n  ports:", "  ports:", 1,
			"selectors", "matches the pods of several workloads"},
		{"Deployment selector not in the pod labels", "      app.kubernetes.io/component: customers\n  template:", "      app.kubernetes.io/component: customers\n      tier: backend\n  template:", 1,
			"selectors", "does not match the pod template labels"},
		{"Service targetPort not declared", "      targetPort: grpc", "      targetPort: grpc-api", 1,
			"ports", "targets port grpc-api, which no container"},
		{"PDB selects nothing", "      app.kubernetes.io/component: gateway\n---", "      app.kubernetes.io/component: gateways\n---", 1,
			"selectors", "PodDisruptionBudget/agora-mini-gateway"},
		{"HPA target missing", "    name: agora-mini-gateway\n  minReplicas", "    name: agora-mini-gw\n  minReplicas", 1,
			"selectors", "scaleTargetRef Deployment/agora-mini-gw is not in the chart"},
		{"NetworkPolicy selects nothing", "      app.kubernetes.io/component: gateway\n  policyTypes", "      app.kubernetes.io/component: gw\n  policyTypes", 1,
			"netpol", "matches no workload"},
		{"NetworkPolicy blocks a caller", "              app.kubernetes.io/component: gateway\n      ports:", "              app.kubernetes.io/component: orders\n      ports:", 1,
			"netpol", "no NetworkPolicy lets Deployment/agora-mini-gateway reach Deployment/agora-mini-customers on port 50062"},
		{"NetworkPolicy opens a backend", "        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: monitoring\n      ports:\n        - port: metrics", "        - namespaceSelector: {}", 1,
			"netpol", "port 50062 (grpc) is reachable from outside the namespace"},
		{"caller address names no Service", `value: "agora-mini-customers:50062"`, `value: "agora-customers:50062"`, 1,
			"netpol", `no Service "agora-customers" in the chart`},
		{"caller address on a wrong port", `value: "agora-mini-customers:50062"`, `value: "agora-mini-customers:50061"`, 1,
			"ports", "Service agora-mini-customers has no port 50061"},
		{"ServiceMonitor port name missing", "    - port: metrics\n      relabelings", "    - port: prom\n      relabelings", 1,
			"servicemonitor", `endpoints[0].port "prom" is not a port name of any selected Service`},
		{"ServiceMonitor relabels from a missing label", "__meta_kubernetes_service_label_app_kubernetes_io_component", "__meta_kubernetes_service_label_app_kubernetes_io_part_of", 1,
			"servicemonitor", "has no such label"},
		{"missing cpu limit", "            limits:\n              cpu: \"1\"\n", "            limits:\n", 1,
			"resources", "has no resources.limits.cpu"},
		{"request above limit", "              memory: 128Mi", "              memory: 1Gi", 1,
			"resources", "resources.requests.memory (1Gi) exceeds the limit (256Mi)"},
		{"writable root filesystem", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", 1,
			"security", "readOnlyRootFilesystem is not true"},
		{"privilege escalation", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", 2,
			"security", "allowPrivilegeEscalation is not false"},
		{"root allowed", "        runAsNonRoot: true\n        runAsUser: 10001\n", "        runAsUser: 0\n", 1,
			"security", "runAsUser is 0"},
		{"container port the binary does not listen on", "containerPort: 50062", "containerPort: 50051", 1,
			"ports", "customers listens on 50062 (AGORA_GRPC_ADDRESS default) but the container does not declare containerPort 50062"},
		{"dashboard is not JSON", `"uid": "mini-overview",`, `"uid": "mini-overview",,`, 1,
			"dashboards", "data[overview.json] is not JSON"},
		{"rule without expr", "          expr: up{service=\"customers\"} == 0\n", "", 1,
			"prometheusrule", "expr is missing"},
		{"rule with a bad duration", "for: 5m", "for: 5 minutes", 1,
			"prometheusrule", "bad duration"},
		{"document that is not YAML", "kind: ServiceAccount\nmetadata:\n  name: agora-mini", "kind: ServiceAccount\nmetadata:\n  name: [agora-mini", 1,
			"yaml", "YAML parse error"},
		{"document without kind", "kind: ServiceAccount\n", "", 1,
			"yaml", "missing kind"},
		{"duplicate resource", "---\n# Source: mini/templates/serviceaccount.yaml", "---\n# Source: mini/templates/x.yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: agora-mini\n---\n# Source: mini/templates/serviceaccount.yaml", 1,
			"names", "duplicate of the ServiceAccount"},
		{"port name too long", "            - name: metrics\n              containerPort: 9162", "            - name: prometheus-metrics\n              containerPort: 9162", 1,
			"types", `port name "prometheus-metrics" is not a valid IANA service name`},
		{"missing Secret key", "            - name: AGORA_CUSTOMERS_ADDRESS", "            - name: AGORA_LOG_LEVEL\n              valueFrom:\n                secretKeyRef: {name: agora-mini-admin, key: level}\n            - name: AGORA_CUSTOMERS_ADDRESS", 1,
			"refs", `reads key "level" of Secret agora-mini-admin, which has no such key`},
		{"key file not mounted", "            - name: AGORA_CUSTOMERS_ADDRESS", "            - name: AGORA_JWT_PUBLIC_KEY_FILE\n              value: /etc/agora/jwt/public.pem\n            - name: AGORA_CUSTOMERS_ADDRESS", 1,
			"files", "AGORA_JWT_PUBLIC_KEY_FILE=/etc/agora/jwt/public.pem: no volumeMount holds this path"},
		{"Ingress backend port missing", "                  name: http\n", "                  name: https\n", 1,
			"ingress", "backend Service agora-mini-gateway has no port https"},
		{"pre-install hook uses a release Secret", "---\n# Source: mini/templates/serviceaccount.yaml", strings.TrimPrefix(hookJob, "\n") + "---\n# Source: mini/templates/serviceaccount.yaml", 1,
			"hooks", "Helm creates only AFTER the pre-install hooks"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := runChecks(t, mutate(t, base, c.old, c.new, c.n))
			errs := errorsOf(k)
			for _, e := range errs {
				if strings.Contains(e, "["+c.check+"]") && strings.Contains(e, c.want) {
					return
				}
			}
			t.Errorf("no [%s] violation containing %q; got:\n%s", c.check, c.want, strings.Join(errs, "\n"))
		})
	}
}

// A runtime variable the binary's code never reaches is a warning.
func TestEnvOfUncalledRuntimeCode(t *testing.T) {
	k := runChecks(t, mutate(t, baseline(t), "            - name: AGORA_CUSTOMERS_ADDRESS", "            - name: AGORA_PG_DATABASE\n              value: agora\n            - name: AGORA_CUSTOMERS_ADDRESS", 1))
	if errs := errorsOf(k); len(errs) > 0 {
		t.Errorf("violations: %v", errs)
	}
	for _, f := range k.Findings {
		if f.Check == "env" && strings.Contains(f.Message, "AGORA_PG_DATABASE (from env): gateway does not call the runtime code that reads it") {
			return
		}
	}
	t.Errorf("no warning: %v", k.Findings)
}

func TestPromtoolCatchesBadPromQL(t *testing.T) {
	if _, err := exec.LookPath("promtool"); err != nil {
		t.Skip("promtool not installed")
	}
	k := runChecks(t, mutate(t, baseline(t), `expr: up{service="customers"} == 0`, `expr: up{service="customers" == 0`, 1))
	for _, e := range errorsOf(k) {
		if strings.Contains(e, "promtool check rules failed") {
			return
		}
	}
	t.Errorf("promtool did not reject a broken expression: %v", errorsOf(k))
}

func TestImageProblem(t *testing.T) {
	for image, bad := range map[string]bool{
		"r.example.com/agora:1.2.3":                                 false,
		"r.example.com:5000/agora:1.2.3":                            false,
		"r.example.com/agora@sha256:" + strings.Repeat("a", 64):     false,
		"r.example.com/agora:1.2@sha256:" + strings.Repeat("0", 64): false,
		"agora":                    true,
		"agora:latest":             true,
		"r.example.com:5000/agora": true,
		"agora@sha256:abc":         true,
		"":                         true,
	} {
		if got := imageProblem(image) != ""; got != bad {
			t.Errorf("imageProblem(%q) = %q", image, imageProblem(image))
		}
	}
}

func TestQuantities(t *testing.T) {
	for _, c := range []struct {
		a, b interface{}
		cmp  int
	}{{"100m", "0.1", 0}, {"1Gi", "1024Mi", 0}, {"1G", "1Gi", -1}, {1, "1000m", 0}, {"1e3", "1k", 0}, {"500Mi", "0.5Gi", -1}} {
		qa, err1 := parseQuantity(c.a)
		qb, err2 := parseQuantity(c.b)
		if err1 != nil || err2 != nil {
			t.Fatalf("%v %v", err1, err2)
		}
		if qa.Cmp(qb) != c.cmp {
			t.Errorf("%v vs %v: %d", c.a, c.b, qa.Cmp(qb))
		}
	}
	if _, err := parseQuantity("1 GB"); err == nil {
		t.Error("1 GB accepted")
	}
}

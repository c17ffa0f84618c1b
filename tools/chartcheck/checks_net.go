package main

// NetworkPolicies: every policy selects pods of the chart, named ports
// exist, and the flows the configuration implies are allowed: each caller
// (a container whose AGORA_<X>_ADDRESS names a Service of the chart)
// reaches that Service's pods, the gateway is reachable from outside the
// namespace, and no other workload is (except on its metrics port).

import (
	"fmt"
	"strconv"
	"strings"
)

// peer is one end of a connection.
type peer struct {
	w       *Workload // nil: a client outside the namespace
	labels  map[string]string
	outside bool
}

func (k *Checker) netpols() []*Doc { return k.ofKind("NetworkPolicy") }

func policyTypes(np *Doc) (ingress, egress bool) {
	types := listAt(np.Obj, "spec", "policyTypes")
	if len(types) == 0 {
		_, hasEgress := mapAt(np.Obj, "spec")["egress"]
		return true, hasEgress
	}
	for _, t := range types {
		switch t {
		case "Ingress":
			ingress = true
		case "Egress":
			egress = true
		}
	}
	return
}

// policySelects: the policy applies to the workload's pods.
func policySelects(np *Doc, w *Workload) bool {
	sel := mapAt(np.Obj, "spec", "podSelector")
	if _, ok := mapAt(np.Obj, "spec")["podSelector"]; !ok {
		return false
	}
	return selectorMatches(sel, w.PodLabels)
}

// peerMatches: a NetworkPolicyPeer admits the peer p. Namespace labels are
// unknown here, except kubernetes.io/metadata.name; a namespaceSelector
// that is not about this namespace is taken to admit outside clients.
func (k *Checker) peerMatches(rule map[string]interface{}, p peer) bool {
	podSel, hasPod := rule["podSelector"]
	nsSel, hasNS := rule["namespaceSelector"]
	ipBlock := mapAt(rule, "ipBlock")
	if ipBlock != nil {
		cidr := strAt(ipBlock, "cidr")
		all := cidr == "0.0.0.0/0" || cidr == "::/0"
		if p.outside {
			return true
		}
		return all && len(listAt(ipBlock, "except")) == 0
	}
	podSelMap, _ := podSel.(map[string]interface{})
	if !hasNS {
		if p.outside {
			return false
		}
		return hasPod && selectorMatches(podSelMap, p.labels)
	}
	nsMap, _ := nsSel.(map[string]interface{})
	sameNS := selectorEmpty(nsMap) || k.selectsReleaseNamespace(nsMap)
	if p.outside {
		// An outside client is admitted by a selector of other namespaces.
		if !k.onlyReleaseNamespace(nsMap) {
			return !hasPod || selectorEmpty(podSelMap)
		}
		return false
	}
	if !sameNS {
		return false
	}
	return !hasPod || selectorMatches(podSelMap, p.labels)
}

func (k *Checker) selectsReleaseNamespace(ns map[string]interface{}) bool {
	return selectorMatches(ns, map[string]string{"kubernetes.io/metadata.name": k.Namespace})
}

func (k *Checker) onlyReleaseNamespace(ns map[string]interface{}) bool {
	v, ok := mapAt(ns, "matchLabels")["kubernetes.io/metadata.name"]
	return ok && fmt.Sprint(v) == k.Namespace && len(listAt(ns, "matchExpressions")) == 0
}

// portMatches: a NetworkPolicyPort admits a TCP port of the destination
// (named ports resolve on the destination pod's containers).
func portMatches(pp map[string]interface{}, dst *Workload, port int) bool {
	proto, _ := pp["protocol"].(string)
	if proto != "" && proto != "TCP" {
		return false
	}
	p, ok := pp["port"]
	if !ok {
		return true
	}
	switch x := p.(type) {
	case int:
		if end, ok := pp["endPort"].(int); ok {
			return port >= x && port <= end
		}
		return x == port
	case string:
		if dst == nil {
			return false
		}
		return resolvePort(dst, x) == port
	}
	return false
}

func (k *Checker) rulesAllow(rules []map[string]interface{}, peersKey string, other peer, portDst *Workload, port int) bool {
	for _, r := range rules {
		peers, hasPeers := r[peersKey]
		peerOK := !hasPeers || len(maps(peers.([]interface{}))) == 0
		if !peerOK {
			for _, pm := range maps(listAt(r, peersKey)) {
				if k.peerMatches(pm, other) {
					peerOK = true
					break
				}
			}
		}
		if !peerOK {
			continue
		}
		ports := maps(listAt(r, "ports"))
		if len(ports) == 0 {
			return true
		}
		for _, pp := range ports {
			if portMatches(pp, portDst, port) {
				return true
			}
		}
	}
	return false
}

// ingressAllowed: src may open TCP port `port` on dst's pods.
func (k *Checker) ingressAllowed(src peer, dst *Workload, port int) bool {
	isolated := false
	for _, np := range k.netpols() {
		in, _ := policyTypes(np)
		if !in || !policySelects(np, dst) {
			continue
		}
		isolated = true
		if k.rulesAllow(maps(listAt(np.Obj, "spec", "ingress")), "from", src, dst, port) {
			return true
		}
	}
	return !isolated
}

// egressAllowed: src's pods may open TCP port `port` to dst (a workload, or
// outside when dst is nil).
func (k *Checker) egressAllowed(src *Workload, dst peer, port int) bool {
	isolated := false
	for _, np := range k.netpols() {
		_, eg := policyTypes(np)
		if !eg || !policySelects(np, src) {
			continue
		}
		isolated = true
		if k.rulesAllow(maps(listAt(np.Obj, "spec", "egress")), "to", dst, dst.w, port) {
			return true
		}
	}
	return !isolated
}

func (k *Checker) egressAllowsDNS(src *Workload) bool {
	isolated := false
	for _, np := range k.netpols() {
		_, eg := policyTypes(np)
		if !eg || !policySelects(np, src) {
			continue
		}
		isolated = true
		for _, r := range maps(listAt(np.Obj, "spec", "egress")) {
			ports := maps(listAt(r, "ports"))
			if len(ports) == 0 {
				return true
			}
			for _, pp := range ports {
				proto, _ := pp["protocol"].(string)
				if p, ok := pp["port"].(int); ok && p == 53 && (proto == "UDP" || proto == "") {
					return true
				}
			}
		}
	}
	return !isolated
}

// serviceForHost finds the Service a host name resolves to in the release
// namespace (name, name.ns, name.ns.svc, name.ns.svc.cluster.local).
func (k *Checker) serviceForHost(host string) *Doc {
	h := strings.TrimSuffix(host, ".")
	for _, suffix := range []string{".svc.cluster.local", ".svc"} {
		h = strings.TrimSuffix(h, suffix)
	}
	if i := strings.Index(h, "."); i >= 0 {
		if h[i+1:] != k.Namespace {
			return nil
		}
		h = h[:i]
	}
	return k.find("Service", h)
}

func (k *Checker) checkNetworkPolicies() {
	nps := k.netpols()
	for _, np := range nps {
		if _, ok := mapAt(np.Obj, "spec")["podSelector"]; !ok {
			k.errorf("netpol", np.ID(), "spec.podSelector is missing (use {} for every pod)")
			continue
		}
		var selected []*Workload
		for _, w := range k.workloads {
			if policySelects(np, w) {
				selected = append(selected, w)
			}
		}
		if len(selected) == 0 {
			k.errorf("netpol", np.ID(), "podSelector %s matches no workload of the chart", formatLabels(stringMap(mapAt(np.Obj, "spec", "podSelector", "matchLabels"))))
			continue
		}
		for _, dir := range []string{"ingress", "egress"} {
			peersKey := "from"
			if dir == "egress" {
				peersKey = "to"
			}
			for i, r := range maps(listAt(np.Obj, "spec", dir)) {
				for _, pp := range maps(listAt(r, "ports")) {
					name, isName := pp["port"].(string)
					if !isName {
						continue
					}
					if _, err := strconv.Atoi(name); err == nil {
						k.errorf("netpol", np.ID(), "%s[%d] port %q is a number written as a string (read as a port name)", dir, i, name)
						continue
					}
					if dir == "ingress" {
						found := false
						for _, w := range selected {
							if resolvePort(w, name) != 0 {
								found = true
							}
						}
						if !found {
							k.errorf("netpol", np.ID(), "ingress[%d] allows port %q, which no selected pod declares", i, name)
						}
					}
				}
				for _, pm := range maps(listAt(r, peersKey)) {
					_, hasNS := pm["namespaceSelector"]
					ps, hasPod := pm["podSelector"].(map[string]interface{})
					if hasNS || !hasPod {
						continue
					}
					any := false
					for _, w := range k.workloads {
						if selectorMatches(ps, w.PodLabels) {
							any = true
						}
					}
					if !any {
						k.warnf("netpol", np.ID(), "%s[%d] names pods %s, which the chart does not run", dir, i, formatLabels(stringMap(mapAt(ps, "matchLabels"))))
					}
				}
			}
		}
	}
	if len(nps) == 0 {
		return
	}
	k.checkFlows()
}

// checkFlows evaluates the connections the configuration implies.
func (k *Checker) checkFlows() {
	// Every serving workload is isolated for ingress.
	for _, w := range k.workloads {
		if !w.Serving {
			continue
		}
		isolated := false
		for _, np := range k.netpols() {
			if in, _ := policyTypes(np); in && policySelects(np, w) {
				isolated = true
			}
		}
		if !isolated {
			k.errorf("netpol", w.Doc.ID(), "no NetworkPolicy restricts ingress to its pods: any pod of the cluster can call it")
		}
	}
	// Callers reach their backends (AGORA_*_ADDRESS = host:port of a Service).
	wanted := map[*Workload]map[*Workload]bool{}
	for _, src := range k.workloads {
		for _, c := range src.containers() {
			for _, e := range k.effectiveEnv(c) {
				if !strings.HasSuffix(e.Name, "_ADDRESS") || !e.Known || e.Name == "AGORA_GRPC_ADDRESS" || e.Name == "AGORA_HTTP_ADDRESS" || e.Name == "AGORA_METRICS_ADDRESS" {
					continue
				}
				i := strings.LastIndex(e.Value, ":")
				if i < 0 {
					continue
				}
				host := e.Value[:i]
				port, err := strconv.Atoi(e.Value[i+1:])
				if err != nil {
					continue
				}
				svc := k.serviceForHost(host)
				if svc == nil {
					if !strings.Contains(host, ".") || strings.HasSuffix(host, ".svc") || strings.HasSuffix(host, ".svc.cluster.local") {
						k.errorf("netpol", c.Where(), "%s=%s: no Service %q in the chart", e.Name, e.Value, host)
					}
					continue
				}
				var sp map[string]interface{}
				for _, p := range maps(listAt(svc.Obj, "spec", "ports")) {
					if n, _ := p["port"].(int); n == port {
						sp = p
					}
				}
				if sp == nil {
					k.errorf("ports", c.Where(), "%s=%s: Service %s has no port %d", e.Name, e.Value, svc.Name, port)
					continue
				}
				tp, ok := sp["targetPort"]
				if !ok {
					tp = sp["port"]
				}
				serving, _ := k.servicePods(svc)
				if strAt(svc.Obj, "spec", "clusterIP") == "None" {
					// Headless: DNS gives pod addresses, the client connects to the
					// pods on the port of the address itself.
					for _, dst := range serving {
						if resolvePort(dst, tp) != port {
							k.errorf("ports", c.Where(), "%s=%s: %s is headless, so clients connect to the pods on port %d, but its port %d targets %v", e.Name, e.Value, svc.Name, port, port, tp)
						}
					}
					tp = port
				}
				for _, dst := range serving {
					target := resolvePort(dst, tp)
					if target == 0 {
						continue // reported by checkServices
					}
					if wanted[src] == nil {
						wanted[src] = map[*Workload]bool{}
					}
					wanted[src][dst] = true
					if !k.ingressAllowed(peer{w: src, labels: src.PodLabels}, dst, target) {
						k.errorf("netpol", c.Where(), "%s=%s, but no NetworkPolicy lets %s reach %s on port %d", e.Name, e.Value, src.Kind+"/"+src.Name, dst.Kind+"/"+dst.Name, target)
					}
					if !k.egressAllowed(src, peer{w: dst, labels: dst.PodLabels}, target) {
						k.errorf("netpol", c.Where(), "%s=%s, but the egress policies of %s do not allow port %d to %s", e.Name, e.Value, src.Name, target, dst.Name)
					}
				}
			}
		}
		isolatedEgress := false
		for _, np := range k.netpols() {
			if _, eg := policyTypes(np); eg && policySelects(np, src) {
				isolatedEgress = true
			}
		}
		if isolatedEgress && !k.egressAllowsDNS(src) {
			k.errorf("netpol", src.Doc.ID(), "egress is restricted but DNS (port 53/UDP) is not allowed: no name resolves")
		}
	}
	// From outside the namespace: the gateway's ports yes, others only metrics.
	outside := peer{outside: true}
	for _, w := range k.workloads {
		if !w.Serving {
			continue
		}
		gateway := false
		for _, c := range w.containers() {
			if c.Binary == "gateway" {
				gateway = true
			}
		}
		for _, c := range w.containers() {
			if c.Init {
				continue
			}
			metricsPort := 0
			if k.Env != nil {
				if def, ok := k.Env.Listen[c.Binary]["AGORA_METRICS_PORT"]; ok {
					metricsPort = def
					if v, set, known := k.configValue(c, "AGORA_METRICS_PORT"); set && known {
						metricsPort, _ = strconv.Atoi(v)
					}
				}
			}
			for _, p := range maps(listAt(c.M, "ports")) {
				n, _ := p["containerPort"].(int)
				name, _ := p["name"].(string)
				isMetrics := n == metricsPort || name == "metrics"
				open := k.ingressAllowed(outside, w, n)
				switch {
				case gateway && !open:
					k.errorf("netpol", c.Where(), "the gateway's port %d (%s) is not reachable from outside the namespace (ingress controller, load balancer)", n, name)
				case !gateway && open && !isMetrics:
					k.errorf("netpol", c.Where(), "port %d (%s) is reachable from outside the namespace; only the gateway should be", n, name)
				}
			}
		}
	}
	// Within the release: only callers reach a service (metrics excluded).
	for _, src := range k.workloads {
		for _, dst := range k.workloads {
			if src == dst || !dst.Serving || wanted[src][dst] {
				continue
			}
			for _, c := range dst.containers() {
				if c.Init {
					continue
				}
				for _, p := range maps(listAt(c.M, "ports")) {
					n, _ := p["containerPort"].(int)
					name, _ := p["name"].(string)
					if name == "metrics" || (k.Env != nil && k.Env.Listen[c.Binary]["AGORA_METRICS_PORT"] == n) {
						continue
					}
					if k.ingressAllowed(peer{w: src, labels: src.PodLabels}, dst, n) && !k.ingressAllowed(peer{outside: true}, dst, n) {
						k.warnf("netpol", dst.Doc.ID(), "%s (not a caller: no AGORA_*_ADDRESS names it) may connect to its port %d (%s)", src.Kind+"/"+src.Name, n, name)
					}
				}
			}
		}
	}
}

// checkIngresses: every backend names a Service of the chart and one of its ports.
func (k *Checker) checkIngresses() {
	for _, ing := range k.ofKind("Ingress") {
		var backends []map[string]interface{}
		if b := mapAt(ing.Obj, "spec", "defaultBackend"); b != nil {
			backends = append(backends, b)
		}
		for _, r := range maps(listAt(ing.Obj, "spec", "rules")) {
			for _, p := range maps(listAt(r, "http", "paths")) {
				if b := mapAt(p, "backend"); b != nil {
					backends = append(backends, b)
				}
				if pt := strAt(p, "pathType"); pt != "Exact" && pt != "Prefix" && pt != "ImplementationSpecific" {
					k.errorf("ingress", ing.ID(), "path %v: pathType %q must be Exact, Prefix or ImplementationSpecific", p["path"], pt)
				}
			}
		}
		for _, b := range backends {
			svc := mapAt(b, "service")
			if svc == nil {
				continue // a resource backend
			}
			name := strAt(svc, "name")
			d := k.find("Service", name)
			if d == nil {
				k.errorf("ingress", ing.ID(), "backend Service %q is not in the chart", name)
				continue
			}
			port := mapAt(svc, "port")
			pname, _ := port["name"].(string)
			pnum, _ := port["number"].(int)
			found := false
			for _, p := range maps(listAt(d.Obj, "spec", "ports")) {
				if n, _ := p["name"].(string); pname != "" && n == pname {
					found = true
				}
				if n, _ := p["port"].(int); pnum != 0 && n == pnum {
					found = true
				}
			}
			if !found {
				want := pname
				if want == "" {
					want = fmt.Sprint(pnum)
				}
				k.errorf("ingress", ing.ID(), "backend Service %s has no port %s", name, want)
			}
		}
	}
}

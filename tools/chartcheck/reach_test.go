package main

import (
	"io/ioutil"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// With the reference help texts at hand (CHARTCHECK_HELP_DIR, e.g.
// /work/ops-ref with <binary>.help), the call-graph sets must equal what
// each binary prints in --help.
func TestReachableMatchesHelp(t *testing.T) {
	dir := os.Getenv("CHARTCHECK_HELP_DIR")
	if dir == "" {
		t.Skip("CHARTCHECK_HELP_DIR not set")
	}
	sets, err := reachableVars("../..")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`AGORA_[A-Z0-9_]+`)
	for _, b := range Binaries {
		data, err := ioutil.ReadFile(filepath.Join(dir, b+".help"))
		if err != nil {
			t.Fatal(err)
		}
		help := map[string]bool{}
		for _, n := range re.FindAllString(string(data), -1) {
			help[n] = true
		}
		var extra, missing []string
		for n := range sets[b] {
			if !help[n] && !(n == "AGORA_MIGRATE_ONLY" && b != "gateway") {
				extra = append(extra, n)
			}
		}
		for n := range help {
			if !sets[b][n] {
				missing = append(missing, n)
			}
		}
		sort.Strings(extra)
		sort.Strings(missing)
		if len(extra)+len(missing) > 0 {
			t.Errorf("%s: extra %s; missing %s", b, strings.Join(extra, " "), strings.Join(missing, " "))
		}
	}
}

package main

import (
	"os"
	"strings"
	"testing"
)

func TestScanEnvFixture(t *testing.T) {
	env, err := ScanEnv("testdata/repo")
	if err != nil {
		t.Fatal(err)
	}
	gw, cu := env.PerBinary["gateway"], env.PerBinary["customers"]
	for _, n := range []string{"AGORA_HTTP_PORT", "AGORA_CUSTOMERS_ADDRESS", "AGORA_SAGA_ADDRESS", "AGORA_GRPC_ADDRESS", "AGORA_MIGRATE_ONLY"} {
		if !gw[n] {
			t.Errorf("gateway lacks %s", n)
		}
	}
	if gw["AGORA_PG_HOST"] || !cu["AGORA_PG_HOST"] || !cu["AGORA_DEMO_PAYMENTS"] {
		t.Error("per-binary sets are wrong")
	}
	for _, n := range []string{"AGORA_ONLY_IN_A_TEST", "AGORA_COMMENTED_OUT", "AGORA_IN_BLOCK_COMMENT", "AGORA_"} {
		if env.All[n] {
			t.Errorf("%s must not be allowed (test file, comment or prefix)", n)
		}
	}
	if s := env.Specs["AGORA_LOG_LEVEL"]; s.Kind != "Choice" || strings.Join(s.Choices, ",") != "debug,info,warn,error" {
		t.Errorf("AGORA_LOG_LEVEL: %+v", s)
	}
	if s := env.Specs["AGORA_PG_POOL_SIZE"]; s.Kind != "Int" || s.Min == nil || *s.Min != 1 || *s.Max != 256 {
		t.Errorf("AGORA_PG_POOL_SIZE: %+v", s)
	}
	if env.Listen["customers"]["AGORA_GRPC_ADDRESS"] != 50062 || env.Listen["customers"]["AGORA_METRICS_PORT"] != 9162 || env.Listen["gateway"]["AGORA_HTTP_PORT"] != 8080 {
		t.Errorf("listen ports: %v", env.Listen)
	}
	for v, ok := range map[string]bool{"5s": true, "250ms": true, "1h30m": true, "0": true, "10": false, "5 s": false} {
		if got := (VarSpec{Kind: "Duration"}).checkValue(v) == ""; got != ok {
			t.Errorf("duration %q accepted=%v", v, got)
		}
	}
}

// The real tree: gateway/config.cc's loop names five backends.
func TestScanEnvRepo(t *testing.T) {
	if _, err := os.Stat("../../gateway/config.cc"); err != nil {
		t.Skip("not inside the Agora tree")
	}
	env, err := ScanEnv("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"INVENTORY", "CUSTOMERS", "ORDERS", "REVIEWS", "SAGA"} {
		if !env.PerBinary["gateway"]["AGORA_"+b+"_ADDRESS"] {
			t.Errorf("gateway lacks AGORA_%s_ADDRESS (notes: %v)", b, env.Notes)
		}
	}
	for _, b := range []string{"customers", "inventory", "orders", "reviews", "saga"} {
		for _, n := range []string{"AGORA_PG_HOST", "AGORA_KAFKA_BROKERS", "AGORA_MIGRATE_ONLY", "AGORA_JWT_ISSUER"} {
			if !env.PerBinary[b][n] {
				t.Errorf("%s lacks %s", b, n)
			}
		}
		if env.Listen[b]["AGORA_GRPC_ADDRESS"] == 0 || env.Listen[b]["AGORA_METRICS_PORT"] == 0 {
			t.Errorf("%s: no default ports found: %v", b, env.Listen[b])
		}
	}
	if env.Listen["gateway"]["AGORA_HTTP_PORT"] != 8080 {
		t.Errorf("gateway port: %v", env.Listen["gateway"])
	}
	if !env.PerBinary["customers"]["AGORA_ADMIN_PASSWORD"] || env.PerBinary["gateway"]["AGORA_ADMIN_PASSWORD"] {
		t.Error("AGORA_ADMIN_PASSWORD belongs to customers only")
	}
}

func TestCxxStrip(t *testing.T) {
	_, lits := cxxStrip(`auto x = "a//b"; // "AGORA_C1"
/* "AGORA_C2" */ auto y = R"json({"k": "AGORA_RAW"})json"; char q = '"'; int n = 1'000; auto z = "AGORA_Z\"";`)
	got := strings.Join(lits, "|")
	if got != `a//b|{"k": "AGORA_RAW"}|AGORA_Z\"` {
		t.Errorf("literals: %s", got)
	}
}

package main

// YAML helpers: decoding values the way Helm sees them (JSON-like types) and
// an emitter that writes what Helm's toYaml (sigs.k8s.io/yaml over
// gopkg.in/yaml.v2) writes: keys sorted, two-space indentation, sequences not
// indented under their key, multi-line strings as literal blocks.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// jsonLike converts a value decoded by yaml.v3 into what Helm gets after
// sigs.k8s.io/yaml (YAML -> JSON -> interface{}): maps keyed by string,
// []interface{}, string, bool, nil, and float64 for every number.
func jsonLike(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		out := make(map[string]interface{}, len(x))
		for k, e := range x {
			out[k] = jsonLike(e)
		}
		return out
	case map[interface{}]interface{}:
		out := make(map[string]interface{}, len(x))
		for k, e := range x {
			out[keyString(k)] = jsonLike(e)
		}
		return out
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			out[i] = jsonLike(e)
		}
		return out
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float64:
		return x
	case []byte:
		return string(x)
	case fmt.Stringer:
		return x.String()
	default:
		return v
	}
}

func keyString(k interface{}) string {
	switch x := k.(type) {
	case string:
		return x
	case nil:
		return "null"
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

// plainify converts yaml.v3 output for manifests: maps keyed by string, but
// numbers keep their YAML type (int or float64), so checks can tell 8080
// from "8080".
func plainify(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		for k, e := range x {
			x[k] = plainify(e)
		}
		return x
	case map[interface{}]interface{}:
		out := make(map[string]interface{}, len(x))
		for k, e := range x {
			out[keyString(k)] = plainify(e)
		}
		return out
	case []interface{}:
		for i, e := range x {
			x[i] = plainify(e)
		}
		return x
	default:
		return v
	}
}

// parseValuesYAML reads a values file as Helm does (an empty file is an
// empty map; the top level must be a map).
func parseValuesYAML(data []byte) (map[string]interface{}, error) {
	var raw interface{}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	if raw == nil {
		return map[string]interface{}{}, nil
	}
	m, ok := jsonLike(raw).(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("the top level is a %s, not a map", typeName(raw))
	}
	return m, nil
}

// helmToYAML is Helm's toYaml: JSON round trip (so struct tags and key order
// follow encoding/json), then YAML in yaml.v2's layout. The result ends with a
// newline (the template function trims it).
func helmToYAML(v interface{}) (string, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var x interface{}
	if err := dec.Decode(&x); err != nil {
		return "", err
	}
	var b strings.Builder
	switch t := x.(type) {
	case map[string]interface{}:
		if len(t) == 0 {
			b.WriteString("{}\n")
		} else {
			emitMap(&b, t, 0, false)
		}
	case []interface{}:
		if len(t) == 0 {
			b.WriteString("[]\n")
		} else {
			emitSeq(&b, t, 0, false)
		}
	default:
		emitScalarValue(&b, x, 0)
	}
	return b.String(), nil
}

func sortedKeys(m map[string]interface{}) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// emitMap writes the entries of m at indentation `indent`; when inline, the
// first entry continues a line already started ("- ").
func emitMap(b *strings.Builder, m map[string]interface{}, indent int, inline bool) {
	for i, k := range sortedKeys(m) {
		if i > 0 || !inline {
			b.WriteString(strings.Repeat(" ", indent))
		}
		b.WriteString(yamlScalarString(k, true))
		b.WriteString(":")
		emitAfterKey(b, m[k], indent)
	}
}

func emitAfterKey(b *strings.Builder, v interface{}, indent int) {
	switch t := v.(type) {
	case map[string]interface{}:
		if len(t) == 0 {
			b.WriteString(" {}\n")
			return
		}
		b.WriteString("\n")
		emitMap(b, t, indent+2, false)
	case []interface{}:
		if len(t) == 0 {
			b.WriteString(" []\n")
			return
		}
		b.WriteString("\n")
		emitSeq(b, t, indent, false)
	default:
		b.WriteString(" ")
		emitScalarValue(b, v, indent)
	}
}

func emitSeq(b *strings.Builder, s []interface{}, indent int, inline bool) {
	for i, e := range s {
		if i > 0 || !inline {
			b.WriteString(strings.Repeat(" ", indent))
		}
		b.WriteString("- ")
		switch t := e.(type) {
		case map[string]interface{}:
			if len(t) == 0 {
				b.WriteString("{}\n")
			} else {
				emitMap(b, t, indent+2, true)
			}
		case []interface{}:
			if len(t) == 0 {
				b.WriteString("[]\n")
			} else {
				emitSeq(b, t, indent+2, true)
			}
		default:
			emitScalarValue(b, e, indent)
		}
	}
}

// emitScalarValue writes a scalar and its newline; block scalars put their
// content at indent+2.
func emitScalarValue(b *strings.Builder, v interface{}, indent int) {
	switch t := v.(type) {
	case nil:
		b.WriteString("null\n")
	case bool:
		b.WriteString(strconv.FormatBool(t) + "\n")
	case json.Number:
		b.WriteString(string(t) + "\n")
	case float64:
		b.WriteString(formatJSONFloat(t) + "\n")
	case string:
		if strings.Contains(t, "\n") && literalAllowed(t) {
			emitLiteral(b, t, indent+2)
			return
		}
		b.WriteString(yamlScalarString(t, false) + "\n")
	default:
		b.WriteString(yamlScalarString(fmt.Sprint(t), false) + "\n")
	}
}

func formatJSONFloat(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return ".nan"
	}
	j, _ := json.Marshal(f)
	return string(j)
}

// literalAllowed reports whether s can be written as a literal block scalar
// (yaml.v2 falls back to double quotes for trailing spaces and for
// non-printable characters, tabs included).
func literalAllowed(s string) bool {
	for _, line := range strings.Split(s, "\n") {
		if strings.HasSuffix(line, " ") {
			return false
		}
	}
	for _, r := range s {
		if r == '\n' {
			continue
		}
		if r < 0x20 || r == 0x7f || r == 0xfeff {
			return false
		}
	}
	return true
}

func emitLiteral(b *strings.Builder, s string, indent int) {
	b.WriteString("|")
	first := ""
	for _, line := range strings.Split(s, "\n") {
		if line != "" {
			first = line
			break
		}
	}
	if strings.HasPrefix(first, " ") {
		b.WriteString("2")
	}
	body := s
	switch {
	case !strings.HasSuffix(s, "\n"):
		b.WriteString("-")
	case strings.HasSuffix(s, "\n\n"):
		b.WriteString("+")
		body = strings.TrimSuffix(s, "\n")
	default:
		body = strings.TrimSuffix(s, "\n")
	}
	b.WriteString("\n")
	pad := strings.Repeat(" ", indent)
	for _, line := range strings.Split(body, "\n") {
		if line == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString(pad + line + "\n")
	}
}

// yamlScalarString renders one single-line string as a YAML scalar: plain
// when it reads back as the same string, quoted otherwise (yaml.v3 decides,
// which also quotes YAML 1.1 booleans such as "yes" and "on").
func yamlScalarString(s string, key bool) string {
	if strings.ContainsAny(s, "\n\r\t") || !literalAllowed(s) {
		return jsonQuote(s)
	}
	out, err := yaml.Marshal(s)
	if err != nil {
		return jsonQuote(s)
	}
	r := strings.TrimSuffix(string(out), "\n")
	if strings.Contains(r, "\n") {
		return jsonQuote(s)
	}
	return r
}

func jsonQuote(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(buf.String(), "\n")
}

func typeName(v interface{}) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]interface{}, map[interface{}]interface{}:
		return "map"
	case []interface{}:
		return "list"
	case string:
		return "string"
	case bool:
		return "boolean"
	case int, int64, uint64, float64, json.Number:
		return "number"
	default:
		return fmt.Sprintf("%T", v)
	}
}

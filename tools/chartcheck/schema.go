package main

// A JSON Schema (draft-07) validator for values.schema.json, covering the
// keywords a values schema uses: type, enum, const, properties, required,
// additionalProperties, patternProperties, propertyNames, min/maxProperties,
// items (schema or tuple), additionalItems, min/maxItems, uniqueItems,
// contains, minimum, maximum, exclusiveMinimum/Maximum, multipleOf,
// minLength, maxLength, pattern, format (a few), allOf, anyOf, oneOf, not,
// if/then/else, dependencies, $ref to "#..." pointers (definitions, $defs).
// Unknown keywords are ignored, as the specification says; chartcheck
// warns about them so a typo in the schema does not go unnoticed.

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SchemaError is one violation, at a path of the values ("resources.limits.cpu").
type SchemaError struct {
	Path    string
	Message string
}

func (e SchemaError) String() string {
	p := e.Path
	if p == "" {
		p = "(root)"
	}
	return p + ": " + e.Message
}

type schemaValidator struct {
	root     interface{}
	errs     []SchemaError
	unknown  map[string]bool
	reCache  map[string]*regexp.Regexp
	refDepth int
}

var knownSchemaKeywords = map[string]bool{
	"$schema": true, "$id": true, "id": true, "$ref": true, "$comment": true, "title": true,
	"description": true, "default": true, "examples": true, "readOnly": true, "writeOnly": true,
	"definitions": true, "$defs": true, "type": true, "enum": true, "const": true,
	"properties": true, "required": true, "additionalProperties": true, "patternProperties": true,
	"propertyNames": true, "minProperties": true, "maxProperties": true, "items": true,
	"additionalItems": true, "minItems": true, "maxItems": true, "uniqueItems": true,
	"contains": true, "minimum": true, "maximum": true, "exclusiveMinimum": true,
	"exclusiveMaximum": true, "multipleOf": true, "minLength": true, "maxLength": true,
	"pattern": true, "format": true, "allOf": true, "anyOf": true, "oneOf": true, "not": true,
	"if": true, "then": true, "else": true, "dependencies": true, "contentMediaType": true,
	"contentEncoding": true, "deprecated": true,
}

// ValidateSchema validates values against a JSON schema document. The
// second result lists keywords chartcheck does not know (ignored).
func ValidateSchema(schemaJSON []byte, values map[string]interface{}) ([]SchemaError, []string, error) {
	var schema interface{}
	dec := json.NewDecoder(strings.NewReader(string(schemaJSON)))
	dec.UseNumber()
	if err := dec.Decode(&schema); err != nil {
		return nil, nil, fmt.Errorf("values.schema.json is not JSON: %v", err)
	}
	v := &schemaValidator{root: schema, unknown: map[string]bool{}, reCache: map[string]*regexp.Regexp{}}
	if err := v.lint(schema, ""); err != nil {
		return nil, nil, err
	}
	v.validate(schema, toSchemaValue(values), "")
	var unknown []string
	for k := range v.unknown {
		unknown = append(unknown, k)
	}
	sort.Strings(unknown)
	return v.errs, unknown, nil
}

// toSchemaValue turns values into JSON types (numbers as float64).
func toSchemaValue(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		out := make(map[string]interface{}, len(x))
		for k, e := range x {
			out[k] = toSchemaValue(e)
		}
		return out
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			out[i] = toSchemaValue(e)
		}
		return out
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case json.Number:
		f, _ := x.Float64()
		return f
	default:
		return v
	}
}

// lint walks the schema once: it records unknown keywords and checks the
// regular expressions compile.
func (v *schemaValidator) lint(s interface{}, where string) error {
	m, ok := s.(map[string]interface{})
	if !ok {
		if _, isBool := s.(bool); isBool || s == nil {
			return nil
		}
		return fmt.Errorf("values.schema.json %s: a schema must be an object or a boolean", orRoot(where))
	}
	for k, sub := range m {
		if !knownSchemaKeywords[k] {
			v.unknown[where+"/"+k] = true
		}
		switch k {
		case "properties", "patternProperties", "definitions", "$defs", "dependencies":
			if mm, ok := sub.(map[string]interface{}); ok {
				for name, ss := range mm {
					if k == "patternProperties" {
						if _, err := v.regex(name); err != nil {
							return fmt.Errorf("values.schema.json %s/patternProperties: %v", orRoot(where), err)
						}
					}
					if k == "dependencies" {
						if _, isList := ss.([]interface{}); isList {
							continue
						}
					}
					if err := v.lint(ss, where+"/"+k+"/"+name); err != nil {
						return err
					}
				}
			}
		case "items":
			if l, ok := sub.([]interface{}); ok {
				for i, ss := range l {
					if err := v.lint(ss, fmt.Sprintf("%s/items/%d", where, i)); err != nil {
						return err
					}
				}
			} else if err := v.lint(sub, where+"/items"); err != nil {
				return err
			}
		case "allOf", "anyOf", "oneOf":
			l, ok := sub.([]interface{})
			if !ok {
				return fmt.Errorf("values.schema.json %s/%s must be an array", orRoot(where), k)
			}
			for i, ss := range l {
				if err := v.lint(ss, fmt.Sprintf("%s/%s/%d", where, k, i)); err != nil {
					return err
				}
			}
		case "additionalProperties", "additionalItems", "not", "if", "then", "else", "contains", "propertyNames":
			if err := v.lint(sub, where+"/"+k); err != nil {
				return err
			}
		case "pattern":
			p, ok := sub.(string)
			if !ok {
				return fmt.Errorf("values.schema.json %s/pattern must be a string", orRoot(where))
			}
			if _, err := v.regex(p); err != nil {
				return fmt.Errorf("values.schema.json %s/pattern: %v", orRoot(where), err)
			}
		case "type":
			for _, t := range schemaTypes(sub) {
				switch t {
				case "object", "array", "string", "number", "integer", "boolean", "null":
				default:
					return fmt.Errorf("values.schema.json %s/type: unknown type %q", orRoot(where), t)
				}
			}
		case "required":
			if _, ok := sub.([]interface{}); !ok {
				return fmt.Errorf("values.schema.json %s/required must be an array (draft-07)", orRoot(where))
			}
		case "$ref":
			r, _ := sub.(string)
			if _, err := v.resolveRef(r); err != nil {
				return fmt.Errorf("values.schema.json %s/$ref: %v", orRoot(where), err)
			}
		}
	}
	return nil
}

func orRoot(where string) string {
	if where == "" {
		return "(root)"
	}
	return where
}

func (v *schemaValidator) regex(p string) (*regexp.Regexp, error) {
	if re, ok := v.reCache[p]; ok {
		return re, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	v.reCache[p] = re
	return re, nil
}

func (v *schemaValidator) resolveRef(ref string) (interface{}, error) {
	if !strings.HasPrefix(ref, "#") {
		return nil, fmt.Errorf("only local references (#/...) are supported, not %q", ref)
	}
	cur := v.root
	ptr := strings.TrimPrefix(ref, "#")
	if ptr == "" {
		return cur, nil
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.Replace(strings.Replace(tok, "~1", "/", -1), "~0", "~", -1)
		switch c := cur.(type) {
		case map[string]interface{}:
			next, ok := c[tok]
			if !ok {
				return nil, fmt.Errorf("%q does not resolve", ref)
			}
			cur = next
		case []interface{}:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("%q does not resolve", ref)
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("%q does not resolve", ref)
		}
	}
	return cur, nil
}

func (v *schemaValidator) fail(path, format string, args ...interface{}) {
	v.errs = append(v.errs, SchemaError{Path: path, Message: fmt.Sprintf(format, args...)})
}

func schemaTypes(t interface{}) []string {
	switch x := t.(type) {
	case string:
		return []string{x}
	case []interface{}:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func jsonType(x interface{}) string {
	switch n := x.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if n == math.Trunc(n) && !math.IsInf(n, 0) {
			return "integer"
		}
		return "number"
	case map[string]interface{}:
		return "object"
	case []interface{}:
		return "array"
	}
	return fmt.Sprintf("%T", x)
}

func typeMatches(want, got string) bool {
	return want == got || want == "number" && got == "integer"
}

func num(x interface{}) (float64, bool) {
	switch n := x.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	}
	return 0, false
}

func joinPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

// validate checks x against schema s; violations go to v.errs.
func (v *schemaValidator) validate(s interface{}, x interface{}, path string) {
	switch b := s.(type) {
	case bool:
		if !b {
			v.fail(path, "no value is allowed here (schema false)")
		}
		return
	case nil:
		return
	}
	m, ok := s.(map[string]interface{})
	if !ok {
		return
	}
	if ref, ok := m["$ref"].(string); ok {
		target, err := v.resolveRef(ref)
		if err != nil {
			v.fail(path, "%v", err)
			return
		}
		v.refDepth++
		if v.refDepth > 100 {
			v.fail(path, "$ref %s recurses too deeply", ref)
		} else {
			v.validate(target, x, path)
		}
		v.refDepth--
		return // draft-07: siblings of $ref are ignored
	}
	if t, ok := m["type"]; ok {
		types := schemaTypes(t)
		got := jsonType(x)
		matched := false
		for _, w := range types {
			if typeMatches(w, got) {
				matched = true
			}
		}
		if !matched {
			v.fail(path, "Invalid type. Expected: %s, given: %s", strings.Join(types, " or "), got)
			return
		}
	}
	if e, ok := m["enum"].([]interface{}); ok {
		found := false
		for _, c := range e {
			if jsonEqual(c, x) {
				found = true
			}
		}
		if !found {
			var opts []string
			for _, c := range e {
				b, _ := json.Marshal(c)
				opts = append(opts, string(b))
			}
			v.fail(path, "must be one of the following: %s (given: %s)", strings.Join(opts, ", "), show(x))
		}
	}
	if c, ok := m["const"]; ok && !jsonEqual(c, x) {
		v.fail(path, "does not match: %s (given: %s)", show(c), show(x))
	}
	switch val := x.(type) {
	case map[string]interface{}:
		v.validateObject(m, val, path)
	case []interface{}:
		v.validateArray(m, val, path)
	case string:
		v.validateString(m, val, path)
	case float64:
		v.validateNumber(m, val, path)
	}
	if l, ok := m["allOf"].([]interface{}); ok {
		for _, sub := range l {
			v.validate(sub, x, path)
		}
	}
	if l, ok := m["anyOf"].([]interface{}); ok {
		any := false
		var firstErrs []SchemaError
		for _, sub := range l {
			errs := v.sub(sub, x, path)
			if len(errs) == 0 {
				any = true
				break
			}
			if firstErrs == nil {
				firstErrs = errs
			}
		}
		if !any {
			v.fail(path, "must validate at least one schema (anyOf); e.g. %s", describe(firstErrs))
		}
	}
	if l, ok := m["oneOf"].([]interface{}); ok {
		n := 0
		var firstErrs []SchemaError
		for _, sub := range l {
			errs := v.sub(sub, x, path)
			if len(errs) == 0 {
				n++
			} else if firstErrs == nil {
				firstErrs = errs
			}
		}
		if n == 0 {
			v.fail(path, "must validate one and only one schema (oneOf), matches none; e.g. %s", describe(firstErrs))
		} else if n > 1 {
			v.fail(path, "must validate one and only one schema (oneOf), matches %d", n)
		}
	}
	if sub, ok := m["not"]; ok {
		if len(v.sub(sub, x, path)) == 0 {
			v.fail(path, "must not validate the schema (not)")
		}
	}
	if cond, ok := m["if"]; ok {
		if len(v.sub(cond, x, path)) == 0 {
			if then, ok := m["then"]; ok {
				v.validate(then, x, path)
			}
		} else if els, ok := m["else"]; ok {
			v.validate(els, x, path)
		}
	}
}

func (v *schemaValidator) sub(s interface{}, x interface{}, path string) []SchemaError {
	saved := v.errs
	v.errs = nil
	v.validate(s, x, path)
	errs := v.errs
	v.errs = saved
	return errs
}

func describe(errs []SchemaError) string {
	if len(errs) == 0 {
		return "?"
	}
	return errs[0].String()
}

func show(x interface{}) string {
	b, err := json.Marshal(x)
	if err != nil {
		return fmt.Sprint(x)
	}
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}

func (v *schemaValidator) validateObject(m map[string]interface{}, val map[string]interface{}, path string) {
	if req, ok := m["required"].([]interface{}); ok {
		for _, r := range req {
			name, _ := r.(string)
			if _, present := val[name]; !present {
				v.fail(path, "%s is required", name)
			}
		}
	}
	props, _ := m["properties"].(map[string]interface{})
	patterns, _ := m["patternProperties"].(map[string]interface{})
	keys := sortedKeys(val)
	for _, k := range keys {
		matched := false
		if ps, ok := props[k]; ok {
			matched = true
			v.validate(ps, val[k], joinPath(path, k))
		}
		for p, ps := range patterns {
			if re, err := v.regex(p); err == nil && re.MatchString(k) {
				matched = true
				v.validate(ps, val[k], joinPath(path, k))
			}
		}
		if !matched {
			if ap, ok := m["additionalProperties"]; ok {
				if b, isBool := ap.(bool); isBool {
					if !b {
						v.fail(path, "Additional property %s is not allowed", k)
					}
				} else {
					v.validate(ap, val[k], joinPath(path, k))
				}
			}
		}
		if pn, ok := m["propertyNames"]; ok {
			for _, e := range v.sub(pn, k, joinPath(path, k)) {
				v.fail(path, "property name %q: %s", k, e.Message)
			}
		}
	}
	if n, ok := num(m["minProperties"]); ok && float64(len(val)) < n {
		v.fail(path, "must have at least %v properties", n)
	}
	if n, ok := num(m["maxProperties"]); ok && float64(len(val)) > n {
		v.fail(path, "must have at most %v properties", n)
	}
	if deps, ok := m["dependencies"].(map[string]interface{}); ok {
		for k, d := range deps {
			if _, present := val[k]; !present {
				continue
			}
			if l, isList := d.([]interface{}); isList {
				for _, r := range l {
					name, _ := r.(string)
					if _, ok := val[name]; !ok {
						v.fail(path, "%s is required when %s is set", name, k)
					}
				}
			} else {
				v.validate(d, val, path)
			}
		}
	}
}

func (v *schemaValidator) validateArray(m map[string]interface{}, val []interface{}, path string) {
	idx := func(i int) string { return fmt.Sprintf("%s[%d]", path, i) }
	switch items := m["items"].(type) {
	case []interface{}:
		for i, e := range val {
			if i < len(items) {
				v.validate(items[i], e, idx(i))
			} else if ai, ok := m["additionalItems"]; ok {
				if b, isBool := ai.(bool); isBool {
					if !b {
						v.fail(path, "has %d items, at most %d allowed", len(val), len(items))
						break
					}
				} else {
					v.validate(ai, e, idx(i))
				}
			}
		}
	case nil:
	default:
		for i, e := range val {
			v.validate(items, e, idx(i))
		}
	}
	if n, ok := num(m["minItems"]); ok && float64(len(val)) < n {
		v.fail(path, "Array must have at least %v items", n)
	}
	if n, ok := num(m["maxItems"]); ok && float64(len(val)) > n {
		v.fail(path, "Array must have at most %v items", n)
	}
	if u, _ := m["uniqueItems"].(bool); u {
		for i := range val {
			for j := i + 1; j < len(val); j++ {
				if jsonEqual(val[i], val[j]) {
					v.fail(path, "array items[%d,%d] must be unique", i, j)
				}
			}
		}
	}
	if c, ok := m["contains"]; ok {
		found := false
		for i, e := range val {
			if len(v.sub(c, e, idx(i))) == 0 {
				found = true
				break
			}
		}
		if !found {
			v.fail(path, "no item matches the contains schema")
		}
	}
}

func (v *schemaValidator) validateString(m map[string]interface{}, val, path string) {
	n := utf8.RuneCountInString(val)
	if min, ok := num(m["minLength"]); ok && float64(n) < min {
		if val == "" {
			v.fail(path, "must not be empty (minLength %v)", min)
		} else {
			v.fail(path, "String length must be greater than or equal to %v", min)
		}
	}
	if max, ok := num(m["maxLength"]); ok && float64(n) > max {
		v.fail(path, "String length must be less than or equal to %v", max)
	}
	if p, ok := m["pattern"].(string); ok {
		if re, err := v.regex(p); err == nil && !re.MatchString(val) {
			v.fail(path, "Does not match pattern '%s' (given: %q)", p, val)
		}
	}
	if f, ok := m["format"].(string); ok {
		if msg := checkFormat(f, val); msg != "" {
			v.fail(path, "Does not match format '%s': %s", f, msg)
		}
	}
}

func checkFormat(format, s string) string {
	switch format {
	case "uri":
		u, err := url.Parse(s)
		if err != nil || u.Scheme == "" {
			return "not an absolute URI"
		}
	case "hostname":
		if len(s) > 253 || !regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*$`).MatchString(s) {
			return "not a hostname"
		}
	case "ipv4":
		if ip := net.ParseIP(s); ip == nil || ip.To4() == nil {
			return "not an IPv4 address"
		}
	case "email":
		if !strings.Contains(s, "@") {
			return "not an email address"
		}
	case "regex":
		if _, err := regexp.Compile(s); err != nil {
			return err.Error()
		}
	}
	return ""
}

func (v *schemaValidator) validateNumber(m map[string]interface{}, val float64, path string) {
	if min, ok := num(m["minimum"]); ok && val < min {
		v.fail(path, "Must be greater than or equal to %v", min)
	}
	if max, ok := num(m["maximum"]); ok && val > max {
		v.fail(path, "Must be less than or equal to %v", max)
	}
	if min, ok := num(m["exclusiveMinimum"]); ok && val <= min {
		v.fail(path, "Must be greater than %v", min)
	}
	if max, ok := num(m["exclusiveMaximum"]); ok && val >= max {
		v.fail(path, "Must be less than %v", max)
	}
	if mo, ok := num(m["multipleOf"]); ok && mo > 0 {
		q := val / mo
		if math.Abs(q-math.Round(q)) > 1e-9 {
			v.fail(path, "Must be a multiple of %v", mo)
		}
	}
}

func jsonEqual(a, b interface{}) bool {
	na, aNum := num(a)
	nb, bNum := num(b)
	if aNum || bNum {
		return aNum && bNum && na == nb
	}
	switch x := a.(type) {
	case map[string]interface{}:
		y, ok := b.(map[string]interface{})
		if !ok || len(x) != len(y) {
			return false
		}
		for k, e := range x {
			if !jsonEqual(e, y[k]) {
				return false
			}
		}
		return true
	case []interface{}:
		y, ok := b.([]interface{})
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

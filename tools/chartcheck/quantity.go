package main

// Kubernetes resource quantities ("250m", "512Mi", "1.5", "1e3").

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

var quantityRE = regexp.MustCompile(`^([+-]?[0-9.]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?$`)

var quantitySuffix = map[string]*big.Rat{
	"":   big.NewRat(1, 1),
	"m":  big.NewRat(1, 1000),
	"k":  big.NewRat(1000, 1),
	"M":  new(big.Rat).SetInt64(1000000),
	"G":  new(big.Rat).SetInt64(1000000000),
	"T":  new(big.Rat).SetInt64(1000000000000),
	"P":  new(big.Rat).SetInt64(1000000000000000),
	"E":  new(big.Rat).SetInt64(1000000000000000000),
	"Ki": new(big.Rat).SetInt64(1 << 10),
	"Mi": new(big.Rat).SetInt64(1 << 20),
	"Gi": new(big.Rat).SetInt64(1 << 30),
	"Ti": new(big.Rat).SetInt64(1 << 40),
	"Pi": new(big.Rat).SetInt64(1 << 50),
	"Ei": new(big.Rat).SetInt64(1 << 60),
}

// parseQuantity reads a quantity given as a YAML string or number.
func parseQuantity(v interface{}) (*big.Rat, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = strings.TrimSpace(x)
	case int:
		return new(big.Rat).SetInt64(int64(x)), nil
	case int64:
		return new(big.Rat).SetInt64(x), nil
	case float64:
		r := new(big.Rat)
		r.SetFloat64(x)
		return r, nil
	default:
		return nil, fmt.Errorf("%v is a %s, not a quantity", v, typeName(v))
	}
	m := quantityRE.FindStringSubmatch(s)
	if m == nil || m[1] == "." || strings.Count(m[1], ".") > 1 {
		return nil, fmt.Errorf("%q is not a quantity", s)
	}
	n, ok := new(big.Rat).SetString(m[1])
	if !ok {
		return nil, fmt.Errorf("%q is not a quantity", s)
	}
	suffix := m[2]
	if mult, ok := quantitySuffix[suffix]; ok {
		return n.Mul(n, mult), nil
	}
	// decimal exponent
	exp, ok := new(big.Rat).SetString("1" + suffix)
	if !ok {
		return nil, fmt.Errorf("%q is not a quantity", s)
	}
	return n.Mul(n, exp), nil
}

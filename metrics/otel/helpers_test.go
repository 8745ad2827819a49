package otel_test

import (
	"strings"

	"go.opentelemetry.io/otel/attribute"
)

// labels renders attributes as {k=v,...}, or nothing.
func labels(kvs []attribute.KeyValue) string {
	if len(kvs) == 0 {
		return ""
	}
	parts := make([]string, len(kvs))
	for i, kv := range kvs {
		parts[i] = string(kv.Key) + "=" + kv.Value.String()
	}
	return "{" + strings.Join(parts, ",") + "}"
}

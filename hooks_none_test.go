package anyws

import (
	"reflect"
	"testing"
)

// TestHooksNone: a route that sets any hook has hooks of its own (its
// peers then get a combined copy); none must know every hook field.
func TestHooksNone(t *testing.T) {
	if !(&Hooks{ReplaceHub: true}).none() {
		t.Fatal("a route without hooks has hooks")
	}
	typ := reflect.TypeFor[Hooks]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Type.Kind() != reflect.Func {
			continue
		}
		var h Hooks
		v := reflect.ValueOf(&h).Elem().Field(i)
		v.Set(reflect.MakeFunc(f.Type, func([]reflect.Value) []reflect.Value {
			out := make([]reflect.Value, f.Type.NumOut())
			for j := range out {
				out[j] = reflect.Zero(f.Type.Out(j))
			}
			return out
		}))
		if h.none() {
			t.Errorf("Hooks.none does not see %s", f.Name)
		}
	}
}

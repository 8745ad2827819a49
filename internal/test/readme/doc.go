// Package readme holds tests only: they take every fenced block of the
// README (and of examples/chat/README.md and docs/performance.md) and
// compile, type-check or compare it, so that an edit that breaks a
// snippet fails `make test`.
//
//   - go: a block that starts with "package" is a whole file; any other
//     block is the body of a function with ctx, hooks, hub, mux and
//     broker in scope and the imports a reader would add. All of them
//     build as one temporary module whose go.mod replaces anyws with
//     this checkout: one `go build` for every snippet. The blocks of
//     "Mounting on routers" and "Operating anyws" must instead be the
//     code other tests run (runElsewhere: internal/test/routers, the
//     root package, the Prometheus module), indentation aside.
//   - js: type-checked under --strict by tsc against the npm package's
//     declarations (client/js/anyws.d.ts).
//   - nginx: the block examples/chat's nginx test runs, verbatim.
//   - sh: each command names something that exists (the module, a
//     runnable example, the load tool and its flags, packages to test,
//     a make target).
package readme

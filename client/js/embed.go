// Package js holds anyws's JavaScript client, the npm package
// @anyws/client, and embeds its one source file so that the Go server can
// serve the very bytes the package ships: adapters/auto's Client and
// Handler serve [Source] as /anyws.js, and `npm pack` in this directory
// packs the same file. There is no copy to keep in sync and no build step.
//
// The package's files: anyws.js (the client, an ES module without
// dependencies), anyws.d.ts (its hand-written TypeScript types),
// package.json and README.md (install, a typed example, every option).
// Its tests pack it, install the tarball into a fresh app, type-check a
// strict TypeScript consumer and drive an esbuild bundle of it in
// headless Chromium against a Go server.
package js

import _ "embed" // the client's source

// Source is anyws.js, the client module as the npm package ships it.
//
//go:embed anyws.js
var Source string

// Types is anyws.d.ts, the client's TypeScript declarations.
//
//go:embed anyws.d.ts
var Types string

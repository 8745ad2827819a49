// Package routers holds tests only: they mount the all-transports
// handler (adapters/auto) on net/http's ServeMux, chi, gin and echo, each
// with the middleware its users put in front of every route, and run
// WebSocket, SSE and both uplink modes through each with real clients.
// Its examples are the code of the README's "Mounting on routers".
package routers

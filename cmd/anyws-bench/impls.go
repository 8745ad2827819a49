package main

import (
	"fmt"
	"slices"
	"strings"
)

// wire is how a client reads an implementation's messages.
type wire int

const (
	// wirePlain: one WebSocket message or one SSE "message" event per payload.
	wirePlain wire = iota
	// wireCentrifuge: centrifuge's JSON protocol (client_centrifuge.go).
	wireCentrifuge
)

// implInfo says what one implementation serves, so that the parent can
// skip the scenarios it does not support (a "—" in the table, never a
// made-up figure).
type implInfo struct {
	name      string
	newImpl   func(serverConfig) impl
	broadcast []string // transports its subscribers use: websocket, sse, sse-h2
	chat      []string // transports its chat room runs over: websocket, sse (bidirectional)
	stall     bool     // whether it closes a subscriber that stops reading
	wire      wire
	// node, for a Node control, is its script in testdata/node (the
	// repository's, with its node_modules): the child is node running
	// it (nodews.go), not this binary.
	node string
}

func (i implInfo) serves(transport string) bool { return slices.Contains(i.broadcast, transport) }
func (i implInfo) chats(transport string) bool  { return slices.Contains(i.chat, transport) }

// implInfos lists every implementation, anyws first. Each control runs
// with its library's defaults; the queue bound and write timeout are the
// same for all (where the library has them).
var implInfos = []implInfo{
	{name: "anyws", newImpl: newAnywsServer, broadcast: []string{"websocket", "sse", "sse-h2"}, chat: []string{"websocket", "sse"}, stall: true, wire: wirePlain},
	{name: "norecovery", newImpl: newAnywsServer, broadcast: []string{"websocket", "sse", "sse-h2"}, chat: []string{"websocket", "sse"}, stall: true},
	{name: "gorilla", newImpl: newGorillaImpl, broadcast: []string{"websocket"}, chat: []string{"websocket"}, stall: true},
	{name: "coder", newImpl: newCoderImpl, broadcast: []string{"websocket"}, chat: []string{"websocket"}, stall: true},
	{name: "baresse", newImpl: newBareSSEImpl, broadcast: []string{"sse", "sse-h2"}, chat: []string{"sse"}, stall: true},
	// go-sse writes to every subscriber from its one provider goroutine
	// and has no uplink: no chat, and a stalled reader stalls everyone.
	{name: "gosse", newImpl: newGoSSEImpl, broadcast: []string{"sse", "sse-h2"}},
	// centrifuge's unidirectional SSE has no uplink: chat over WebSocket only.
	{name: "centrifuge", newImpl: newCentrifugeImpl, broadcast: []string{"websocket", "sse", "sse-h2"}, chat: []string{"websocket"}, stall: true, wire: wireCentrifuge},
	// Node's ws package, the reference for idle memory and low
	// rates: it bounds no queue, so no stall run.
	{name: "nodews", broadcast: []string{"websocket"}, chat: []string{"websocket"}, node: "bench-ws-server.mjs"},
}

// defaultControls are the controls -impls selects by default.
const defaultControls = "gorilla,coder,baresse,gosse,centrifuge,nodews"

func lookupImpl(name string) (implInfo, error) {
	for _, i := range implInfos {
		if i.name == name {
			return i, nil
		}
	}
	var names []string
	for _, i := range implInfos {
		names = append(names, i.name)
	}
	return implInfo{}, fmt.Errorf("anyws-bench: unknown implementation %q: want one of %s", name, strings.Join(names, ", "))
}

// Package websocket serves an anyws Hub over WebSocket, on
// github.com/coder/websocket.
//
// Start with [New]: it returns an http.Handler that runs the Hub's hooks
// for every upgrade it accepts. Mount it on any router:
//
//	mux.Handle("/_ws", websocket.New(hub, nil))
//
// An idle connection costs one goroutine, the reader, which runs the
// Message hook for each message in order: the handler returns once the
// connection is hijacked, a writer goroutine runs only while something
// is queued for the peer (it writes batches, then exits), and pings come
// from a timer. Whichever ends last runs the Close hook, after the reader
// has exited. No goroutine holds a lock while it touches the network, and
// every write has a deadline (Options.WriteTimeout).
package websocket

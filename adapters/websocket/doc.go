// Package websocket serves an anyws Hub over WebSocket, on
// github.com/coder/websocket.
//
// Start with [New]: it returns an http.Handler that runs the Hub's hooks
// for every upgrade it accepts. Mount it on any router:
//
//	mux.Handle("/_ws", websocket.New(hub, nil))
//
// Each connection is served by two goroutines: the request's own, which
// owns the connection and writes everything queued for the peer in
// batches, and one reader, which runs the Message hook for each message in
// order. Neither holds a lock while it touches the network, and every write
// has a deadline (Options.WriteTimeout).
package websocket

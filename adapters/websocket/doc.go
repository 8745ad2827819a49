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
//
// A batch is written with one system call, but control frames do not
// wait for it: pings and pongs go out at once, ahead of the batch being
// built, and a close frame (the reply to a client's close, a protocol
// error's) goes out at once behind it. After a close handshake the
// socket is half-closed (FIN) and read until the client's FIN, at most
// 2 s, so closing never resets a connection whose client has not read
// everything yet.
package websocket

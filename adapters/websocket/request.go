package websocket

import (
	"context"
	"net"
	"net/http"
	"reflect"
	"time"
)

// A peer keeps the request that opened it for Peer.Request, for its
// whole life. After the hijack the handler returns, and net/http
// cancels the request's context, but that context keeps its chain
// reachable: the request's and the connection's cancel contexts (the
// connection's with the done channel the request's made it create) and
// the context holding the local address, about 300 bytes per idle
// connection, a twentieth of what it holds, and none of it of any use:
// the only values in it are the server and the local address.
//
// So when the chain is exactly net/http's own (no middleware, no
// Server.BaseContext or ConnContext added a value or a deadline), the
// peer keeps a copy of the request whose context is a requestContext:
// the same two values, done, and canceled, as the original is by then.
// Any other chain is kept as it is: its values are the application's,
// and the context package does not let them be copied out.

// requestContext is a WebSocket peer's request context once the
// handshake is over and net/http's chain was only its own: it holds the
// values that chain held, and is done, as the chain is once the handler
// returned.
type requestContext struct {
	srv   *http.Server
	laddr net.Addr
}

var _ context.Context = (*requestContext)(nil)

// closedDone is every requestContext's Done channel.
var closedDone = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

func (*requestContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (*requestContext) Done() <-chan struct{}       { return closedDone }
func (*requestContext) Err() error                  { return context.Canceled }

func (c *requestContext) Value(key any) any {
	switch key {
	case http.ServerContextKey:
		return c.srv
	case http.LocalAddrContextKey:
		return c.laddr
	}
	return nil
}

func (*requestContext) String() string {
	return "websocket: the handshake request's context (net/http's, ended)"
}

// keptRequest is what the peer keeps of r (see above): r itself, or a
// copy over a requestContext. Call it after the handshake: the handler's
// context is ended by then, and the copy's is too.
func keptRequest(r *http.Request) *http.Request {
	ctx := r.Context()
	if !isServerContext(ctx) {
		return r
	}
	srv, _ := ctx.Value(http.ServerContextKey).(*http.Server)
	laddr, _ := ctx.Value(http.LocalAddrContextKey).(net.Addr)
	return r.WithContext(&requestContext{srv: srv, laddr: laddr})
}

// The types and keys of net/http's chain, which isServerContext
// recognizes by reflection (reading, never changing: a Go release that
// changes them leaves every chain as it is, and TestKeptRequest fails).
var (
	cancelCtxType  = reflect.TypeOf(func() context.Context { c, cancel := context.WithCancel(context.Background()); cancel(); return c }())
	valueCtxType   = reflect.TypeOf(context.WithValue(context.Background(), http.ServerContextKey, nil))
	backgroundType = reflect.TypeOf(context.Background())
	serverKey      = reflect.ValueOf(http.ServerContextKey)
	localAddrKey   = reflect.ValueOf(http.LocalAddrContextKey)
)

// isServerContext reports whether ctx is a request's context as
// net/http's server makes it with no hooks of its own: the request's
// cancel context over the connection's, over the local address's
// value, over the server's, over context.Background().
func isServerContext(ctx context.Context) bool {
	v := reflect.ValueOf(ctx)
	for _, step := range [...]struct {
		typ reflect.Type
		key reflect.Value // for a value context
	}{{typ: cancelCtxType}, {typ: cancelCtxType}, {valueCtxType, localAddrKey}, {valueCtxType, serverKey}} {
		if v.Type() != step.typ {
			return false
		}
		s := v.Elem()
		if step.key.IsValid() {
			k := s.FieldByName("key")
			if !k.IsValid() || k.Kind() != reflect.Interface || k.IsNil() {
				return false
			}
			k = k.Elem()
			if k.Type() != step.key.Type() || k.Pointer() != step.key.Pointer() {
				return false
			}
		}
		p := s.FieldByName("Context")
		if !p.IsValid() || p.Kind() != reflect.Interface || p.IsNil() {
			return false
		}
		v = p.Elem()
	}
	return v.Type() == backgroundType
}

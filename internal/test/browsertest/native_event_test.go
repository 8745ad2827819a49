package browsertest_test

import (
	"testing"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/internal/test/browsertest"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// namedEvents collects, from the browser's own EventSource, the events
// named in names (through addEventListener) and the plain messages
// (onmessage), until it has n; then it closes the stream.
const namedEvents = `(url, names, n) => new Promise((resolve, reject) => {
  const es = new EventSource(url);
  const got = [];
  const take = (e) => {
    got.push(e.type + ":" + e.data);
    if (got.length === n) { es.close(); resolve(got); }
  };
  for (const name of names) es.addEventListener(name, take);
  es.onmessage = take;
  es.onerror = () => { if (es.readyState === EventSource.CLOSED) reject(new Error("EventSource failed")); };
})`

// TestNativeEventSourceNamedEvents: Chromium's EventSource dispatches an
// anyws.Event to the listeners of its name, not to onmessage, whether
// the peer's own Send made it or a Hub on another node published it
// (the name crosses the broker); its comment is invisible to the page.
func TestNativeEventSourceNamedEvents(t *testing.T) {
	t.Parallel()
	bus := pubsub.NewMemory()
	opened := make(chan struct{}, 1)
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) {
			defer func() { opened <- struct{}{} }()
			p.Subscribe("scores")
			require.NoError(t, p.Send(anyws.Event{Name: "ping", Data: "direct", Comment: "keep\nme quiet"}))
			require.NoError(t, p.Send("plain"))
		},
	}, &anyws.Options{Broker: bus.Broker()})
	t.Cleanup(func() { shutdown(t, hub) })
	other := anyws.New(anyws.Hooks{}, &anyws.Options{Broker: bus.Broker()})
	t.Cleanup(func() { shutdown(t, other) })
	srv := serve(t, mux(sse.New(hub, nil)), false)
	ctx := browsertest.Tab(t)
	browsertest.Navigate(t, ctx, srv.URL+"/")

	published := make(chan error, 1)
	go func() {
		select {
		case <-opened:
			published <- other.Publish("scores", anyws.Event{Name: "score", Data: map[string]int{"home": 2}})
		case <-ctx.Done():
			published <- ctx.Err()
		}
	}()
	var got []string
	browsertest.Eval(t, ctx, "("+namedEvents+")('/_ws', ['ping', 'score'], 3)", &got)
	require.NoError(t, <-published)
	require.Equal(t, []string{"ping:direct", "message:plain", `score:{"home":2}`}, got)
}

package anyws_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/stretchr/testify/require"
)

// countMetrics is an anyws.Metrics that counts, by name and label.
type countMetrics struct {
	mu sync.Mutex
	n  map[string]int
}

var _ anyws.Metrics = (*countMetrics)(nil)

func newCountMetrics() *countMetrics { return &countMetrics{n: map[string]int{}} }

func (m *countMetrics) add(key string, v int) {
	m.mu.Lock()
	m.n[key] += v
	m.mu.Unlock()
}

func (m *countMetrics) get(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n[key]
}

func (m *countMetrics) Connected(tr string) { m.add("connects "+tr, 1); m.add("peers "+tr, 1) }
func (m *countMetrics) Disconnected(tr string, code anyws.StatusCode) {
	m.add(fmt.Sprint("disconnects ", tr, " ", int(code)), 1)
	m.add("peers "+tr, -1)
}
func (m *countMetrics) ConnectionLost(tr string, code anyws.StatusCode) {
	m.add(fmt.Sprint("lost ", tr, " ", int(code)), 1)
}
func (m *countMetrics) ResumeClaimed(tr, result string) { m.add("resumes "+tr+" "+result, 1) }
func (m *countMetrics) MessageReceived(tr string, bytes int) {
	m.add("in "+tr, 1)
	m.add("in bytes "+tr, bytes)
}
func (m *countMetrics) BatchWritten(tr string, n, bytes int, took time.Duration) {
	m.add("out "+tr, n)
	m.add("out bytes "+tr, bytes)
	m.add("batches "+tr, 1)
	if took < 0 {
		m.add("negative durations", 1)
	}
}
func (m *countMetrics) QueueFull(tr string)              { m.add("overflows "+tr, 1) }
func (m *countMetrics) MessagesDropped(tr string, n int) { m.add("dropped "+tr, n) }
func (m *countMetrics) Published(n int)                  { m.add("publishes", 1); m.add("fanout", n) }
func (m *countMetrics) BrokerError()                     { m.add("broker errors", 1) }
func (m *countMetrics) UplinkForwarded(status int)       { m.add(fmt.Sprint("forwards ", status), 1) }

// TestMetricsSession: a scripted session, and what the Hub counted.
func TestMetricsSession(t *testing.T) {
	t.Parallel()
	m := newCountMetrics()
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) { p.Subscribe("room") },
	}, &anyws.Options{Metrics: m, ResumeWindow: time.Minute, QueueMessages: 2, Broker: failingBroker{}})
	defer hub.Close()
	require.Same(t, m, hub.Metrics())
	require.Equal(t, 1, m.get("broker errors"), "the broker did not start")

	a := attach(t, hub, "/", resumable(""))
	b := connect(t, hub, "/")
	require.Equal(t, 2, m.get("connects fake"))
	require.Equal(t, 2, m.get("peers fake"))

	require.NoError(t, hub.Publish("room", "hello")) // 5 bytes to 2 peers
	require.Equal(t, []string{"hello"}, a.written())
	require.Equal(t, []string{"hello"}, b.written())
	require.Equal(t, 1, m.get("publishes"))
	require.Equal(t, 2, m.get("fanout"))
	require.Equal(t, 2, m.get("out fake"))
	require.Equal(t, 10, m.get("out bytes fake"))

	require.NoError(t, a.s.Deliver(anyws.Text("abc"), 1))
	require.NoError(t, a.s.Deliver(anyws.Text("abc"), 1)) // a resend: delivered once
	require.Equal(t, 1, m.get("in fake"))
	require.Equal(t, 3, m.get("in bytes fake"))

	// a drops and resumes; then a claim nobody knows.
	secret := a.s.Secret()
	a.cut()
	require.Equal(t, 1, m.get("lost fake 1006"))
	a2 := attach(t, hub, "/", resumable(secret+":1"))
	require.Equal(t, 1, m.get("resumes fake resumed"))
	c := attach(t, hub, "/", resumable("nobody:1"))
	require.Equal(t, 1, m.get("resumes fake unknown"))
	require.Equal(t, 3, m.get("connects fake"), "a resume is no new connection")

	// b stops reading: 2 fit its queue, the third overflows and closes
	// it, dropping the 2 as well.
	b.mu.Lock()
	b.gate = make(chan struct{})
	b.mu.Unlock()
	_ = b.peer().Send("1") // taken by the writer, which blocks
	require.Eventually(t, func() bool { return b.peer().Buffered() == 1 }, 10*time.Second, time.Millisecond)
	_ = b.peer().Send("2")
	_ = b.peer().Send("3") // full
	b.waitEnded()
	require.Equal(t, 1, m.get("overflows fake"))
	require.Equal(t, 1, m.get("disconnects fake 1013"))
	require.GreaterOrEqual(t, m.get("dropped fake"), 2, "the refused message and what was discarded")

	a2.leave()
	c.leave()
	require.Equal(t, 2, m.get("disconnects fake 1000"))
	require.Equal(t, 0, m.get("peers fake"))
	require.Equal(t, 0, m.get("negative durations"))
}

// nopMetrics is the cheapest Metrics: what the core's own calls cost.
type nopMetrics struct{ n atomic.Int64 }

func (*nopMetrics) Connected(string)                             {}
func (*nopMetrics) Disconnected(string, anyws.StatusCode)        {}
func (*nopMetrics) ConnectionLost(string, anyws.StatusCode)      {}
func (*nopMetrics) ResumeClaimed(string, string)                 {}
func (*nopMetrics) MessageReceived(string, int)                  {}
func (*nopMetrics) BatchWritten(string, int, int, time.Duration) {}
func (*nopMetrics) QueueFull(string)                             {}
func (*nopMetrics) MessagesDropped(string, int)                  {}
func (m *nopMetrics) Published(n int)                            { m.n.Add(int64(n)) }
func (*nopMetrics) BrokerError()                                 {}
func (*nopMetrics) UplinkForwarded(int)                          {}

// BenchmarkHubPublishMetrics is BenchmarkHubPublish without metrics and
// with a Metrics that does nothing: the core's cost of measuring (one
// call per publish, a clock read around each write). The Prometheus
// and OpenTelemetry modules have the same benchmark with their own.
func BenchmarkHubPublishMetrics(b *testing.B) {
	for _, n := range []int{1, 100} {
		for _, on := range []bool{false, true} {
			b.Run(fmt.Sprint("subscribers=", n, "/metrics=", on), func(b *testing.B) {
				opts := &anyws.Options{}
				if on {
					opts.Metrics = &nopMetrics{}
				}
				hub := anyws.New(anyws.Hooks{Open: func(p *anyws.Peer) { p.Subscribe("room") }}, opts)
				defer hub.Close()
				conns := benchPeers(b, hub, n)
				defer closePeers(conns)
				msg := anyws.Text(`{"user":"alice","text":"hello, world"}`)
				b.ReportAllocs()
				sent := 0
				cpu := cpuTime()
				for b.Loop() {
					if err := hub.Publish("room", msg); err != nil {
						b.Fatal(err)
					}
					sent++
				}
				waitCounts(b, conns, sent)
				reportCPU(b, cpu, sent)
			})
		}
	}
}

// Package otel records anyws's measurements (anyws.Metrics) with
// OpenTelemetry metrics. It is a module of its own, so that anyws itself
// depends on no metrics library:
//
//	m, err := otel.New(meterProvider) // nil: the global one
//	hub := anyws.New(hooks, &anyws.Options{Metrics: m})
//
// The instruments, on the meter "github.com/anyws/anyws" (the
// Prometheus exporter names them as metrics/prometheus does:
// anyws.connects becomes anyws_connects_total):
//
//	anyws.peers                   up-down counter {transport}: open peers
//	anyws.connects                counter {transport}
//	anyws.disconnects             counter {transport, code}
//	anyws.connection.drops        counter {transport, code}: the peer waits for a resume
//	anyws.resumes                 counter {transport, result}
//	anyws.received.messages       counter {transport}
//	anyws.received.bytes          counter {transport}, By
//	anyws.sent.messages           counter {transport}
//	anyws.sent.bytes              counter {transport}, By
//	anyws.write.duration          histogram {transport}, s: one batch write
//	anyws.queue.overflows         counter {transport}
//	anyws.dropped.messages        counter {transport}
//	anyws.publish.fanout          histogram: local peers a publish was queued for
//	anyws.broker.errors           counter
//	anyws.uplink.forwards         counter {status}
package otel

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyws/anyws"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Metrics is an anyws.Metrics that records with OpenTelemetry
// instruments. Its methods allocate nothing on the hot paths (a
// publish, a write): each transport's attribute set is built once.
type Metrics struct {
	peers                                    metric.Int64UpDownCounter
	connects, disconnects, drops, resumes    metric.Int64Counter
	inMsgs, inBytes, outMsgs, outBytes       metric.Int64Counter
	overflows, dropped, brokerErrs, forwards metric.Int64Counter
	writeTime                                metric.Float64Histogram
	fanout                                   metric.Int64Histogram

	mu         sync.Mutex
	transports atomic.Pointer[map[string]*attrs] // copied on write
}

// attrs are one transport's attribute set, as the options the
// instruments take (prebuilt: a variadic argument made at the call
// would be allocated at each call).
type attrs struct {
	add []metric.AddOption
	rec []metric.RecordOption
}

var _ anyws.Metrics = (*Metrics)(nil)

// New creates the instruments on mp's meter "github.com/anyws/anyws"
// (the global MeterProvider when mp is nil).
func New(mp metric.MeterProvider) (*Metrics, error) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	meter := mp.Meter("github.com/anyws/anyws")
	m := &Metrics{}
	var errs []error
	counter := func(dst *metric.Int64Counter, name, unit, desc string) {
		c, err := meter.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		*dst = c
		errs = append(errs, err)
	}
	var err error
	m.peers, err = meter.Int64UpDownCounter("anyws.peers", metric.WithUnit("{peer}"), metric.WithDescription("Open peers, those waiting for their client to resume them included."))
	errs = append(errs, err)
	counter(&m.connects, "anyws.connects", "{peer}", "New peers.")
	counter(&m.disconnects, "anyws.disconnects", "{peer}", "Peers gone (their Close hook ran), by close code.")
	counter(&m.drops, "anyws.connection.drops", "{connection}", "Dropped connections whose peer waits for its client to resume it, by close code.")
	counter(&m.resumes, "anyws.resumes", "{claim}", "Claims to an earlier peer, by result: resumed, or why not (unknown, gap, refused).")
	counter(&m.inMsgs, "anyws.received.messages", "{message}", "Client messages delivered to the Message hook.")
	counter(&m.inBytes, "anyws.received.bytes", "By", "Payload bytes of the client messages delivered.")
	counter(&m.outMsgs, "anyws.sent.messages", "{message}", "Messages written to connections.")
	counter(&m.outBytes, "anyws.sent.bytes", "By", "Payload bytes of the messages written, before the transport's framing.")
	counter(&m.overflows, "anyws.queue.overflows", "{message}", "Messages that did not fit a peer's outbound queue.")
	counter(&m.dropped, "anyws.dropped.messages", "{message}", "Messages queued for a peer and never written (full queue, a close that does not flush, a peer gone).")
	counter(&m.brokerErrs, "anyws.broker.errors", "{error}", "Errors the broker reported.")
	counter(&m.forwards, "anyws.uplink.forwards", "{message}", "SSE uplink messages forwarded to the node holding their stream, by the HTTP status answered.")
	m.writeTime, err = meter.Float64Histogram("anyws.write.duration", metric.WithUnit("s"),
		metric.WithDescription("Time to write one batch of queued messages to a connection."),
		metric.WithExplicitBucketBoundaries(.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
	errs = append(errs, err)
	m.fanout, err = meter.Int64Histogram("anyws.publish.fanout", metric.WithUnit("{peer}"),
		metric.WithDescription("Local peers a publish (made here or relayed by the broker) was queued for."),
		metric.WithExplicitBucketBoundaries(0, 1, 10, 100, 1000, 10000, 100000))
	errs = append(errs, err)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	m.transports.Store(&map[string]*attrs{})
	return m, nil
}

// of returns the attributes of transport, made the first time.
func (m *Metrics) of(transport string) *attrs {
	if a := (*m.transports.Load())[transport]; a != nil {
		return a
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.transports.Load()
	if a := old[transport]; a != nil {
		return a
	}
	set := metric.WithAttributeSet(attribute.NewSet(attribute.String("transport", transport)))
	o := &attrs{add: []metric.AddOption{set}, rec: []metric.RecordOption{set}}
	next := make(map[string]*attrs, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[transport] = o
	m.transports.Store(&next)
	return o
}

var bg = context.Background()

func (m *Metrics) Connected(transport string) {
	a := m.of(transport).add
	m.connects.Add(bg, 1, a...)
	m.peers.Add(bg, 1, a...)
}

func (m *Metrics) Disconnected(transport string, code anyws.StatusCode) {
	m.peers.Add(bg, -1, m.of(transport).add...)
	m.disconnects.Add(bg, 1, metric.WithAttributes(attribute.String("transport", transport), attribute.String("code", strconv.Itoa(int(code)))))
}

func (m *Metrics) ConnectionLost(transport string, code anyws.StatusCode) {
	m.drops.Add(bg, 1, metric.WithAttributes(attribute.String("transport", transport), attribute.String("code", strconv.Itoa(int(code)))))
}

func (m *Metrics) ResumeClaimed(transport, result string) {
	m.resumes.Add(bg, 1, metric.WithAttributes(attribute.String("transport", transport), attribute.String("result", result)))
}

func (m *Metrics) MessageReceived(transport string, bytes int) {
	a := m.of(transport).add
	m.inMsgs.Add(bg, 1, a...)
	m.inBytes.Add(bg, int64(bytes), a...)
}

func (m *Metrics) BatchWritten(transport string, messages, bytes int, took time.Duration) {
	a := m.of(transport)
	m.outMsgs.Add(bg, int64(messages), a.add...)
	m.outBytes.Add(bg, int64(bytes), a.add...)
	m.writeTime.Record(bg, took.Seconds(), a.rec...)
}

func (m *Metrics) QueueFull(transport string) { m.overflows.Add(bg, 1, m.of(transport).add...) }

func (m *Metrics) MessagesDropped(transport string, messages int) {
	m.dropped.Add(bg, int64(messages), m.of(transport).add...)
}

func (m *Metrics) Published(subscribers int) { m.fanout.Record(bg, int64(subscribers)) }

func (m *Metrics) BrokerError() { m.brokerErrs.Add(bg, 1) }

func (m *Metrics) UplinkForwarded(status int) {
	m.forwards.Add(bg, 1, metric.WithAttributes(attribute.Int("status", status)))
}

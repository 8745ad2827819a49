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
//	anyws.received.messages       counter {transport} (observable)
//	anyws.received.bytes          counter {transport}, By (observable)
//	anyws.sent.messages           counter {transport} (observable)
//	anyws.sent.bytes              counter {transport}, By (observable)
//	anyws.write.duration          histogram {transport}, s: one batch write
//	anyws.queue.overflows         counter {transport}
//	anyws.dropped.messages        counter {transport}
//	anyws.publish.fanout          histogram: local peers a publish was queued for
//	anyws.broker.errors           counter
//	anyws.uplink.forwards         counter {status}
//
// The four counters updated on every write and every received message
// are observable: Metrics adds to its own atomic counts and reports
// them when the reader collects, because the SDK's synchronous Add
// costs about 100 ns a call. The histograms have no observable form in
// OpenTelemetry: each publish and each write records one.
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
// publish, a write): each transport's attribute set is built once, as
// the options the instruments take (a variadic argument made at the
// call would be allocated at each call).
type Metrics struct {
	peers                                    metric.Int64UpDownCounter
	connects, disconnects, drops, resumes    metric.Int64Counter
	inMsgs, inBytes, outMsgs, outBytes       metric.Int64ObservableCounter
	overflows, dropped, brokerErrs, forwards metric.Int64Counter
	writeTime                                metric.Float64Histogram
	fanout                                   metric.Int64Histogram

	mu         sync.Mutex
	transports atomic.Pointer[[]*attrs] // copied on write
}

// attrs are one transport's options and hot counts.
type attrs struct {
	transport string
	add       []metric.AddOption
	rec       []metric.RecordOption
	obs       []metric.ObserveOption

	inMsgs, inBytes, outMsgs, outBytes atomic.Int64
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
	observed := func(dst *metric.Int64ObservableCounter, name, unit, desc string) {
		c, err := meter.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		*dst = c
		errs = append(errs, err)
	}
	observed(&m.inMsgs, "anyws.received.messages", "{message}", "Client messages delivered to the Message hook.")
	observed(&m.inBytes, "anyws.received.bytes", "By", "Payload bytes of the client messages delivered.")
	observed(&m.outMsgs, "anyws.sent.messages", "{message}", "Messages written to connections.")
	observed(&m.outBytes, "anyws.sent.bytes", "By", "Payload bytes of the messages written, before the transport's framing.")
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
	m.transports.Store(&[]*attrs{})
	if _, err := meter.RegisterCallback(m.observe, m.inMsgs, m.inBytes, m.outMsgs, m.outBytes); err != nil {
		return nil, err
	}
	return m, nil
}

// observe reports the hot counts, at each collection. A transport's
// count is left out until it is not zero, as a synchronous counter has
// no point before its first Add.
func (m *Metrics) observe(_ context.Context, o metric.Observer) error {
	for _, a := range *m.transports.Load() {
		for _, c := range []struct {
			inst metric.Int64ObservableCounter
			n    int64
		}{{m.inMsgs, a.inMsgs.Load()}, {m.inBytes, a.inBytes.Load()}, {m.outMsgs, a.outMsgs.Load()}, {m.outBytes, a.outBytes.Load()}} {
			if c.n != 0 {
				o.ObserveInt64(c.inst, c.n, a.obs...)
			}
		}
	}
	return nil
}

// of returns the attributes of transport, made the first time. A
// process has a handful of transports, whose names are the core's
// constants: a scan comparing them beats hashing the name every call.
func (m *Metrics) of(transport string) *attrs {
	for _, a := range *m.transports.Load() {
		if a.transport == transport {
			return a
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.transports.Load()
	for _, a := range old {
		if a.transport == transport {
			return a
		}
	}
	set := metric.WithAttributeSet(attribute.NewSet(attribute.String("transport", transport)))
	o := &attrs{transport: transport, add: []metric.AddOption{set}, rec: []metric.RecordOption{set}, obs: []metric.ObserveOption{set}}
	next := append(old[:len(old):len(old)], o)
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
	a := m.of(transport)
	a.inMsgs.Add(1)
	a.inBytes.Add(int64(bytes))
}

func (m *Metrics) BatchWritten(transport string, messages, bytes int, took time.Duration) {
	a := m.of(transport)
	a.outMsgs.Add(int64(messages))
	a.outBytes.Add(int64(bytes))
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

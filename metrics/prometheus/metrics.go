// Package prometheus exports anyws's measurements (anyws.Metrics) as
// Prometheus metrics. It is a module of its own, so that anyws itself
// depends on no metrics library:
//
//	m, err := prometheus.New(prom.DefaultRegisterer) // or your registry
//	hub := anyws.New(hooks, &anyws.Options{Metrics: m})
//	mux.Handle("/metrics", promhttp.Handler())
//
// The metric names (README, "Operating anyws"):
//
//	anyws_peers{transport}                       gauge: open peers (those waiting for a resume too)
//	anyws_connects_total{transport}              new peers
//	anyws_disconnects_total{transport,code}      peers gone, by close code
//	anyws_connection_drops_total{transport,code} dropped connections whose peer waits for a resume
//	anyws_resumes_total{transport,result}        resume claims: resumed, unknown, gap, refused
//	anyws_received_messages_total{transport}     client messages delivered to the Message hook
//	anyws_received_bytes_total{transport}        their payload bytes
//	anyws_sent_messages_total{transport}         messages written to connections
//	anyws_sent_bytes_total{transport}            their payload bytes (before framing)
//	anyws_write_duration_seconds{transport}      histogram: one batch write (Conn.Write)
//	anyws_queue_overflows_total{transport}       messages that did not fit a peer's queue
//	anyws_dropped_messages_total{transport}      messages queued for a peer and never written
//	anyws_publish_fanout                         histogram: local peers a publish was queued for
//	anyws_broker_errors_total                    broker errors
//	anyws_uplink_forwards_total{status}          SSE uplink messages forwarded to another node, by answer
//
// Give several Hubs of one process different registries, or wrap the
// registerer (prometheus.WrapRegistererWith) to tell them apart.
package prometheus

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyws/anyws"
	prom "github.com/prometheus/client_golang/prometheus"
)

// Metrics is an anyws.Metrics that updates Prometheus collectors. Its
// methods allocate nothing on the hot paths (a publish, a write): the
// series of each transport are resolved once, and the two histograms
// on those paths count integers with two atomic adds (histogram.go).
type Metrics struct {
	peers       *prom.GaugeVec
	connects    *prom.CounterVec
	disconnects *prom.CounterVec
	drops       *prom.CounterVec
	resumes     *prom.CounterVec
	inMsgs      *prom.CounterVec
	inBytes     *prom.CounterVec
	outMsgs     *prom.CounterVec
	outBytes    *prom.CounterVec
	writeDesc   *prom.Desc // histograms: histogram.go
	overflows   *prom.CounterVec
	dropped     *prom.CounterVec
	fanout      *hist
	brokerErrs  prom.Counter
	forwards    *prom.CounterVec

	mu         sync.Mutex                // serializes adding a transport
	transports atomic.Pointer[[]*series] // copied on write
}

var _ anyws.Metrics = (*Metrics)(nil)

// series are one transport's collectors.
type series struct {
	transport                                    string
	peers                                        prom.Gauge
	connects, inMsgs, inBytes, outMsgs, outBytes prom.Counter
	overflows, dropped                           prom.Counter
	writeTime                                    *hist // nanoseconds
}

// WriteBuckets are anyws_write_duration_seconds's buckets: from 100 µs
// (a write to a fast socket) to 10 s (the write deadline).
var WriteBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// FanoutBuckets are anyws_publish_fanout's buckets.
var FanoutBuckets = []float64{0, 1, 10, 100, 1000, 10000, 100000}

// New registers anyws's collectors with reg (prometheus.DefaultRegisterer
// when nil) and returns the Metrics to set in anyws.Options. It fails if
// they are registered there already.
func New(reg prom.Registerer) (*Metrics, error) {
	if reg == nil {
		reg = prom.DefaultRegisterer
	}
	tr := []string{"transport"}
	counter := func(name, help string, labels ...string) *prom.CounterVec {
		return prom.NewCounterVec(prom.CounterOpts{Namespace: "anyws", Name: name, Help: help}, labels)
	}
	m := &Metrics{
		peers:       prom.NewGaugeVec(prom.GaugeOpts{Namespace: "anyws", Name: "peers", Help: "Open peers, those waiting for their client to resume them included."}, tr),
		connects:    counter("connects_total", "New peers.", tr...),
		disconnects: counter("disconnects_total", "Peers gone (their Close hook ran), by close code.", "transport", "code"),
		drops:       counter("connection_drops_total", "Dropped connections whose peer waits for its client to resume it, by close code.", "transport", "code"),
		resumes:     counter("resumes_total", "Claims to an earlier peer, by result: resumed, or why not (unknown, gap, refused).", "transport", "result"),
		inMsgs:      counter("received_messages_total", "Client messages delivered to the Message hook.", tr...),
		inBytes:     counter("received_bytes_total", "Payload bytes of the client messages delivered.", tr...),
		outMsgs:     counter("sent_messages_total", "Messages written to connections.", tr...),
		outBytes:    counter("sent_bytes_total", "Payload bytes of the messages written, before the transport's framing.", tr...),
		writeDesc:   prom.NewDesc("anyws_write_duration_seconds", "Time to write one batch of queued messages to a connection.", tr, nil),
		overflows:   counter("queue_overflows_total", "Messages that did not fit a peer's outbound queue.", tr...),
		dropped:     counter("dropped_messages_total", "Messages queued for a peer and never written (full queue, a close that does not flush, a peer gone).", tr...),
		fanout:      newHist(prom.NewDesc("anyws_publish_fanout", "Local peers a publish (made here or relayed by the broker) was queued for.", nil, nil), FanoutBuckets, 1),
		brokerErrs:  prom.NewCounter(prom.CounterOpts{Namespace: "anyws", Name: "broker_errors_total", Help: "Errors the broker reported."}),
		forwards:    counter("uplink_forwards_total", "SSE uplink messages forwarded to the node holding their stream, by the HTTP status answered.", "status"),
	}
	for _, c := range []prom.Collector{
		m.peers, m.connects, m.disconnects, m.drops, m.resumes, m.inMsgs, m.inBytes, m.outMsgs, m.outBytes,
		histograms{m}, m.overflows, m.dropped, m.brokerErrs, m.forwards,
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.transports.Store(&[]*series{})
	return m, nil
}

// histograms collects the Metrics' histograms (histogram.go).
type histograms struct{ m *Metrics }

func (h histograms) Describe(ch chan<- *prom.Desc) {
	ch <- h.m.fanout.desc
	ch <- h.m.writeDesc
}

func (h histograms) Collect(ch chan<- prom.Metric) {
	ch <- h.m.fanout.metric()
	for _, s := range *h.m.transports.Load() {
		ch <- s.writeTime.metric()
	}
}

// of returns transport's series, creating them the first time. A
// process has a handful of transports, whose names are the core's
// constants: a scan comparing them (same length, then same pointer)
// beats hashing the name on every write.
func (m *Metrics) of(transport string) *series {
	for _, s := range *m.transports.Load() {
		if s.transport == transport {
			return s
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.transports.Load()
	for _, s := range old {
		if s.transport == transport {
			return s
		}
	}
	s := &series{
		transport: transport,
		peers:     m.peers.WithLabelValues(transport),
		connects:  m.connects.WithLabelValues(transport),
		inMsgs:    m.inMsgs.WithLabelValues(transport),
		inBytes:   m.inBytes.WithLabelValues(transport),
		outMsgs:   m.outMsgs.WithLabelValues(transport),
		outBytes:  m.outBytes.WithLabelValues(transport),
		overflows: m.overflows.WithLabelValues(transport),
		dropped:   m.dropped.WithLabelValues(transport),
		writeTime: newHist(m.writeDesc, WriteBuckets, 1e-9, transport),
	}
	next := append(old[:len(old):len(old)], s)
	m.transports.Store(&next)
	return s
}

func (m *Metrics) Connected(transport string) {
	s := m.of(transport)
	s.connects.Inc()
	s.peers.Inc()
}

func (m *Metrics) Disconnected(transport string, code anyws.StatusCode) {
	m.of(transport).peers.Dec()
	m.disconnects.WithLabelValues(transport, strconv.Itoa(int(code))).Inc()
}

func (m *Metrics) ConnectionLost(transport string, code anyws.StatusCode) {
	m.drops.WithLabelValues(transport, strconv.Itoa(int(code))).Inc()
}

func (m *Metrics) ResumeClaimed(transport, result string) {
	m.resumes.WithLabelValues(transport, result).Inc()
}

func (m *Metrics) MessageReceived(transport string, bytes int) {
	s := m.of(transport)
	s.inMsgs.Inc()
	s.inBytes.Add(float64(bytes))
}

func (m *Metrics) BatchWritten(transport string, messages, bytes int, took time.Duration) {
	s := m.of(transport)
	s.outMsgs.Add(float64(messages))
	s.outBytes.Add(float64(bytes))
	s.writeTime.observe(int64(took))
}

func (m *Metrics) QueueFull(transport string) { m.of(transport).overflows.Inc() }

func (m *Metrics) MessagesDropped(transport string, messages int) {
	m.of(transport).dropped.Add(float64(messages))
}

func (m *Metrics) Published(subscribers int) { m.fanout.observe(int64(subscribers)) }

func (m *Metrics) BrokerError() { m.brokerErrs.Inc() }

func (m *Metrics) UplinkForwarded(status int) {
	m.forwards.WithLabelValues(strconv.Itoa(status)).Inc()
}

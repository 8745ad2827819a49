package pubsub

import (
	"context"
	"errors"
)

// ErrNoNode is returned by Requester.Request when no node with that id is
// on the bus, or it does not answer that service: the node is gone, and so
// is every stream it held.
var ErrNoNode = errors.New("pubsub: no such node on the broker")

// ErrBusy is returned by Requester.Request when the node had too many
// requests in flight to take this one. The request was not served: it
// may be sent again.
var ErrBusy = errors.New("pubsub: the node is too busy to serve the request (not served): try again")

// Requester is implemented by brokers that also carry requests from one
// node to another. anyws's SSE adapter uses it for uplink routing: a POST
// that lands on a node that does not hold its stream is forwarded to the
// node that does, and answered with that node's verdict, so a load
// balancer needs no sticky sessions.
type Requester interface {
	// Handle makes fn answer the requests other nodes send to this node
	// for service, until stop is called. fn runs on a goroutine of its
	// own for each request (a bounded number at once, the rest waiting
	// or refused with ErrBusy); a slow fn never delays the delivery of
	// publishes. ctx ends when the broker closes. Call it after Start.
	Handle(service string, fn func(ctx context.Context, payload []byte) []byte) (stop func())
	// Request sends payload to the handler of service on node and returns
	// its answer. It fails with ErrNoNode when that node or service is not
	// there, with ErrBusy when the node turned it away unserved, and with
	// ctx's error when no answer came in time (the handler may then have
	// run, or not). It may be
	// called from any goroutine and blocks until the answer.
	Request(ctx context.Context, node, service string, payload []byte) ([]byte, error)
}

// Stats are a broker's counters since Start, for metrics.
type Stats struct {
	// Published counts publishes handed to the server.
	Published uint64
	// Delivered counts messages from other nodes passed to deliver.
	Delivered uint64
	// Failed counts publishes lost, or that may not have reached every
	// node: the server was unreachable or had just come back (other
	// nodes may not have resubscribed yet), a command failed (never
	// retried, so nothing arrives twice), the outbound queue was full,
	// the message was too large, or, on the receiving node, the receive
	// buffer was full. Losses are also reported to the fail callback
	// given to Start (the Hub's Error hook, with a nil peer): once when
	// an outage starts, with the sum when it ends.
	Failed uint64
	// Reconnects counts the times the broker's connection came back after
	// it was lost (subscriptions are then restored).
	Reconnects uint64
}

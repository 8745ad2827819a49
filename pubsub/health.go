package pubsub

import "context"

// Checker is implemented by brokers that can tell whether they are
// connected to their server. Hub.Ready asks it, so a load balancer
// stops sending clients to a node that cannot reach the others.
type Checker interface {
	// Check returns nil when the broker is connected, else why not. It
	// may ask the server (a ping), within ctx.
	Check(ctx context.Context) error
}

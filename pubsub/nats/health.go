package nats

import (
	"context"
	"fmt"

	"github.com/anyws/anyws/pubsub"
)

var _ pubsub.Checker = (*Broker)(nil)

// Check returns nil while the connection to the NATS server is up (it
// asks nothing of the server: nats.go knows from its pings).
func (b *Broker) Check(context.Context) error {
	if !b.nc.IsConnected() {
		return fmt.Errorf("nats: not connected (%s)", b.nc.Status())
	}
	return nil
}

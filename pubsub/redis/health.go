package redis

import (
	"context"
	"fmt"

	"github.com/anyws/anyws/pubsub"
)

var _ pubsub.Checker = (*Broker)(nil)

// Check pings the Redis server within ctx: nil when it answers.
func (b *Broker) Check(ctx context.Context) error {
	if err := b.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: not connected: %w", err)
	}
	return nil
}

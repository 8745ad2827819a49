package nats

import "time"

// newTicker paces the wait for a reconnect in Sync.
func newTicker() *time.Ticker { return time.NewTicker(20 * time.Millisecond) }

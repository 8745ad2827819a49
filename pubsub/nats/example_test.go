package nats_test

import (
	"log"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/nats"
)

// A Hub whose topics keep a history in JetStream: positions that every
// node agrees on, Hub.History, and catch-up after a NATS outage.
func ExampleNewHistory() {
	b, err := nats.NewHistory(&nats.Options{URL: "nats://127.0.0.1:4222", Prefix: "myapp"},
		&pubsub.HistoryLimits{Count: 500}, nil)
	if err != nil {
		log.Fatal(err)
	}
	hub := anyws.New(anyws.Hooks{}, &anyws.Options{Broker: b})
	defer hub.Close()
}

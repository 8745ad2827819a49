package anyws_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/pubsub"
)

// A Hub with history: each publish gets a position, and History returns
// what was published after one (or the newest messages), so a client that
// comes back, or a page that loads, can catch up.
func ExampleHub_History() {
	hub := anyws.New(anyws.Hooks{}, &anyws.Options{
		Broker: pubsub.NewMemoryHistory(&pubsub.HistoryLimits{Count: 100}).Broker(),
	})
	defer hub.Close()
	ctx := context.Background()
	seen, _ := hub.PublishWait(ctx, "chat", "hello")
	_ = hub.Publish("chat", "how are you?")
	_ = hub.Publish("chat", anyws.Event{Name: "typing", Data: "bob"})

	missed, err := hub.History(ctx, "chat", seen, 0)
	if err != nil {
		panic(err)
	}
	for _, p := range missed {
		fmt.Println(p.Position.Offset, p.Message.EventName(), p.Message.Text())
	}

	// A position the history no longer covers (here: of another epoch).
	_, err = hub.History(ctx, "chat", pubsub.Position{Epoch: "gone", Offset: 1}, 0)
	fmt.Println(errors.Is(err, pubsub.ErrNotCovered))
	// Output:
	// 2  how are you?
	// 3 typing bob
	// true
}

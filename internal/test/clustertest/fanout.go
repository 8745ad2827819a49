package clustertest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/anyws/anyws/websocketsse"
	ws "github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// reader is what a WebSocket and a websocketsse Conn share.
type reader interface {
	Read(ctx context.Context) (ws.MessageType, []byte, error)
	CloseNow() error
}

// testFanOut: three nodes, a WebSocket and an SSE peer on each; every
// node publishes concurrently; every peer receives every publish exactly
// once, in order per publisher.
func testFanOut(t *testing.T, cfg Config) {
	const nodesN, per = 3, 200
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	var nodes []*Node
	for range nodesN {
		nodes = append(nodes, NewNode(t, cfg.NewBroker(), "chat"))
	}
	var clients []reader
	for _, n := range nodes {
		c, _, err := ws.Dial(ctx, strings.Replace(n.URL, "http", "ws", 1)+"/ws", nil)
		require.NoError(t, err)
		c.SetReadLimit(-1)
		clients = append(clients, c)
		s, _, err := websocketsse.Dial(ctx, n.URL+"/sse", &websocketsse.DialOptions{MaxQueuedMessages: 4096})
		require.NoError(t, err)
		clients = append(clients, s)
	}
	t.Cleanup(func() {
		for _, c := range clients {
			_ = c.CloseNow()
		}
	})
	for _, n := range nodes {
		recv(t, n.Opened, "Open")
		recv(t, n.Opened, "Open")
	}
	Sync(t, nodes...)

	var wg sync.WaitGroup
	results := make([]error, len(clients))
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = readAll(ctx, c, nodesN, per)
		}()
	}
	var pubs sync.WaitGroup
	for i, n := range nodes {
		pubs.Add(1)
		go func() {
			defer pubs.Done()
			for seq := range per {
				if err := n.Hub.Publish("chat", label(i, seq)); err != nil {
					panic(err)
				}
			}
		}()
	}
	pubs.Wait()
	wg.Wait()
	for i, err := range results {
		require.NoError(t, err, "client %d", i)
	}
}

// readAll reads nodes*per messages and checks each publisher's sequence
// is complete and in order, then that nothing else arrives before a
// final check message... (duplicates would show as out-of-order).
func readAll(ctx context.Context, c reader, nodes, per int) error {
	next := make([]int, nodes)
	for range nodes * per {
		_, b, err := c.Read(ctx)
		if err != nil {
			return err
		}
		var node, seq int
		if _, err := fmt.Sscanf(string(b), "%d:%d", &node, &seq); err != nil || node >= nodes {
			return fmt.Errorf("unexpected message %q", b)
		}
		if seq != next[node] {
			return fmt.Errorf("from node %d: got %d, want %d (lost, duplicated or reordered)", node, seq, next[node])
		}
		next[node]++
	}
	return nil
}

package clustertest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/sse"
	"github.com/anyws/anyws/adapters/websocket"
	"github.com/anyws/anyws/pubsub"
	"github.com/stretchr/testify/require"
)

// A node in a process of its own, so a scenario can kill it with
// SIGKILL as an operator's kill -9 does: no deferred call, no Close, no
// goodbye on the broker's connection, the kernel closes its sockets. The
// process is the broker package's test binary run again with nodeEnv
// set; its TestMain calls NodeMain, which serves the node instead of
// running tests.

// nodeEnv carries a child node's procConfig (JSON).
const nodeEnv = "ANYWS_CLUSTERTEST_NODE"

type procConfig struct {
	Broker string `json:"broker"` // its name in NodeMain's map
	URL    string `json:"url"`    // the broker server's
	ID     string `json:"id"`     // the scenario's id (the brokers' prefix)
	Topic  string `json:"topic"`  // every peer subscribes to it in Open
	// Recovering: peers outlive their connections (the default resume
	// window) and are served over SSE too, and the node reports the
	// peer records it saves (the recovery scenario kills it).
	Recovering bool `json:"recovering"`
}

// NewBroker makes a broker on the server at url; id is unique per
// scenario, for a prefix that keeps the scenarios' topics apart.
type NewBroker func(url, id string) (pubsub.Broker, error)

// brokers are the constructors NodeMain registered, by name.
var brokers map[string]NewBroker

// NodeMain is the first call of a broker test package's TestMain; bs
// names the package's broker constructors for RunOnServers. In a
// process StartProcessNode started, it serves one node on the broker
// its parent named, and never returns.
func NodeMain(bs map[string]NewBroker) {
	env := os.Getenv(nodeEnv)
	if env == "" {
		brokers = bs
		return
	}
	var cfg procConfig
	if err := json.Unmarshal([]byte(env), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "clustertest: bad", nodeEnv, err)
		os.Exit(2)
	}
	newBroker := bs[cfg.Broker]
	if newBroker == nil {
		fmt.Fprintf(os.Stderr, "clustertest: no broker %q in NodeMain\n", cfg.Broker)
		os.Exit(2)
	}
	if err := serveNode(cfg, newBroker); err != nil {
		fmt.Fprintln(os.Stderr, "clustertest: node:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// serveNode runs the child's node until its stdin ends (the test
// ended: no process outlives its test binary) or it is killed. It
// tells the parent, one line each on stdout: "ready <url> <node id>",
// "open <peer id>" and "event <PresenceEvent JSON>".
func serveNode(cfg procConfig, newBroker NewBroker) error {
	b, err := newBroker(cfg.URL, cfg.ID)
	if err != nil {
		return err
	}
	var outMu sync.Mutex
	say := func(kind, v string) {
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Fprintln(os.Stdout, kind, v)
	}
	window := time.Duration(-1)
	if cfg.Recovering {
		window = 0 // the default
		if sb, ok := b.(storeBroker); ok {
			b = savesSaid{sb, func(rec []byte) { say("record", string(rec)) }}
		}
	}
	hub := anyws.New(anyws.Hooks{
		Open: func(p *anyws.Peer) {
			p.Subscribe(cfg.Topic)
			say("open", p.ID())
		},
	}, &anyws.Options{
		Broker: b, ResumeWindow: window,
		Presence: &anyws.PresenceOptions{
			Info: func(*anyws.Peer, string) []byte { return []byte(`{"node":"process"}`) },
			Change: func(e anyws.PresenceEvent) {
				data, _ := json.Marshal(e)
				say("event", string(data))
			},
		},
	})
	if hub.Broker() == nil {
		return fmt.Errorf("the broker did not start")
	}
	mux := http.NewServeMux()
	mux.Handle("/ws", websocket.New(hub, nil))
	if cfg.Recovering {
		mux.Handle("/sse", sse.New(hub, &sse.Options{Bidirectional: true}))
	}
	mux.HandleFunc("/presence", func(w http.ResponseWriter, r *http.Request) {
		ms, err := hub.Presence(r.Context(), r.URL.Query().Get("topic"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(ms)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	say("ready", "http://"+ln.Addr().String()+" "+hub.NodeID())
	_, _ = io.Copy(io.Discard, os.Stdin)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_ = srv.Close()
	return hub.Shutdown(ctx)
}

// ProcessNode is a node running in a child process (see NodeMain),
// served over WebSocket at /ws.
type ProcessNode struct {
	URL    string
	NodeID string
	// Opened gets the id of each peer the node opens.
	Opened chan string
	// Events gets the node's PresenceOptions.Change events.
	Events chan anyws.PresenceEvent
	// Records gets each peer record the node saved (JSON), for a node
	// started with StartRecoveringNode.
	Records chan string

	cmd    *exec.Cmd
	stdin  io.Closer
	stderr *lockedBuffer
	read   chan struct{} // closed when stdout ended
}

// StartProcessNode starts a node in a child process, on the broker
// NodeMain knows as broker, on the server at url; every peer subscribes
// to topic. It is killed and waited for at cleanup.
func StartProcessNode(t testing.TB, broker, url, id, topic string) *ProcessNode {
	t.Helper()
	return startProcess(t, procConfig{Broker: broker, URL: url, ID: id, Topic: topic})
}

// StartRecoveringNode is StartProcessNode for a node whose peers outlive
// their connections, served over WebSocket at /ws and bidirectional SSE
// at /sse; it reports the peer records it saves on Records.
func StartRecoveringNode(t testing.TB, broker, url, id, topic string) *ProcessNode {
	t.Helper()
	return startProcess(t, procConfig{Broker: broker, URL: url, ID: id, Topic: topic, Recovering: true})
}

func startProcess(t testing.TB, cfg procConfig) *ProcessNode {
	broker := cfg.Broker
	require.NotNil(t, brokers[broker], "clustertest: no broker %q: name it in TestMain's NodeMain", broker)
	env, err := json.Marshal(cfg)
	require.NoError(t, err)
	self, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), nodeEnv+"="+string(env))
	n := &ProcessNode{
		Opened:  make(chan string, 64),
		Events:  make(chan anyws.PresenceEvent, 256),
		Records: make(chan string, 256),
		cmd:     cmd,
		stderr:  &lockedBuffer{},
		read:    make(chan struct{}),
	}
	cmd.Stderr = n.stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	n.stdin = stdin
	ready := make(chan string, 1)
	go n.readLoop(t, stdout, ready)
	t.Cleanup(n.stop)
	select {
	case line := <-ready:
		url, node, _ := strings.Cut(line, " ")
		n.URL, n.NodeID = url, node
	case <-n.read:
		require.FailNow(t, "clustertest: the node process ended before it was ready", "stderr:\n%s", n.stderr)
	case <-time.After(wait):
		require.FailNow(t, "clustertest: timed out waiting for the node process to listen", "stderr:\n%s", n.stderr)
	}
	return n
}

func (n *ProcessNode) readLoop(t testing.TB, stdout io.Reader, ready chan<- string) {
	defer close(n.read)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		kind, v, _ := strings.Cut(sc.Text(), " ")
		switch kind {
		case "ready":
			ready <- v
		case "open":
			select {
			case n.Opened <- v:
			default:
				t.Errorf("clustertest: the node process opened more peers than Opened holds")
			}
		case "record":
			select {
			case n.Records <- v:
			default: // the scenario reads only the first ones
			}
		case "event":
			var e anyws.PresenceEvent
			if err := json.Unmarshal([]byte(v), &e); err != nil {
				t.Errorf("clustertest: bad event line from the node process: %q: %v", v, err)
				continue
			}
			select {
			case n.Events <- e:
			default:
				t.Errorf("clustertest: the node process sent more events than Events holds")
			}
		}
	}
}

// Kill sends SIGKILL to the node's process and waits for it to end.
func (n *ProcessNode) Kill() {
	_ = n.cmd.Process.Kill() // SIGKILL on Unix
	<-n.read
	_ = n.cmd.Wait()
}

// stop ends the process at cleanup, killed (again: a second Kill only
// reports it). Its stdin is closed first for nothing: it is what ends a
// child whose test binary died before its cleanup ran.
func (n *ProcessNode) stop() {
	_ = n.stdin.Close()
	n.Kill()
}

// Members asks the node for topic's members (Hub.Presence).
func (n *ProcessNode) Members(ctx context.Context, topic string) ([]anyws.Member, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.URL+"/presence?topic="+topic, nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		return nil, fmt.Errorf("clustertest: node process: %s: %s", res.Status, b)
	}
	var ms []anyws.Member
	return ms, json.NewDecoder(res.Body).Decode(&ms)
}

// lockedBuffer is a child's stderr, written by exec's copier and read by
// a failing test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// storeBroker is what a Hub needs of a broker to recover peers, and
// the presence the node reports.
type storeBroker interface {
	pubsub.HistoryBroker
	pubsub.Requester
	pubsub.PeerStore
	pubsub.Presence
}

// savesSaid tells of each peer record saved through it.
type savesSaid struct {
	storeBroker
	said func(rec []byte)
}

func (s savesSaid) SavePeer(ctx context.Context, key string, rec []byte, ttl time.Duration) error {
	err := s.storeBroker.SavePeer(ctx, key, rec, ttl)
	if err == nil {
		s.said(rec)
	}
	return err
}

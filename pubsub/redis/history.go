package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/anyws/anyws/pubsub"
	"github.com/anyws/anyws/pubsub/internal/catchup"
	"github.com/anyws/anyws/pubsub/internal/wire"
	goredis "github.com/redis/go-redis/v9"
)

// HistoryBroker is a Broker that keeps each topic's history in a Redis
// stream and gives every publish a position. It implements
// pubsub.HistoryBroker (and Syncer, Requester, Presence), and
// pubsub.PeerStore (peers.go).
//
// One Lua script per publish, run atomically by Redis, takes the topic's
// next offset (HINCRBY on a hash that also holds the epoch), appends the
// message to the topic's stream (XADD with MAXLEN, then XTRIM MINID for
// the age limit) and PUBLISHes it with its position to the nodes that
// subscribe: every node receives a topic in offset order, its own
// publishes included. A hash that is gone (FLUSHALL, a Redis without
// persistence restarted, a topic idle past the age limit: both keys
// expire) starts a new epoch, so old positions are never taken for new
// ones.
//
// Limits: Count and Age as in pubsub.HistoryLimits; Bytes is not
// enforced (Redis streams trim by count and by id, not by size).
type HistoryBroker struct {
	*Broker
}

var _ pubsub.HistoryBroker = (*HistoryBroker)(nil)

// historyState is what a Broker in history mode adds.
type historyState struct {
	limits pubsub.HistoryLimits
}

// NewHistory returns a broker in history mode (nil limits: the
// defaults). See New for opts.
func NewHistory(opts *Options, limits *pubsub.HistoryLimits) (*HistoryBroker, error) {
	b, err := New(opts)
	if err != nil {
		return nil, err
	}
	l := pubsub.DefaultHistoryLimits
	if limits != nil {
		if limits.Count != 0 {
			l.Count = limits.Count
		}
		if limits.Age != 0 {
			l.Age = limits.Age
		}
	}
	l.Bytes = -1 // not enforced
	b.hist = &historyState{limits: l}
	return &HistoryBroker{b}, nil
}

func (b *Broker) metaKey(topic string) string   { return b.prefix + "h:{" + topic + "}:m" }
func (b *Broker) streamKey(topic string) string { return b.prefix + "h:{" + topic + "}:s" }

// appendScript: KEYS meta, stream; ARGV channel, envelope, a new epoch,
// max count (-1: none), age in ms (<= 0: none). Returns {epoch, offset}.
var appendScript = goredis.NewScript(appendLua)

const appendLua = `
local meta, stream = KEYS[1], KEYS[2]
local epoch = redis.call('HGET', meta, 'e')
if not epoch then
  epoch = ARGV[3]
  redis.call('DEL', stream)
  redis.call('HSET', meta, 'e', epoch)
end
local off = redis.call('HINCRBY', meta, 'o', 1)
local maxlen = tonumber(ARGV[4])
if maxlen >= 0 then
  redis.call('XADD', stream, 'MAXLEN', maxlen, '*', 'o', off, 'd', ARGV[2])
else
  redis.call('XADD', stream, '*', 'o', off, 'd', ARGV[2])
end
local age = tonumber(ARGV[5])
if age > 0 then
  local t = redis.call('TIME')
  local min = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - age
  if min > 0 then redis.call('XTRIM', stream, 'MINID', min) end
  redis.call('PEXPIRE', meta, age)
  redis.call('PEXPIRE', stream, age)
end
redis.call('PUBLISH', ARGV[1], 'H' .. off .. '@' .. epoch .. '\n' .. ARGV[2])
return {epoch, off}
`

// historyScript: KEYS meta, stream; ARGV age in ms, count. Returns
// {epoch, top offset, newest count entries newest first}, or {} when the
// topic has no history.
var historyScript = goredis.NewScript(`
local meta, stream = KEYS[1], KEYS[2]
local epoch = redis.call('HGET', meta, 'e')
if not epoch then return {} end
local top = redis.call('HGET', meta, 'o')
local age = tonumber(ARGV[1])
if age > 0 then
  local t = redis.call('TIME')
  local min = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - age
  if min > 0 then redis.call('XTRIM', stream, 'MINID', min) end
end
local n = tonumber(ARGV[2])
if n <= 0 then return {epoch, top, {}} end
return {epoch, top, redis.call('XREVRANGE', stream, '+', '-', 'COUNT', n)}
`)

func (h *historyState) args(b *Broker, m pubsub.Message) ([]string, []any) {
	keys := []string{b.metaKey(m.Topic), b.streamKey(m.Topic)}
	maxlen := int64(h.limits.Count)
	if maxlen < 0 {
		maxlen = -1
	}
	return keys, []any{b.topicChannel(m.Topic), wire.AppendPublish(nil, m), rand.Text()[:13], maxlen, h.limits.Age.Milliseconds()}
}

// exec runs a batch's append scripts in one pipeline (the outbox's
// send). The pipeline loads the script first (SCRIPT LOAD, once per
// batch) and then calls it by its hash (EVALSHA), which saves Redis
// hashing the script's text for every publish; Redis runs a pipeline's
// commands in order, so the script is known to every call even if Redis
// restarted or forgot it since the last batch. (Calling by hash without
// loading in the same pipeline loses publishes: while another node's
// EVAL loads it, the first calls of a batch fail with NOSCRIPT and the
// later ones run.) It returns the calls' results.
func (h *historyState) exec(ctx context.Context, b *Broker, batch []pubsub.Message) ([]goredis.Cmder, error) {
	pipe := b.pub.Pipeline()
	pipe.ScriptLoad(ctx, appendLua)
	for _, m := range batch {
		keys, args := h.args(b, m)
		pipe.EvalSha(ctx, appendScript.Hash(), keys, args...)
	}
	cmds, err := pipe.Exec(ctx)
	if len(cmds) > 0 {
		cmds = cmds[1:]
	}
	return cmds, err
}

// Append implements pubsub.HistoryBroker: it waits until every publish
// queued before it was sent, then runs the append itself.
func (b *HistoryBroker) Append(ctx context.Context, m pubsub.Message) (pubsub.Position, error) {
	if !b.started.Load() || b.gate.Closed() {
		return pubsub.Position{}, errClosed
	}
	if err := b.out.Flush(ctx); err != nil {
		return pubsub.Position{}, err
	}
	m.Node = b.node
	keys, args := b.hist.args(b.Broker, m)
	res, err := appendScript.Run(ctx, b.pub, keys, args...).Slice()
	if err != nil {
		b.stats.Failed.Add(1)
		return pubsub.Position{}, fmt.Errorf("redis: append to %q (not stored): %w", m.Topic, err)
	}
	b.stats.Published.Add(1)
	return positionOf(res)
}

func positionOf(res []any) (pubsub.Position, error) {
	if len(res) < 2 {
		return pubsub.Position{}, errors.New("redis: unexpected reply from the append script")
	}
	epoch, _ := res[0].(string)
	off, _ := res[1].(int64)
	return pubsub.Position{Epoch: epoch, Offset: uint64(off)}, nil
}

// History implements pubsub.HistoryBroker.
// historySlack is how many more entries History reads than it counted,
// so that publishes made between its two reads do not send it round
// again.
const historySlack = 64

func (b *HistoryBroker) History(ctx context.Context, topic string, since pubsub.Position, limit int) ([]pubsub.Message, error) {
	if !b.started.Load() || b.gate.Closed() {
		return nil, errClosed
	}
	// How many of the newest entries to read: those after since, or the
	// newest limit. The first call learns the top offset.
	count := int64(limit)
	if !since.IsZero() || limit <= 0 {
		count = 0
	}
	for range 8 {
		res, err := historyScript.Run(ctx, b.client, []string{b.metaKey(topic), b.streamKey(topic)}, b.hist.limits.Age.Milliseconds(), count).Slice()
		if err != nil {
			return nil, fmt.Errorf("redis: history of %q: %w", topic, err)
		}
		if len(res) == 0 {
			if since.IsZero() {
				return nil, nil
			}
			return nil, fmt.Errorf("%w: topic %q has no history (none published, expired, or Redis lost it)", pubsub.ErrNotCovered, topic)
		}
		epoch, _ := res[0].(string)
		topS, _ := res[1].(string)
		top, _ := strconv.ParseUint(topS, 10, 64)
		want := count
		switch {
		case since.IsZero() && limit <= 0:
			want = int64(top)
		case since.IsZero():
			want = int64(limit)
		case since.Epoch != epoch:
			return nil, fmt.Errorf("%w: topic %q is at epoch %s, not %s (its history was lost)", pubsub.ErrNotCovered, topic, epoch, since.Epoch)
		case since.Offset > top:
			return nil, fmt.Errorf("%w: topic %q ends at offset %d, before %d", pubsub.ErrNotCovered, topic, top, since.Offset)
		default:
			want = int64(top - since.Offset)
		}
		if want == 0 {
			return nil, nil
		}
		if want > count {
			// Read again with the count, plus some slack: the top may move
			// on between the reads (publishes go on), and more is fine.
			count = want + historySlack
			continue
		}
		rows, _ := res[2].([]any)
		msgs, err := decodeRows(rows, epoch)
		if err != nil {
			return nil, fmt.Errorf("redis: history of %q: %w", topic, err)
		}
		slices.Reverse(msgs)
		if since.IsZero() && limit > 0 && len(msgs) > limit {
			msgs = msgs[len(msgs)-limit:] // the newest limit
		}
		if !since.IsZero() {
			i := slices.IndexFunc(msgs, func(m pubsub.Message) bool { return m.Position.Offset > since.Offset })
			if i < 0 || msgs[i].Position.Offset != since.Offset+1 {
				first := uint64(0)
				if len(msgs) > 0 {
					first = msgs[0].Position.Offset
				}
				return nil, fmt.Errorf("%w: topic %q keeps offsets from %d; those after %d were trimmed", pubsub.ErrNotCovered, topic, first, since.Offset)
			}
			msgs = msgs[i:]
			if limit > 0 && len(msgs) > limit {
				msgs = msgs[:limit]
			}
		}
		return msgs, nil
	}
	return nil, fmt.Errorf("redis: history of %q: the topic moved on while it was read; try again", topic)
}

// decodeRows reads XREVRANGE rows: [id, [o, offset, d, envelope]].
func decodeRows(rows []any, epoch string) ([]pubsub.Message, error) {
	out := make([]pubsub.Message, 0, len(rows))
	for _, r := range rows {
		row, _ := r.([]any)
		if len(row) != 2 {
			return nil, errors.New("malformed stream entry")
		}
		fields, _ := row[1].([]any)
		var m pubsub.Message
		var off uint64
		ok := false
		for i := 0; i+1 < len(fields); i += 2 {
			k, _ := fields[i].(string)
			v, _ := fields[i+1].(string)
			switch k {
			case "o":
				off, _ = strconv.ParseUint(v, 10, 64)
			case "d":
				e, err := wire.Decode([]byte(v))
				if err != nil || e.Kind != wire.KindPublish {
					return nil, fmt.Errorf("malformed stream entry: %w", wire.ErrMalformed)
				}
				m, ok = e.Msg, true
			}
		}
		if !ok || off == 0 {
			return nil, errors.New("malformed stream entry")
		}
		m.Position = pubsub.Position{Epoch: epoch, Offset: off}
		out = append(out, m)
	}
	return out, nil
}

// splitPosition takes the position off a publish made by the append
// script ("H<offset>@<epoch>\n" then the envelope).
func splitPosition(payload string) (string, pubsub.Position) {
	if !strings.HasPrefix(payload, "H") {
		return payload, pubsub.Position{}
	}
	head, rest, ok := strings.Cut(payload[1:], "\n")
	if !ok {
		return payload, pubsub.Position{}
	}
	pos, err := pubsub.ParsePosition(head)
	if err != nil {
		return payload, pubsub.Position{}
	}
	return rest, pos
}

// startTracker starts what orders deliveries in history mode
// (pubsub/internal/catchup).
func (b *Broker) startTracker() {
	b.track = catchup.New("redis", func(ctx context.Context, topic string, since pubsub.Position) ([]pubsub.Message, error) {
		return (&HistoryBroker{b}).History(ctx, topic, since, 0)
	}, b.deliverCounted, b.fail)
}

// deliverCounted hands m to the Hub unless the broker is closing.
func (b *Broker) deliverCounted(m pubsub.Message) {
	if b.gate.Enter() {
		b.stats.Delivered.Add(1)
		b.deliver(m)
		b.gate.Leave()
	}
}

// catchUpToken starts the PING payload that, once its PONG comes back on
// the restored subscription connection (after go-redis's re-subscribe),
// has every topic read from its last delivered position.
const catchUpToken = "anyws-catchup-"

// recheckAfter asks for a PING whose PONG, on the subscription
// connection after the SUBSCRIBE of topics, has them read from their
// baseline (catchup.Tracker.Recheck).
func (b *Broker) recheckAfter(channels []string) {
	pre := b.prefix + "t:"
	var topics []string
	for _, ch := range channels {
		if t, ok := strings.CutPrefix(ch, pre); ok {
			topics = append(topics, t)
		}
	}
	if len(topics) == 0 {
		return
	}
	tok := catchUpToken + "r" + strconv.FormatUint(b.syncSeq.Add(1), 10)
	b.syncMu.Lock()
	b.syncs[tok] = make(chan struct{})
	if b.rechecks == nil {
		b.rechecks = make(map[string][]string)
	}
	b.rechecks[tok] = topics
	b.syncMu.Unlock()
	b.pokeSyncs()
}

// takeRecheck returns the topics a recheck PONG is for.
func (b *Broker) takeRecheck(tok string) ([]string, bool) {
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	topics, ok := b.rechecks[tok]
	delete(b.rechecks, tok)
	return topics, ok
}

// catchUpAfterReconnect asks for that PING (readLoop, when the
// subscription connection is back).
func (b *Broker) catchUpAfterReconnect() {
	b.syncMu.Lock()
	b.syncs[catchUpToken+strconv.FormatUint(b.syncSeq.Add(1), 10)] = make(chan struct{})
	b.syncMu.Unlock()
	b.pokeSyncs()
}

// top reads the newest position of topic's history (zero when it has
// none), for a new subscription (catchup.Tracker.Subscribe); known is
// false when it could not be read.
func (b *Broker) top(ctx context.Context, topic string) (top pubsub.Position, known bool) {
	v, err := b.client.HMGet(ctx, b.metaKey(topic), "e", "o").Result()
	if err != nil {
		return pubsub.Position{}, false
	}
	epoch, _ := v[0].(string)
	off, _ := v[1].(string)
	n, _ := strconv.ParseUint(off, 10, 64)
	if epoch == "" {
		return pubsub.Position{}, true
	}
	return pubsub.Position{Epoch: epoch, Offset: n}, true
}

// trackTopics tells the tracker of the topics apply subscribes and
// unsubscribes; for a new one it first reads the newest position.
func (b *Broker) trackTopics(ctx context.Context, add, remove []string) {
	pre := b.prefix + "t:"
	for _, ch := range remove {
		if topic, ok := strings.CutPrefix(ch, pre); ok {
			b.track.Unsubscribe(topic)
		}
	}
	for _, ch := range add {
		topic, ok := strings.CutPrefix(ch, pre)
		if !ok {
			continue
		}
		top, known := b.top(ctx, topic)
		b.track.Subscribe(topic, top, known)
	}
}

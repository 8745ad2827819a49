package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/anyws/anyws/pubsub"
	goredis "github.com/redis/go-redis/v9"
)

var _ pubsub.Presence = (*Broker)(nil)

// Presence on Redis: per topic, a sorted set of "node\x00id" scored by
// the entry's expiry (unix ms), and a hash of the same members to their
// JSON (pubsub.Member); a set of the topics that have entries; and one
// channel for the join and leave events. Each node renews its entries
// every TTL/3 and sweeps the expired ones of every topic (an atomic
// script, so one node announces each expiry). Expiries use each node's
// clock: keep the nodes' clocks within a fraction of the TTL.

func (b *Broker) presenceKeys(topic string) []string {
	return []string{b.prefix + "p:{" + topic + "}:z", b.prefix + "p:{" + topic + "}:d"}
}

func (b *Broker) presenceTopics() string { return b.prefix + "p:topics" }

func (b *Broker) presenceChannel() string { return b.prefix + "p:events" }

// joinScript: KEYS zset, hash; ARGV member, expiry, JSON. Returns 1 when
// the member was not there.
var joinScript = goredis.NewScript(`
local n = redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return n`)

// leaveScript: KEYS zset, hash; ARGV member. Returns its JSON if it was
// there, else false.
var leaveScript = goredis.NewScript(`
local d = redis.call('HGET', KEYS[2], ARGV[1])
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return false end
redis.call('HDEL', KEYS[2], ARGV[1])
return d or ''`)

// sweepScript: KEYS zset, hash; ARGV now. Removes the expired members
// and returns their JSON.
var sweepScript = goredis.NewScript(`
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local out = {}
for _, m in ipairs(gone) do
  out[#out+1] = redis.call('HGET', KEYS[2], m) or ''
  redis.call('ZREM', KEYS[1], m)
  redis.call('HDEL', KEYS[2], m)
end
return out`)

// presenceWire is a presence event on the events channel.
type presenceWire struct {
	Topic   string        `json:"t"`
	Join    bool          `json:"j,omitempty"`
	Expired bool          `json:"x,omitempty"`
	Member  pubsub.Member `json:"m"`
}

// presenceState is a broker's presence: its own entries, the watchers,
// and the goroutines that renew, sweep and read the events, started by
// the first Join or WatchPresence.
type presenceState struct {
	once sync.Once
	ttl  time.Duration

	// op orders this node's changes to one of its entries on Redis
	// (Join, Leave, a renewal: own and the script together), so a
	// renewal never writes back an entry a Leave just removed (it
	// would come back with a second join, then expire).
	op sync.Mutex

	mu       sync.Mutex
	own      map[string]map[string][]byte // topic → member → JSON
	watchers map[*func(pubsub.PresenceEvent)]struct{}
	ps       *goredis.PubSub
	stopped  bool // Close ran stopPresence: start nothing
	wg       sync.WaitGroup
}

func (b *Broker) presence() (*presenceState, error) {
	if !b.started.Load() || b.gate.Closed() {
		return nil, errClosed
	}
	p := &b.pres
	p.once.Do(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.stopped {
			return
		}
		if p.ttl <= 0 {
			p.ttl = pubsub.DefaultPresenceTTL
		}
		p.own = make(map[string]map[string][]byte)
		p.watchers = make(map[*func(pubsub.PresenceEvent)]struct{})
		p.ps = b.client.Subscribe(b.ctx, b.presenceChannel())
		p.wg.Add(2)
		go b.presenceReadLoop()
		go b.presenceRenewLoop()
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped || p.ps == nil {
		return nil, errClosed
	}
	return p, nil
}

// stopPresence ends the presence goroutines (Close): the entries stay
// until they expire, as a killed node's do; the Hub said Leave for each
// before closing its broker.
func (b *Broker) stopPresence() {
	p := &b.pres
	p.mu.Lock()
	ps := p.ps
	p.stopped = true
	p.mu.Unlock()
	if ps != nil {
		_ = ps.Close()
	}
	p.wg.Wait()
}

func memberKey(node, id string) string { return node + "\x00" + id }

func (b *Broker) Join(ctx context.Context, topic string, m pubsub.Member) error {
	p, err := b.presence()
	if err != nil {
		return err
	}
	m.Node = b.node
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("redis: presence: %w", err)
	}
	key := memberKey(m.Node, m.ID)
	p.op.Lock()
	defer p.op.Unlock()
	p.mu.Lock()
	if p.own[topic] == nil {
		p.own[topic] = make(map[string][]byte)
	}
	p.own[topic][key] = data
	p.mu.Unlock()
	return b.renew(ctx, p, topic, key, data)
}

// renew writes one entry with a new expiry, and announces it when it was
// not there (a first join, or one a sweep removed while this node was
// slow, or that a Redis restart lost).
func (b *Broker) renew(ctx context.Context, p *presenceState, topic, key string, data []byte) error {
	expiry := time.Now().Add(p.ttl).UnixMilli()
	added, err := joinScript.Run(ctx, b.client, b.presenceKeys(topic), key, expiry, data).Int()
	if err != nil {
		return fmt.Errorf("redis: presence join: %w", err)
	}
	// Every renewal puts the topic back in the set a sweep may have
	// just emptied it from (its check and removal are two commands).
	if err := b.client.SAdd(ctx, b.presenceTopics(), topic).Err(); err != nil {
		return fmt.Errorf("redis: presence join: %w", err)
	}
	if added == 0 {
		return nil
	}
	return b.announce(ctx, topic, true, false, data)
}

func (b *Broker) announce(ctx context.Context, topic string, join, expired bool, data []byte) error {
	var m pubsub.Member
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("redis: presence: bad entry in %q: %w", topic, err)
	}
	ev, err := json.Marshal(presenceWire{Topic: topic, Join: join, Expired: expired, Member: m})
	if err != nil {
		return fmt.Errorf("redis: presence: %w", err)
	}
	if err := b.client.Publish(ctx, b.presenceChannel(), ev).Err(); err != nil {
		return fmt.Errorf("redis: presence event: %w", err)
	}
	return nil
}

func (b *Broker) Leave(ctx context.Context, topic string, m pubsub.Member) error {
	p, err := b.presence()
	if err != nil {
		return err
	}
	key := memberKey(b.node, m.ID)
	p.op.Lock()
	defer p.op.Unlock()
	p.mu.Lock()
	_, had := p.own[topic][key]
	delete(p.own[topic], key)
	if len(p.own[topic]) == 0 {
		delete(p.own, topic)
	}
	p.mu.Unlock()
	if !had {
		return nil
	}
	data, err := leaveScript.Run(ctx, b.client, b.presenceKeys(topic), key).Text()
	if errors.Is(err, goredis.Nil) {
		return nil // swept meanwhile: announced then
	}
	if err != nil {
		return fmt.Errorf("redis: presence leave: %w", err)
	}
	return b.announce(ctx, topic, false, false, []byte(data))
}

func (b *Broker) Members(ctx context.Context, topic string) ([]pubsub.Member, error) {
	if !b.started.Load() || b.gate.Closed() {
		return nil, errClosed
	}
	keys := b.presenceKeys(topic)
	live, err := b.client.ZRangeByScore(ctx, keys[0], &goredis.ZRangeBy{
		Min: fmt.Sprint(time.Now().UnixMilli() + 1), Max: "+inf",
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("redis: presence members: %w", err)
	}
	if len(live) == 0 {
		return nil, nil
	}
	data, err := b.client.HMGet(ctx, keys[1], live...).Result()
	if err != nil {
		return nil, fmt.Errorf("redis: presence members: %w", err)
	}
	out := make([]pubsub.Member, 0, len(data))
	for _, d := range data {
		s, ok := d.(string)
		if !ok {
			continue // left meanwhile
		}
		var m pubsub.Member
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return nil, fmt.Errorf("redis: presence: bad entry in %q: %w", topic, err)
		}
		out = append(out, m)
	}
	pubsub.SortMembers(out)
	return out, nil
}

// Count counts the live entries (scored after now) without reading
// them: one ZCOUNT, whatever the topic's size. Entries expired but not
// yet swept are not counted, as Members does not list them.
func (b *Broker) Count(ctx context.Context, topic string) (int, error) {
	if !b.started.Load() || b.gate.Closed() {
		return 0, errClosed
	}
	n, err := b.client.ZCount(ctx, b.presenceKeys(topic)[0], fmt.Sprint(time.Now().UnixMilli()+1), "+inf").Result()
	if err != nil {
		return 0, fmt.Errorf("redis: presence count: %w", err)
	}
	return int(n), nil
}

func (b *Broker) WatchPresence(fn func(pubsub.PresenceEvent)) (stop func()) {
	p, err := b.presence()
	if err != nil {
		return func() {}
	}
	w := &fn
	p.mu.Lock()
	p.watchers[w] = struct{}{}
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		delete(p.watchers, w)
		p.mu.Unlock()
	}
}

// presenceReadLoop delivers the events channel's messages to the
// watchers, one at a time. go-redis re-subscribes after a reconnect;
// events sent meanwhile are lost (Members is the truth).
func (b *Broker) presenceReadLoop() {
	p := &b.pres
	defer p.wg.Done()
	for {
		msg, err := p.ps.ReceiveMessage(b.ctx)
		if err != nil {
			if b.ctx.Err() != nil || errors.Is(err, goredis.ErrClosed) {
				return
			}
			select {
			case <-time.After(100 * time.Millisecond):
			case <-b.ctx.Done():
				return
			}
			continue
		}
		var w presenceWire
		if err := json.Unmarshal([]byte(msg.Payload), &w); err != nil {
			b.fail(fmt.Errorf("redis: presence: bad event: %w", err))
			continue
		}
		p.mu.Lock()
		fns := make([]func(pubsub.PresenceEvent), 0, len(p.watchers))
		for f := range p.watchers {
			fns = append(fns, *f)
		}
		p.mu.Unlock()
		for _, f := range fns {
			f(pubsub.PresenceEvent{Topic: w.Topic, Join: w.Join, Expired: w.Expired, Member: w.Member})
		}
	}
}

// presenceRenewLoop renews this node's entries and sweeps every topic's
// expired ones, every TTL/3.
func (b *Broker) presenceRenewLoop() {
	p := &b.pres
	defer p.wg.Done()
	t := time.NewTicker(p.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-b.ctx.Done():
			return
		}
		ctx, cancel := context.WithTimeout(b.ctx, opTimeout)
		err := b.renewAll(ctx, p)
		err = errors.Join(err, b.sweep(ctx))
		cancel()
		if err != nil && b.ctx.Err() == nil {
			b.fail(err)
		}
	}
}

func (b *Broker) renewAll(ctx context.Context, p *presenceState) error {
	type entry struct{ topic, key string }
	var all []entry
	p.mu.Lock()
	for topic, ms := range p.own {
		for k := range ms {
			all = append(all, entry{topic, k})
		}
	}
	p.mu.Unlock()
	for _, e := range all {
		if err := b.renewOwn(ctx, p, e.topic, e.key); err != nil {
			return err
		}
	}
	return nil
}

// renewOwn renews one entry of renewAll's list, if this node still
// holds it: a Leave since the list was made removed it for good.
func (b *Broker) renewOwn(ctx context.Context, p *presenceState, topic, key string) error {
	p.op.Lock()
	defer p.op.Unlock()
	p.mu.Lock()
	data, ok := p.own[topic][key]
	p.mu.Unlock()
	if !ok {
		return nil
	}
	return b.renew(ctx, p, topic, key, data)
}

func (b *Broker) sweep(ctx context.Context) error {
	topics, err := b.client.SMembers(ctx, b.presenceTopics()).Result()
	if err != nil {
		return fmt.Errorf("redis: presence sweep: %w", err)
	}
	now := time.Now().UnixMilli()
	for _, topic := range topics {
		gone, err := sweepScript.Run(ctx, b.client, b.presenceKeys(topic), now).StringSlice()
		if err != nil {
			return fmt.Errorf("redis: presence sweep: %w", err)
		}
		for _, d := range gone {
			if d == "" {
				continue
			}
			if err := b.announce(ctx, topic, false, true, []byte(d)); err != nil {
				return err
			}
		}
		// A topic left empty leaves the set; a join that raced this puts
		// it back at its next renewal.
		if n, err := b.client.ZCard(ctx, b.presenceKeys(topic)[0]).Result(); err == nil && n == 0 {
			b.client.SRem(ctx, b.presenceTopics(), topic)
		}
	}
	return nil
}

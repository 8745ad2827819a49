package relay

import (
	"fmt"
	"sync"
)

// Outage turns the publishes a broker loses while its server is down (or
// just back) into one report when the outage starts and one when it ends,
// instead of one per batch: a busy node sends hundreds of batches a
// second, and an Error hook called for each of them buries the news. The
// count of every loss is in Stats().Failed at all times.
type Outage struct {
	mu   sync.Mutex
	in   bool
	lost uint64
}

// Lost records n publishes lost to err, and reports err the first time in
// an outage.
func (o *Outage) Lost(n uint64, err error, fail func(error)) {
	o.mu.Lock()
	first := !o.in
	o.in = true
	o.lost += n
	o.mu.Unlock()
	if first {
		fail(fmt.Errorf("%w (further losses until the connection is back are counted in Stats().Failed and reported in one sum)", err))
	}
}

// OK records that publishes go through again, and reports how many were
// lost if an outage just ended. pkg starts the report ("redis").
func (o *Outage) OK(pkg string, fail func(error)) {
	o.mu.Lock()
	in, lost := o.in, o.lost
	o.in, o.lost = false, 0
	o.mu.Unlock()
	if in {
		fail(fmt.Errorf("%s: publishing again; %d publishes were lost or may not have reached every node during the outage", pkg, lost))
	}
}

package websocket

import (
	"sync"
	"syscall"
)

// On Linux an idle connection keeps no goroutine: its reader parks the
// connection in a shared epoll set and returns (park), and the set's one
// goroutine (the poller) starts a reader again once bytes arrive or the
// connection ends (event), or when the connection is closed (shut). An
// fd may be in several epoll sets: the runtime's poller keeps its own
// registration, which the reads and writes go on using.
//
// The registration is one-shot (EPOLLONESHOT): one event per park, so a
// connection never has two readers. A whole pong that arrives while
// parked is consumed by the poller itself (consumePongs) and the
// connection stays parked: the keep-alive wakes no goroutine.
//
// An event names its connection by an id, never by its fd, which the
// kernel reuses once the connection closes: the poller looks the id up
// (a slot in its table and the registration's number: a slot is reused,
// a number never),
// and a connection leaves the set (EPOLL_CTL_DEL, made while its fd is
// still open, through syscall.RawConn.Control) in shut, which batchConn's
// Close calls before it closes the socket.
//
// The poller's goroutine runs while some connection is registered and
// ends when the last one leaves; the next registration starts a new one.

// pollers is the registry: the running poller, if any, and the
// registrations' numbers.
var pollers struct {
	mu   sync.Mutex
	cur  *poller
	next uint32
}

// parking is an idleWait's state in the poller (under its mu).
type parking struct {
	p      *poller // the set it is registered in, or nil
	id     uint64  // the registration's number << 32 | its slot in p.conns
	parked bool    // registered for an event, and no reader runs
	done   bool    // closed (or cannot park): never park again
}

// poller is one epoll set and its goroutine.
type poller struct {
	epfd int
	wake [2]int // a pipe: a byte written to wake[1] ends the goroutine
	// conns holds the registered connections by slot, nil where none;
	// free lists the free slots; n counts the connections (under
	// pollers.mu). A slot is 8 bytes of a slice: a map's entry was
	// about 36 per idle connection.
	conns []*idleWait
	free  []uint32
	n     int
}

const parkEvents = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT

// wakeID is the pipe's id in the set (connections' registration numbers
// start at 1).
const wakeID = 0

func newPoller() (*poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	p := &poller{epfd: epfd}
	if err := syscall.Pipe2(p.wake[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		_ = syscall.Close(epfd)
		return nil, err
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: wakeID}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, p.wake[0], &ev); err != nil {
		p.closeFDs()
		return nil, err
	}
	go p.run()
	return p, nil
}

func (p *poller) closeFDs() {
	_ = syscall.Close(p.wake[0])
	_ = syscall.Close(p.wake[1])
	_ = syscall.Close(p.epfd)
}

// run waits for events and hands each to its connection, until the last
// connection left (a byte on the wake pipe).
func (p *poller) run() {
	defer p.closeFDs()
	var evs [128]syscall.EpollEvent
	var ready []*idleWait
	for {
		n, err := syscall.EpollWait(p.epfd, evs[:], -1)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			// Cannot happen with a valid set; end rather than spin. The
			// parked connections are woken so that they read on their own.
			p.abandon()
			return
		}
		ready = ready[:0]
		stop := false
		pollers.mu.Lock()
		for _, ev := range evs[:n] {
			id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			if id == wakeID {
				stop = true
				continue
			}
			if w := p.lookup(id); w != nil {
				ready = append(ready, w)
			}
		}
		pollers.mu.Unlock()
		for i, w := range ready {
			w.event()
			ready[i] = nil
		}
		if stop {
			return
		}
	}
}

// abandon takes every connection out of a broken set and wakes their
// readers.
func (p *poller) abandon() {
	pollers.mu.Lock()
	if pollers.cur == p {
		pollers.cur = nil
	}
	var all []*idleWait
	for _, w := range p.conns {
		if w != nil {
			all = append(all, w)
		}
	}
	pollers.mu.Unlock()
	for _, w := range all {
		w.mu.Lock()
		w.unregister()
		w.done = true // read on in the reader from now on
		wake := w.parked
		w.parked = false
		w.mu.Unlock()
		if wake {
			go w.c.resumeRead()
		}
	}
}

// park is the reader's, between messages: when nothing received waits to
// be read, it registers the connection for its next bytes and reports
// true, and the reader goroutine must then return at once without
// touching the connection (a new one runs w.resume later). It reports
// false when the reader should read now, and when the connection cannot
// park (then Read waits, as without a poller).
func (w *idleWait) park() bool {
	if w == nil {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closing || w.done || w.br.Buffered() != 0 || w.c.lazy.buffered() {
		return false
	}
	if err := w.arm(); err != nil {
		w.done = true // Read reports a closed socket; otherwise it waits
		return false
	}
	w.parked = true
	return true
}

// arm registers the connection, or re-arms its one-shot registration
// (under w.mu).
func (w *idleWait) arm() error {
	if w.p != nil {
		return w.ctl(syscall.EPOLL_CTL_MOD)
	}
	pollers.mu.Lock()
	defer pollers.mu.Unlock()
	if pollers.cur == nil {
		p, err := newPoller()
		if err != nil {
			return err
		}
		pollers.cur = p
	}
	w.p = pollers.cur
	w.p.add(w)
	if err := w.ctl(syscall.EPOLL_CTL_ADD); err != nil {
		w.p.remove(w)
		w.retire(w.p)
		w.p = nil
		return err
	}
	return nil
}

// add gives w a slot and a new id (under pollers.mu).
func (p *poller) add(w *idleWait) {
	pollers.next++
	if pollers.next == 0 {
		pollers.next++ // an id is never wakeID
	}
	var slot uint32
	if k := len(p.free); k > 0 {
		slot, p.free = p.free[k-1], p.free[:k-1]
	} else {
		slot = uint32(len(p.conns))
		p.conns = append(p.conns, nil)
	}
	w.id = uint64(pollers.next)<<32 | uint64(slot)
	p.conns[slot] = w
	p.n++
}

// remove frees w's slot (under pollers.mu).
func (p *poller) remove(w *idleWait) {
	slot := uint32(w.id)
	p.conns[slot] = nil
	p.free = append(p.free, slot)
	p.n--
}

// lookup returns the connection registered as id, or nil (under
// pollers.mu).
func (p *poller) lookup(id uint64) *idleWait {
	if slot := uint32(id); int(slot) < len(p.conns) {
		if w := p.conns[slot]; w != nil && w.id == id {
			return w
		}
	}
	return nil
}

// ctl changes the connection's registration while its fd is open: the
// socket cannot close (and its number be reused) during Control.
func (w *idleWait) ctl(op int) error {
	var err error
	cerr := w.c.lazy.raw.Control(func(fd uintptr) {
		ev := syscall.EpollEvent{Events: parkEvents, Fd: int32(uint32(w.id)), Pad: int32(uint32(w.id >> 32))}
		err = syscall.EpollCtl(w.p.epfd, op, int(fd), &ev)
	})
	if cerr != nil {
		return cerr
	}
	return err
}

// unregister takes the connection out of its set (under w.mu).
func (w *idleWait) unregister() {
	if w.p == nil {
		return
	}
	_ = w.c.lazy.raw.Control(func(fd uintptr) {
		_ = syscall.EpollCtl(w.p.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
	})
	pollers.mu.Lock()
	w.p.remove(w)
	w.retire(w.p)
	pollers.mu.Unlock()
	w.p = nil
}

// retire ends p's goroutine when no connection is left in it (under
// pollers.mu).
func (w *idleWait) retire(p *poller) {
	if p.n != 0 || pollers.cur != p {
		return
	}
	pollers.cur = nil
	_, _ = syscall.Write(p.wake[1], []byte{1})
}

// event is the poller's: the parked connection has bytes, its end or an
// error. Whole pongs at the front of what arrived are consumed here and
// the connection stays parked; anything else starts a reader.
func (w *idleWait) event() {
	w.mu.Lock()
	if !w.parked {
		w.mu.Unlock() // woken already (shut)
		return
	}
	if !w.closing && !w.done && w.fillNow() && !w.c.lazy.buffered() && w.ctl(syscall.EPOLL_CTL_MOD) == nil {
		w.mu.Unlock()
		return
	}
	w.parked = false
	w.mu.Unlock()
	go w.c.resumeRead()
}

// fillNow reads what the socket has without waiting and consumes the
// pongs at its front. It reports true when there was nothing to read or
// only pongs (stay parked), false when Read has to run: bytes wait, or
// the connection ended or failed (Read reports it).
func (w *idleWait) fillNow() bool {
	bp := readChunks.Get().(*[]byte)
	var n int
	var rerr error
	err := w.c.lazy.raw.Read(func(fd uintptr) bool {
		for {
			n, rerr = syscall.Read(int(fd), *bp)
			if rerr != syscall.EINTR {
				return true // never wait: the poller serves every connection
			}
		}
	})
	if err != nil || n <= 0 {
		readChunks.Put(bp)
		return err == nil && rerr == syscall.EAGAIN
	}
	w.c.lazy.buf, w.c.lazy.r, w.c.lazy.w = bp, 0, int32(n)
	w.consumePongs()
	return true
}

// shut is batchConn.Close's, before the socket closes: the connection
// leaves the set for good, and a parked reader is started to see the
// end.
func (w *idleWait) shut() {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.done = true
	w.unregister()
	wake := w.parked
	w.parked = false
	w.mu.Unlock()
	if wake {
		go w.c.resumeRead()
	}
}

// pollerRunning reports whether a poller goroutine runs (tests).
func pollerRunning() bool {
	pollers.mu.Lock()
	defer pollers.mu.Unlock()
	return pollers.cur != nil
}

// pollerConns is how many connections the running poller holds, -1 when
// none runs (tests).
func pollerConns() int {
	pollers.mu.Lock()
	defer pollers.mu.Unlock()
	if pollers.cur == nil {
		return -1
	}
	return pollers.cur.n
}

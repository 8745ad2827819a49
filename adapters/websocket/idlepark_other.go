//go:build !linux

package websocket

// Without epoll the reader waits for the next frame in its goroutine
// (idleWait.wait): an idle connection keeps one.

type parking struct{}

// park waits for bytes; the reader never parks here.
func (w *idleWait) park() bool {
	w.wait()
	return false
}

// shut has nothing to take out of a set.
func (w *idleWait) shut() {}

func pollerRunning() bool { return false }

func pollerConns() int { return -1 }

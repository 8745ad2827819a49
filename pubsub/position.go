package pubsub

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Position is where a publish sits in its topic's history: every publish
// through a HistoryBroker gets one, and every node sees the same.
//
// Offsets increase by one per publish on the topic within an epoch (1,
// 2, 3, …), so a reader that saw offset n and then n+2 knows it missed
// one. The epoch names one unbroken history: it changes when the history
// was lost (the in-memory bus was made anew, a Redis stream flushed or
// recreated, a topic idle past its age limit forgotten), and a position
// of another epoch is not covered by the history any more.
//
// The zero Position means "no position": a reader that has seen nothing.
type Position struct {
	Epoch  string
	Offset uint64
}

// IsZero reports whether p is the zero Position.
func (p Position) IsZero() bool { return p == Position{} }

// String returns "<offset>@<epoch>", the form ParsePosition reads (for
// instance to carry a position in an SSE id or a URL), or "" for the zero
// Position.
func (p Position) String() string {
	if p.IsZero() {
		return ""
	}
	return strconv.FormatUint(p.Offset, 10) + "@" + p.Epoch
}

// ParsePosition reads what Position.String wrote. "" is the zero
// Position.
func ParsePosition(s string) (Position, error) {
	if s == "" {
		return Position{}, nil
	}
	off, epoch, ok := strings.Cut(s, "@")
	if !ok {
		return Position{}, fmt.Errorf("pubsub: position %.64q: want <offset>@<epoch>", s)
	}
	n, err := strconv.ParseUint(off, 10, 64)
	if err != nil {
		return Position{}, fmt.Errorf("pubsub: position %.64q: bad offset: %w", s, err)
	}
	if epoch == "" {
		return Position{}, errors.New("pubsub: position " + strconv.Quote(s) + " has no epoch")
	}
	return Position{Epoch: epoch, Offset: n}, nil
}

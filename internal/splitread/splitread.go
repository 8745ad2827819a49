// Package splitread feeds one input to a decoder in many chunkings: whole,
// a byte at a time, split in two at every boundary, and in random chunks.
// The chunk-boundary fuzz targets of the SSE parser, the uplink decoders
// and the Go client's stream reader use it to check that where the
// network happens to split a stream changes neither the messages decoded
// nor the error that ends them.
package splitread

import (
	"fmt"
	"io"
	"math/rand/v2"
)

// Way is one chunking of an input.
type Way struct {
	Name string
	// New returns a fresh reader of the input in this chunking.
	New func() io.Reader
}

// maxEveryBoundary is the longest input split at every boundary; longer
// inputs are split at sampledBoundaries random ones, so a fuzz iteration
// stays linear-ish in the input.
const (
	maxEveryBoundary  = 512
	sampledBoundaries = 64
)

// Ways returns the chunkings of in: whole (data with io.EOF in the same
// read, as some readers do), one byte at a time, in two parts at each
// boundary, and random chunks of 1 to 64 bytes drawn from seed.
func Ways(in []byte, seed uint64) []Way {
	rng := rand.New(rand.NewPCG(seed, uint64(len(in))))
	ways := []Way{
		{"whole", func() io.Reader { return &chunks{in: in, cut: func(int) int { return len(in) }, eofWithData: true} }},
		{"bytes", func() io.Reader { return &chunks{in: in, cut: func(int) int { return 1 }} }},
	}
	at := func(i int) Way {
		return Way{fmt.Sprintf("split at %d", i), func() io.Reader { return &chunks{in: in, cut: split(i)} }}
	}
	if len(in) <= maxEveryBoundary {
		for i := 1; i < len(in); i++ {
			ways = append(ways, at(i))
		}
	} else {
		for range sampledBoundaries {
			ways = append(ways, at(1+rng.IntN(len(in)-1)))
		}
	}
	for k := range 4 {
		sizes := make([]int, 0, 64)
		for range cap(sizes) {
			sizes = append(sizes, 1+rng.IntN(64))
		}
		ways = append(ways, Way{fmt.Sprintf("random %d", k), func() io.Reader {
			i := 0
			return &chunks{in: in, cut: func(int) int { i++; return sizes[i%len(sizes)] }}
		}})
	}
	return ways
}

// split cuts the input once, at i.
func split(i int) func(off int) int {
	return func(off int) int {
		if off < i {
			return i - off
		}
		return 1 << 30
	}
}

// chunks returns in, each Read at most cut(offset) bytes.
type chunks struct {
	in          []byte
	off         int
	cut         func(off int) int
	eofWithData bool
}

func (c *chunks) Read(p []byte) (int, error) {
	if c.off == len(c.in) {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.cut(c.off))], c.in[c.off:])
	c.off += n
	if c.eofWithData && c.off == len(c.in) {
		return n, io.EOF
	}
	return n, nil
}

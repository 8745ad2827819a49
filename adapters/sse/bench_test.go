package sse_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/anyws/anyws"
	adapter "github.com/anyws/anyws/adapters/sse"
)

// BenchmarkBroadcastEncode is one publish reaching N SSE subscribers:
// the frame is encoded once and every subscriber's writer appends the
// same bytes to its batch buffer. Allocations do not grow with N.
func BenchmarkBroadcastEncode(b *testing.B) {
	for _, n := range []int{1, 100, 10000} {
		b.Run(fmt.Sprint("peers=", n), func(b *testing.B) {
			payload := []byte(`{"user":"alice","text":"hello, world\nsecond line"}`)
			bufs := make([][]byte, n)
			b.ReportAllocs()
			for b.Loop() {
				f := anyws.NewPayload(anyws.NewMessage(payload, false))
				for i := range bufs {
					bufs[i] = append(bufs[i][:0], adapter.EncodePayload(f)...)
				}
			}
		})
	}
}

// BenchmarkUplinkDecode is framed uplink parsing throughput: text and
// binary events through the UTF-8 check, the SSE parser and base64.
func BenchmarkUplinkDecode(b *testing.B) {
	var body bytes.Buffer
	for i := range 1000 {
		if i%2 == 0 {
			fmt.Fprintf(&body, "data: chat message number %d from the client\n\n", i)
		} else {
			fmt.Fprintf(&body, "event: binary\ndata: %s\n\n", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{byte(i)}, 48)))
		}
	}
	raw := body.Bytes()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		err := adapter.DecodeFramed(bytes.NewReader(raw), 1<<20, func(anyws.Message) error { n++; return nil })
		if err != nil || n != 1000 {
			b.Fatal(n, err)
		}
	}
}

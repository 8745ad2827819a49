package sse_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/anyws/anyws/internal/sse"
)

func ExampleAppendEvent() {
	buf, err := sse.AppendEvent(nil, sse.Event{
		Type:  "chat",
		ID:    "7",
		HasID: true,
		Data:  []byte("hello\n indented line"),
	})
	if err != nil {
		panic(err)
	}
	buf = sse.AppendComment(buf, "keep-alive")
	os.Stdout.Write(buf)

	_, err = sse.AppendEvent(nil, sse.Event{Type: "chat\ndata: injected"})
	fmt.Println(errors.Is(err, sse.ErrInvalidField))
	// Output:
	// event: chat
	// id: 7
	// data: hello
	// data:  indented line
	//
	// : keep-alive
	// true
}

func ExampleParser() {
	stream := "retry: 3000\r\n" +
		": comment\r\n" +
		"id: 1\r\n" +
		"data: first\r\n" +
		"data: second line\r\n\r\n" +
		"event: update\n" +
		"data:  two spaces, one kept\n\n" +
		"data: never terminated\n"
	p := sse.NewParser(strings.NewReader(stream), 0)
	for {
		ev, err := p.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		fmt.Printf("type=%s id=%q hasID=%v data=%q\n", ev.Type, ev.ID, ev.HasID, ev.Data)
	}
	retry, _ := p.Retry()
	fmt.Println("last event id:", p.LastEventID(), "retry:", retry)
	// Output:
	// type=message id="1" hasID=true data="first\nsecond line"
	// type=update id="1" hasID=false data=" two spaces, one kept"
	// last event id: 1 retry: 3s
}

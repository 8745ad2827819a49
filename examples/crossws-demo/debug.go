package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/anyws/anyws"
)

// debugInfo is the reply to "debug": crossws's view of a peer, with the
// same field names, so the demo's JavaScript reads it unchanged.
type debugInfo struct {
	ID             string         `json:"id"`
	RemoteAddress  string         `json:"remoteAddress"`
	BufferedAmount int            `json:"bufferedAmount"`
	Context        map[string]any `json:"context"`
	Request        debugRequest   `json:"request"`
	WebSocket      debugWebSocket `json:"websocket"`
}

type debugRequest struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
}

// debugWebSocket mirrors the browser WebSocket fields crossws reports.
// Extensions is always present (crossws clients read it on WebSocket);
// BinaryType is what crossws's Node adapter reports, on WebSocket only.
type debugWebSocket struct {
	ReadyState     int    `json:"readyState"`
	Protocol       string `json:"protocol"`
	Extensions     string `json:"extensions"`
	URL            string `json:"url"`
	BinaryType     string `json:"binaryType,omitempty"`
	BufferedAmount int    `json:"bufferedAmount"`
}

// debugJSON returns the "debug" reply for p: one JSON object, starting
// with "{" because crossws's demo client only parses such text.
func debugJSON(p *anyws.Peer) []byte {
	r := p.Request()
	url := "http://" + r.Host + requestURI(r)
	protocol := p.Protocol()
	if protocol == "" {
		protocol = r.Header.Get("Sec-WebSocket-Protocol")
	}
	buffered := p.Buffered()
	info := debugInfo{
		ID:             p.ID(),
		RemoteAddress:  p.RemoteAddr(),
		BufferedAmount: buffered,
		Context:        p.Values(),
		Request:        debugRequest{URL: url, Headers: lowerHeaders(r)},
		WebSocket: debugWebSocket{
			ReadyState:     1,
			Protocol:       protocol,
			Extensions:     r.Header.Get("Sec-WebSocket-Extensions"),
			URL:            "ws" + strings.TrimPrefix(url, "http"),
			BufferedAmount: buffered,
		},
	}
	if info.Context == nil {
		info.Context = map[string]any{}
	}
	if p.Transport() == "websocket" {
		info.WebSocket.BinaryType = "nodebuffer"
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // header values stay byte for byte as sent
	_ = enc.Encode(info)     // only strings, ints and the hook's "1"
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// lowerHeaders returns the request headers as a Fetch Headers object shows
// them: lower-case names, repeated values joined with ", ", and host, which
// Go moves out of r.Header, put back.
func lowerHeaders(r *http.Request) map[string]string {
	out := make(map[string]string, len(r.Header)+1)
	for k, v := range r.Header {
		out[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	out["host"] = r.Host
	return out
}

package sse

import (
	"mime"
	"net/http"
	"strings"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/internal/origin"
	"github.com/anyws/anyws/internal/sse"
)

// TokenHeader carries the uplink token: in the stream's response headers
// and in every uplink POST. The name is crossws's, so its clients work.
const TokenHeader = sse.TokenHeader

// Handler serves a Hub's peers over Server-Sent Events: a GET opens a
// stream (one peer), and in bidirectional mode a POST carrying the
// stream's token delivers messages from that peer. It is safe for
// concurrent use.
type Handler struct {
	hub     *anyws.Hub
	opts    Options
	tokens  tokens
	streams streamCount // streaming uplinks open
}

// New returns a Handler for hub. A GET must accept text/event-stream
// (406 otherwise); a browser from another origin gets 403 unless
// Options.OriginPatterns allows it; the Upgrade hook then decides.
func New(hub *anyws.Hub, opts *Options) *Handler {
	h := &Handler{hub: hub, opts: opts.withDefaults()}
	h.startForwarding()
	return h
}

// IsStream reports whether r asks for an event stream: a GET whose Accept
// header names text/event-stream. An all-transports handler dispatches on
// it.
func IsStream(r *http.Request) bool {
	return r.Method == http.MethodGet && acceptsEventStream(r.Header)
}

// IsUplink reports whether r is an uplink POST: a POST with an
// x-crossws-id header.
func IsUplink(r *http.Request) bool {
	return r.Method == http.MethodPost && r.Header.Get(TokenHeader) != ""
}

// ServeHTTP dispatches on the method: GET opens a stream, POST is an
// uplink (bidirectional mode only), anything else gets 405.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet:
		if !acceptsEventStream(r.Header) {
			refuse(w, r, nil)
			httpError(w, http.StatusNotAcceptable, "anyws: this URL serves Server-Sent Events: send a GET with Accept: text/event-stream")
			return
		}
		h.serveStream(w, r)
	case r.Method == http.MethodPost && h.opts.Bidirectional:
		h.serveUplink(w, r)
	default:
		allow := "GET"
		if h.opts.Bidirectional {
			allow = "GET, POST"
		}
		refuse(w, r, nil)
		w.Header().Set("Allow", allow)
		msg := "anyws: method " + r.Method + " not allowed: open the stream with GET"
		if h.opts.Bidirectional {
			msg += " and send messages with POST"
		} else if r.Method == http.MethodPost {
			msg += "; this route is one-way SSE and takes no messages"
		}
		httpError(w, http.StatusMethodNotAllowed, msg)
	}
}

// checkOrigin answers 403 and returns false when r comes from a browser
// on another origin that Options.OriginPatterns does not allow.
func (h *Handler) checkOrigin(w http.ResponseWriter, r *http.Request) bool {
	if err := origin.Check(r, &origin.Rule{Patterns: h.opts.OriginPatterns, TrustForwarded: h.opts.TrustForwarded}); err != nil {
		refuse(w, r, nil)
		httpError(w, http.StatusForbidden, "anyws: "+err.Error())
		return false
	}
	return true
}

// httpError writes a text error. Unlike http.Error it drops headers a
// stream or the Upgrade hook may have set.
func httpError(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Del(TokenHeader)
	h.Del("Cache-Control")
	h.Del("X-Accel-Buffering")
	http.Error(w, msg, status)
}

func acceptsEventStream(h http.Header) bool {
	for _, v := range h.Values("Accept") {
		if strings.Contains(strings.ToLower(v), "text/event-stream") {
			return true
		}
	}
	return false
}

// mediaType is r's Content-Type without parameters, lower case.
func mediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(ct))
	}
	return mt
}

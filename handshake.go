package anyws

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
)

// Accept runs the Upgrade hook (route's, else the Hub's) for a request
// that wants to become a peer over transport, which the client offered the
// sub-protocols protocols. It returns a *Rejection the adapter must write
// (its ServeHTTP does) when the hook refused, ErrHubClosed after Shutdown,
// or another error for a broken hook (answer 500; it was reported to the
// Error hook).
func (h *Hub) Accept(r *http.Request, route *Hooks, transport string, protocols []string) (*Handshake, error) {
	if h.closed.Load() {
		return nil, ErrHubClosed
	}
	u := &Handshake{
		Request:   r,
		Header:    make(http.Header),
		Namespace: r.URL.Path,
		Protocols: protocols,
		transport: transport,
	}
	// Peers share their hooks: the Hub's, or one copy per handshake
	// only when the route adds hooks of its own.
	if route != nil && !route.none() {
		hk := route.or(&h.hooks)
		u.hooks = &hk
	} else {
		u.hooks = &h.hooks
	}
	if u.hooks.Upgrade != nil {
		if err := runUpgrade(u); err != nil {
			if _, ok := err.(*Rejection); !ok {
				h.logHubError(err)
			}
			if _, ok := err.(*Rejection); !ok && u.hooks.Error != nil {
				u.hooks.Error(nil, err)
			}
			return nil, err
		}
	}
	if u.Namespace == "" {
		u.Namespace = "/"
	}
	if u.Protocol != "" && !slices.Contains(protocols, u.Protocol) {
		err := fmt.Errorf("anyws: Upgrade hook chose sub-protocol %q, which the client did not offer (%q)", u.Protocol, protocols)
		h.logHubError(err)
		if u.hooks.Error != nil {
			u.hooks.Error(nil, err)
		}
		return nil, err
	}
	return u, nil
}

func runUpgrade(u *Handshake) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("anyws: Upgrade hook panicked: %v", r)
		}
	}()
	return u.hooks.Upgrade(u)
}

func remoteIP(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return strings.Trim(addr, "[]")
	}
	return host
}

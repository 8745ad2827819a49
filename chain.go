package anyws

// Chain returns Hooks that run the hooks of each argument in order, as
// crossws's callHook runs its global hooks and then the route's: every
// non-nil Open, Message, Close, Error, Disconnect and Resume runs, and the Upgrade hooks run
// until one returns an error, which is the result (a *Rejection refuses
// the request; the later Upgrade hooks do not run). The Upgrade hooks
// share the one *Handshake, so headers, values and the namespace one of
// them sets are seen by the next.
//
// A panic in one hook ends the chained call: the hooks after it do not
// run for that call, and the peer is closed as for any panicking hook.
//
// A route's Hooks already run after the Hub's (see [Hooks]); Chain is for
// composing hooks of one's own, such as an authentication or logging set
// shared by several routes.
func Chain(hooks ...Hooks) Hooks {
	var out Hooks
	for i := range hooks {
		h := &hooks[i]
		out.Upgrade = chainUpgrade(out.Upgrade, h.Upgrade)
		out.Open = chain1(out.Open, h.Open)
		out.Message = chain2(out.Message, h.Message)
		out.Close = chain2(out.Close, h.Close)
		out.Error = chain2(out.Error, h.Error)
		out.Disconnect = chain2(out.Disconnect, h.Disconnect)
		out.Resume = chain1(out.Resume, h.Resume)
	}
	return out
}

// chainUpgrade runs a, then b unless a failed.
func chainUpgrade(a, b func(*Handshake) error) func(*Handshake) error {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func(u *Handshake) error {
		if err := a(u); err != nil {
			return err
		}
		return b(u)
	}
}

func chain1[T any](a, b func(T)) func(T) {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func(x T) { a(x); b(x) }
}

func chain2[T, U any](a, b func(T, U)) func(T, U) {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func(x T, y U) { a(x, y); b(x, y) }
}

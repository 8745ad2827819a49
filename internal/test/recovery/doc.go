// Package recovery holds the fault-injection tests of connection-state
// recovery: clients whose connections a loopback proxy cuts at random
// must see every message exactly once, in order, on the same peer.
package recovery

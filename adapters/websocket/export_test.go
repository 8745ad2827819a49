package websocket

// PollerRunning reports whether the idle connections' poller runs.
var PollerRunning = pollerRunning

// PollerConns is how many connections the running poller holds (-1:
// none runs).
var PollerConns = pollerConns

package websocket

var PollerRunning = func() bool { return true }

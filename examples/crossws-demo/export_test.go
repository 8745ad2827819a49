package main

// The external tests (package main_test) reach the demo through these.
var (
	NewHub     = newHub
	NewHandler = newHandler
)

package main

// The external tests (package main_test) reach the chat through these.
var (
	NewHub     = newHub
	NewHandler = newHandler
	Run        = run
)

// Command scaling is a chat server meant to run as several nodes behind a
// load balancer, sharing topics through Redis: a message sent to any node
// reaches the peers of every node, and an SSE client's POSTs may land on
// any node (no sticky sessions).
//
// Run two nodes against one Redis:
//
//	redis-server --port 6379 --save '' &
//	go run ./examples/scaling -addr 127.0.0.1:8081 &
//	go run ./examples/scaling -addr 127.0.0.1:8082
//
// then connect a WebSocket client to ws://127.0.0.1:8081/_ws and an SSE
// client (websocketsse, or crossws's WebSocketSSE) to
// http://127.0.0.1:8082/_sse: what one sends, the other receives.
//
// Delivery across nodes is at most once: a message published while a
// node's Redis connection is down is lost for that node (and reported to
// the Error hook), since Redis Pub/Sub keeps no history.
//
// Start reading at newNode in node.go.
package main

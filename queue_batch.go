package anyws

// maxBatchCost bounds one batch the writer takes, counted as the queue
// counts (payload bytes plus payloadOverhead each): a transport encodes
// a batch into one buffer and writes it with one system call, so an
// uncapped batch made each backlogged peer hold a buffer as large as its
// whole backlog (in the 32-client chat room, a megabyte each, newly
// allocated per batch since pools keep only small buffers), which set
// the server's peak memory. 64 KiB still carries hundreds of short
// messages per write, and a batch's buffer fits the adapters' pools.
const maxBatchCost = 64 << 10

// batchEnd is the end of a batch that starts at items[from]: at least
// one message, then as many as fit in maxBatchCost. Called under q.mu.
func (q *queue) batchEnd(from int) int {
	end, cost := from, 0
	for end < len(q.items) {
		cost += q.items[end].cost()
		if cost > maxBatchCost && end > from {
			break
		}
		end++
	}
	return end
}

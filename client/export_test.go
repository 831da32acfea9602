package client

// BehindAndIdle reports that sub refused pushes because its queue was full
// and that no fill runs: from here only Next's refill can bring the rest.
func BehindAndIdle(sub *Subscription) bool {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.behind && !sub.filling
}

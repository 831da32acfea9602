package ratelimit

// node is one key of a table, linked in recency order.
type node[K comparable, V any] struct {
	key        K
	val        V
	prev, next *node[K, V]
}

// table is a map bounded to max keys with an intrusive LRU list; head is the
// most recently used. It is not safe for concurrent use.
type table[K comparable, V any] struct {
	m          map[K]*node[K, V]
	head, tail *node[K, V]
	max        int
}

func newTable[K comparable, V any](max int) table[K, V] {
	return table[K, V]{m: make(map[K]*node[K, V], min(max, 1024)), max: max}
}

func (t *table[K, V]) unlink(n *node[K, V]) {
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		t.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else {
		t.tail = n.prev
	}
	n.prev, n.next = nil, nil
}

func (t *table[K, V]) pushFront(n *node[K, V]) {
	n.next = t.head
	if t.head != nil {
		t.head.prev = n
	}
	t.head = n
	if t.tail == nil {
		t.tail = n
	}
}

// get returns the node of key, moved to the front, or nil.
func (t *table[K, V]) get(key K) *node[K, V] {
	n := t.m[key]
	if n != nil && n != t.head {
		t.unlink(n)
		t.pushFront(n)
	}
	return n
}

// insert adds key (absent) at the front. When the table is full it reuses
// the least recently used node and returns it as evicted (with its old key
// and value still readable until the caller overwrites val).
func (t *table[K, V]) insert(key K) (n *node[K, V], evicted bool) {
	if len(t.m) >= t.max && t.tail != nil {
		n = t.tail
		t.unlink(n)
		delete(t.m, n.key)
		evicted = true
	} else {
		n = new(node[K, V])
	}
	n.key = key
	t.m[key] = n
	t.pushFront(n)
	return n, evicted
}

// sweep removes nodes from the old end while idle says so, at most limit.
func (t *table[K, V]) sweep(limit int, idle func(*V) bool) int {
	removed := 0
	for t.tail != nil && removed < limit && idle(&t.tail.val) {
		n := t.tail
		t.unlink(n)
		delete(t.m, n.key)
		removed++
	}
	return removed
}

// Stats counts a table's keys and evictions.
type Stats struct {
	Keys        int    // keys held now
	Evicted     uint64 // keys dropped to make room for new ones
	EvictedBusy uint64 // of those, keys that were not idle
	Swept       uint64 // idle keys removed by Sweep
}

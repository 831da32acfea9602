package wire

// Replies fit the frame: every list a reply carries is cut to what fits the
// byte budget the server allows a reply (a little under the max_frame it
// announced), and the reply says so with its "more" flag. Fit is how.

// listOverhead is what a list's envelope (map header, keys, array header)
// may take beside its items.
const listOverhead = 64

// Fit returns how many of the leading items encode within budget bytes, at
// least 0. An item that cannot be encoded ends the list.
func Fit[T any](items []T, budget int) int {
	total := listOverhead
	for i := range items {
		b, err := Marshal(&items[i])
		if err != nil {
			return i
		}
		total += len(b)
		if total > budget {
			return i
		}
	}
	return len(items)
}

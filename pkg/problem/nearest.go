package problem

import "strings"

// Nearest returns the candidate closest to word — at most two edits away,
// ignoring case, ties going to the alphabetically first — for "did you
// mean" hints. It reports false when nothing is that close.
func Nearest(word string, candidates []string) (string, bool) {
	w := strings.ToLower(word)
	best, bestD := "", 3
	for _, c := range candidates {
		d := editDistance(w, strings.ToLower(c))
		if d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	return best, best != ""
}

// editDistance is the Levenshtein distance, capped for long inputs since
// hints only matter for near misses.
func editDistance(a, b string) int {
	if len(a) > 40 || len(b) > 40 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

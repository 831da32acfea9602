package main

import (
	"strings"
	"testing"
)

// TestTable: every row is complete, named once, and in the help.
func TestTable(t *testing.T) {
	seen := map[string]bool{}
	help := usageText()
	for _, s := range table() {
		for _, c := range s.rows {
			switch {
			case seen[c.name]:
				t.Errorf("%s: two rows", c.name)
			case c.run == nil || c.help == "":
				t.Errorf("%s: no run or no help", c.name)
			case c.max >= 0 && c.max < c.min:
				t.Errorf("%s: max %d < min %d", c.name, c.max, c.min)
			case !strings.Contains(help, "\n  "+strings.TrimSpace(c.name+" "+c.args)):
				t.Errorf("%s: not in the help", c.name)
			}
			seen[c.name] = true
		}
	}
}

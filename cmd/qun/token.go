package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/qunchat/qun/engine"
)

// Auth: tokens are minted locally with the node's secret.

var authCommands = []command{
	{name: "token", args: "USER [--data DIR] [--ttl D]", min: 1, max: -1, conn: needNothing,
		help: "print a token for USER, signed with DIR/secret", run: cmdToken},
}

func cmdToken(x *cli) error {
	key := []byte(x.o.secret)
	if len(key) == 0 {
		b, err := os.ReadFile(x.o.data + "/" + engine.SecretFile)
		if err != nil {
			return fmt.Errorf("no secret: %v (start qund once, or pass --data DIR / --secret)", err)
		}
		key = []byte(strings.TrimSpace(string(b)))
	}
	tok, err := engine.MintToken(key, x.pos[0], x.o.ttl)
	if err != nil {
		return err
	}
	x.printf("%s\n", tok)
	return nil
}

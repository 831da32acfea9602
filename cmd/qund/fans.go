package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

// Fan groups on a standalone qund: it has no social graph, so follow edges
// and fan-club levels come from a JSON file at start (--host-facts) or from
// set_host_facts calls by --fan-admins users.

// maxHostFactsFile bounds the host-facts file read at start.
const maxHostFactsFile = 16 << 20

// loadHostFacts fills the engine's in-memory host from path ("" = none):
// {"follows": [{"fan", "creator", "since" (unix ms)}], "levels": [{"fan",
// "creator", "level"}]}.
func loadHostFacts(e *engine.Engine, path string) error {
	if path == "" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("--host-facts: %w", err)
	}
	if fi.Size() > maxHostFactsFile {
		return fmt.Errorf("--host-facts: %s is larger than %d bytes", path, maxHostFactsFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--host-facts: %w", err)
	}
	var a wire.HostFactsArgs
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("--host-facts %s: %w", path, err)
	}
	for _, f := range a.Follows {
		if f.Fan == "" || f.Creator == "" || f.Since <= 0 {
			return fmt.Errorf("--host-facts %s: a follow needs fan, creator and since (unix ms)", path)
		}
	}
	for _, l := range a.Levels {
		if l.Fan == "" || l.Creator == "" || l.Level < 0 || l.Level > wire.MaxFanLevel {
			return fmt.Errorf("--host-facts %s: a level needs fan, creator and a level 0..%d", path, wire.MaxFanLevel)
		}
	}
	e.Host().SetHostFacts(a)
	return nil
}

// divertSetting is --group-divert: the diversion policy of groups that did
// not choose one.
func divertSetting() setting {
	names := map[string]wire.DivertPolicy{"allow": wire.DivertAllow, "flag": wire.DivertFlag, "mask": wire.DivertMask, "block": wire.DivertBlock}
	return setting{name: "group-divert", kind: kString, doc: "contact-diversion policy of groups that chose none: allow, flag, mask or block",
		get: func(o *options) string {
			for n, p := range names {
				if p == o.cfg.Group.Fans.Divert {
					return n
				}
			}
			return "default"
		},
		set: func(o *options, v string) error {
			p, ok := names[strings.ToLower(strings.TrimSpace(v))]
			if !ok {
				return fmt.Errorf("want allow, flag, mask or block")
			}
			o.cfg.Group.Fans.Divert = p
			return nil
		}}
}

// millis is a duration setting stored as milliseconds.
func millis(name, doc string, f func(*options) *int64) setting {
	return setting{name: name, kind: kDuration, doc: doc,
		get: func(o *options) string { return (time.Duration(*f(o)) * time.Millisecond).String() },
		set: func(o *options, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not a duration (like 90s, 5m, 720h)", v)
			}
			*f(o) = d.Milliseconds()
			return nil
		}}
}

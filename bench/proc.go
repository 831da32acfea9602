package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat.
// It is 100 on every Linux platform Go supports.
const clockTicks = 100

// proc reads a process's CPU time and memory from /proc. pid 0 means this
// process (then the figures include the load generator). more are further
// processes (the other nodes of a spawned cluster) whose figures are added.
type proc struct {
	pid  int
	more []int
}

// each calls fn for every process of p.
func (p proc) each(fn func(proc)) {
	fn(proc{pid: p.pid})
	for _, pid := range p.more {
		fn(proc{pid: pid})
	}
}

func (p proc) path(f string) string {
	if p.pid == 0 {
		return "/proc/self/" + f
	}
	return "/proc/" + strconv.Itoa(p.pid) + "/" + f
}

// cpu returns user+system CPU seconds used so far (the sum over p's
// processes), or -1 if unknown.
func (p proc) cpu() float64 {
	if len(p.more) == 0 {
		return p.cpu1()
	}
	sum := 0.0
	p.each(func(q proc) {
		if c := q.cpu1(); c < 0 || sum < 0 {
			sum = -1
		} else {
			sum += c
		}
	})
	return sum
}

func (p proc) cpu1() float64 {
	b, err := os.ReadFile(p.path("stat"))
	if err != nil {
		return -1
	}
	// The command name may hold spaces: fields start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return -1
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	s, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return float64(u+s) / clockTicks
}

// status returns a field of /proc/<pid>/status in bytes (VmRSS, VmHWM),
// summed over p's processes, or -1.
func (p proc) status(field string) int64 {
	if len(p.more) == 0 {
		return p.status1(field)
	}
	var sum int64
	p.each(func(q proc) {
		if v := q.status1(field); v < 0 || sum < 0 {
			sum = -1
		} else {
			sum += v
		}
	})
	return sum
}

func (p proc) status1(field string) int64 {
	b, err := os.ReadFile(p.path("status"))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			f := strings.Fields(line[len(field)+1:])
			if len(f) >= 1 {
				if v, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return v << 10 // kB
				}
			}
		}
	}
	return -1
}

// resetPeak resets VmHWM to the current RSS (Linux clear_refs 5); false if
// the kernel refused.
func (p proc) resetPeak() bool {
	ok := true
	p.each(func(q proc) { ok = os.WriteFile(q.path("clear_refs"), []byte("5"), 0) == nil && ok })
	return ok
}

// FDLimit raises the soft RLIMIT_NOFILE to the hard limit and returns both.
func FDLimit() (soft, hard uint64, err error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, 0, err
	}
	if r.Cur < r.Max {
		r.Cur = r.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
			return r.Cur, r.Max, err
		}
	}
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, 0, err
	}
	return r.Cur, r.Max, nil
}

// openFDs counts this process's open file descriptors.
func openFDs() int {
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(es)
}

// ErrFDLimit is wrapped when the file-descriptor limit is what stops a run.
type ErrFDLimit struct {
	Need, Have uint64
	Hard       uint64
	Who        string
}

func (e *ErrFDLimit) Error() string {
	return fmt.Sprintf("the file-descriptor limit stops this run: %s needs about %d descriptors, the limit is %d (hard limit %d). "+
		"Use --spawn to put the server in its own process (halves what each process needs), lower --members/--conns, "+
		"or raise the hard limit as root (ulimit -Hn)", e.Who, e.Need, e.Have, e.Hard)
}

// checkFDs verifies this process can open need more descriptors.
func checkFDs(need uint64, who string) error {
	soft, hard, _ := FDLimit()
	have := soft
	used := uint64(openFDs())
	if used+need > have {
		return &ErrFDLimit{Need: used + need, Have: have, Hard: hard, Who: who}
	}
	return nil
}

func mb(b int64) float64 {
	if b < 0 {
		return -1
	}
	return float64(b) / (1 << 20)
}

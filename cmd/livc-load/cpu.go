package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/<pid>/stat: USER_HZ,
// 100 on every Linux the tool runs on (sysconf(_SC_CLK_TCK) needs cgo).
const clockTick = 10 * time.Millisecond

// cpuTime reads the CPU time (user and system) pid has used so far, or 0
// when it cannot be read (a process that has ended, another OS).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime, fields 14 and 15 of a /proc stat line.
// The command name (field 2) may hold spaces and parentheses, so the fields
// are counted from the last ')'.
func parseStatCPU(stat string) time.Duration {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 { // state is field 3, stime field 15
		return 0
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(ut+st) * clockTick
}

// Labels of cpuMeter's readings of the whole machine (/proc/stat): the
// time its cores were busy, and all their time.
const (
	machineBusy = "machine busy"
	machineAll  = "machine all"
)

// cpuMeter measures the CPU time processes use during a run: the server
// under load, Redis behind it and the tool itself. On two cores shared by
// all three, CPU per request is steadier from run to run than throughput,
// and it tells which process a change moved. It also reads how busy the
// whole machine was: a run whose answers cost less CPU but which leaves the
// cores idle, waiting on its own hops, shows it there.
type cpuMeter struct {
	pids  map[string]int // by label: "server", "redis", "tool"
	start map[string]time.Duration
}

func newCPUMeter(pids map[string]int) *cpuMeter {
	m := &cpuMeter{pids: map[string]int{}, start: map[string]time.Duration{}}
	for label, pid := range pids {
		if pid > 0 {
			m.pids[label] = pid
			m.start[label] = cpuTime(pid)
		}
	}
	m.start[machineBusy], m.start[machineAll] = machineTicks()
	return m
}

// stop returns the CPU time each process used since newCPUMeter, and the
// machine's busy and total core time (machineBusy, machineAll).
func (m *cpuMeter) stop() map[string]time.Duration {
	out := map[string]time.Duration{}
	for label, pid := range m.pids {
		if d := cpuTime(pid) - m.start[label]; d > 0 {
			out[label] = d
		}
	}
	busy, all := machineTicks()
	if d := all - m.start[machineAll]; d > 0 && m.start[machineAll] > 0 {
		out[machineBusy], out[machineAll] = busy-m.start[machineBusy], d
	}
	return out
}

// machineTicks reads the time all cores have been busy and the time they
// have had in all, from /proc/stat; zeros when it cannot be read.
func machineTicks() (busy, all time.Duration) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	return parseProcStat(string(b))
}

// parseProcStat reads the first line of /proc/stat, "cpu" and the cores'
// time in user, nice, system, idle, iowait, irq, softirq, steal (guest
// time, after them, is already counted in user and nice). Busy is all but
// idle, iowait and steal: time stolen by the host is the machine's, not
// the run's.
func parseProcStat(stat string) (busy, all time.Duration) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0
	}
	for i, field := range f[1:9] {
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil || n < 0 {
			return 0, 0
		}
		d := time.Duration(n) * clockTick
		all += d
		if i != 3 && i != 4 && i != 7 {
			busy += d
		}
	}
	return busy, all
}

// Command startup compares the wall time of whole commands, run alternately in
// one session so that both see the same machine load:
//
//	go run ./bench/startup -n 300 -- BASELINE ARGS... -- CANDIDATE ARGS... [-- MORE...]
//
// It prints the median, mean and 90th percentile of each, and each one's
// median as a multiple of the first's. Output is discarded; a command that
// fails ends the run.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

func main() {
	n := flag.Int("n", 200, "runs of each command")
	warm := flag.Int("warmup", 20, "untimed runs of each command first")
	flag.Parse()
	var cmds [][]string
	for _, a := range flag.Args() {
		if a == "--" {
			cmds = append(cmds, nil)
			continue
		}
		if len(cmds) == 0 {
			cmds = append(cmds, nil)
		}
		cmds[len(cmds)-1] = append(cmds[len(cmds)-1], a)
	}
	cmds = slices.DeleteFunc(cmds, func(c []string) bool { return len(c) == 0 })
	if len(cmds) < 2 {
		fmt.Fprintln(os.Stderr, "usage: startup [-n N] -- BASELINE... -- CANDIDATE...")
		os.Exit(2)
	}
	times := make([][]time.Duration, len(cmds))
	for i := range *warm + *n {
		for c, argv := range cmds {
			start := time.Now()
			if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "startup: %s: %v\n%s", strings.Join(argv, " "), err, out)
				os.Exit(1)
			}
			if i >= *warm {
				times[c] = append(times[c], time.Since(start))
			}
		}
	}
	base := median(times[0])
	fmt.Printf("%-10s %-10s %-10s %-8s %s\n", "median", "mean", "p90", "ratio", "command")
	for c, t := range times {
		slices.Sort(t)
		var sum time.Duration
		for _, d := range t {
			sum += d
		}
		fmt.Printf("%-10s %-10s %-10s %-8s %s\n", ms(median(t)), ms(sum/time.Duration(len(t))), ms(t[len(t)*9/10]),
			fmt.Sprintf("%.2fx", float64(median(t))/float64(base)), strings.Join(cmds[c], " "))
	}
}

func median(t []time.Duration) time.Duration {
	s := slices.Clone(t)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/1e6) }

// Command gohello is the floor of any Go program's start-up on this machine:
// it prints one line and exits. make bench times it beside plugctl.
package main

import "os"

func main() { os.Stdout.WriteString("loaded\n") }

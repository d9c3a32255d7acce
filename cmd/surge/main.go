// Command surge replays traffic ramps against a service, watches how it and
// its autoscaler respond, and writes a report with a verdict CI can gate on.
package main

import (
	"os"

	"github.com/surge-sh/surge/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }

// Command dockerfile-check parses Dockerfiles with BuildKit's own frontend (the parser and instruction
// loader `docker build` uses) and runs its build checks; it needs no Docker engine.
package main

import (
	"fmt"
	"os"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

func main() {
	failed := false
	for _, path := range os.Args[1:] {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			os.Exit(2)
		}
		result, err := parser.Parse(f)
		f.Close()
		if err != nil {
			fmt.Printf("%s: parse error: %v\n", path, err)
			failed = true
			continue
		}
		lint := linter.New(&linter.Config{Warn: func(rule, desc, url, msg string, loc []parser.Range) {
			line := 0
			if len(loc) > 0 {
				line = loc[0].Start.Line
			}
			fmt.Printf("%s:%d: %s: %s\n", path, line, rule, msg)
			failed = true
		}})
		stages, _, err := instructions.Parse(result.AST, lint)
		if err != nil {
			fmt.Printf("%s: %v\n", path, err)
			failed = true
			continue
		}
		fmt.Printf("%s: %d stage(s) ok\n", path, len(stages))
	}
	if failed {
		os.Exit(1)
	}
}

// Command tfcheck checks Terraform module directories for the project's
// conventions and for structural mistakes that `terraform validate` would
// catch without a provider schema: undeclared references, module calls that
// pass unknown or omit required variables, unpinned providers, undocumented
// inputs and outputs, and secrets leaking through non-sensitive outputs.
//
// It exists because provider binaries cannot be fetched on the project's
// build machines (see docs/infrastructure.md); where providers are available,
// scripts/check-terraform.sh also runs the real `terraform validate`.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tfcheck DIR [DIR...] | tfcheck -tables DIR")
		os.Exit(2)
	}
	if os.Args[1] == "-tables" && len(os.Args) == 3 {
		if err := WriteTables(os.Stdout, os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	failed := false
	for _, dir := range os.Args[1:] {
		problems := CheckModule(dir)
		if len(problems) == 0 {
			fmt.Printf("ok   %s\n", dir)
			continue
		}
		failed = true
		fmt.Printf("FAIL %s\n", dir)
		for _, p := range problems {
			fmt.Printf("     %s\n", p)
		}
	}
	if failed {
		os.Exit(1)
	}
}

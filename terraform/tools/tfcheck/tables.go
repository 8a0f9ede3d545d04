package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-config-inspect/tfconfig"
)

// WriteTables prints the Inputs and Outputs markdown tables for a module, in
// the shape checkReadme expects, so READMEs are regenerated rather than typed.
func WriteTables(w io.Writer, dir string) error {
	mod, diags := tfconfig.LoadModule(dir)
	if diags.HasErrors() {
		return diags.Err()
	}
	fmt.Fprintln(w, "## Inputs")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Name | Type | Default | Description |")
	fmt.Fprintln(w, "| --- | --- | --- | --- |")
	for _, name := range sortedVariables(mod) {
		v := mod.Variables[name]
		def := "required"
		if !v.Required {
			raw, _ := json.Marshal(v.Default)
			def = "`" + string(raw) + "`"
		}
		if v.Sensitive {
			def += " (sensitive)"
		}
		fmt.Fprintf(w, "| `%s` | `%s` | %s | %s |\n", name, cell(v.Type), cell(def), cell(v.Description))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Outputs")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Name | Sensitive | Description |")
	fmt.Fprintln(w, "| --- | --- | --- |")
	for _, name := range keys(mod.Outputs) {
		o := mod.Outputs[name]
		sensitive := "no"
		if o.Sensitive {
			sensitive = "yes"
		}
		fmt.Fprintf(w, "| `%s` | %s | %s |\n", name, sensitive, cell(o.Description))
	}
	return nil
}

// sortedVariables lists required variables first, then the rest by name.
func sortedVariables(mod *tfconfig.Module) []string {
	names := keys(mod.Variables)
	sort.SliceStable(names, func(i, j int) bool {
		return mod.Variables[names[i]].Required && !mod.Variables[names[j]].Required
	})
	return names
}

func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", "\\|")
}

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/terraform-config-inspect/tfconfig"
)

// secretName matches variable and output names that carry credentials; such
// values must be marked sensitive so plans and logs mask them.
var secretName = regexp.MustCompile(`(password|token|secret|encryption_key|kubeconfig|private_key|client_key)`)

// secretAttributes are resource attributes known to hold credentials. An
// output that reads one must be sensitive (Terraform itself only enforces
// this for attributes the provider schema marks, which we cannot load here).
var secretAttributes = regexp.MustCompile(`^(random_password\.[^.]+\.result|kind_cluster\.[^.]+\.(kubeconfig|client_key)|.*\.auth_token|.*\.password)$`)

// builtinRoots are reference roots Terraform defines itself.
var builtinRoots = map[string]bool{"count": true, "each": true, "self": true, "path": true, "terraform": true}

// moduleMetaArgs are module block arguments that are not input variables.
var moduleMetaArgs = map[string]bool{"source": true, "version": true, "count": true, "for_each": true, "providers": true, "depends_on": true}

// Problem is one finding, with the file position where it applies.
type Problem struct {
	Pos     string
	Message string
}

func (p Problem) String() string { return p.Pos + ": " + p.Message }

type checker struct {
	dir      string
	mod      *tfconfig.Module
	files    []*hcl.File
	locals   map[string]bool
	problems []Problem
}

// CheckModule returns every problem found in the Terraform module in dir.
func CheckModule(dir string) []Problem {
	c := &checker{dir: dir, locals: map[string]bool{}}
	mod, diags := tfconfig.LoadModule(dir)
	c.mod = mod
	for _, d := range diags {
		if d.Severity == tfconfig.DiagError {
			pos := dir
			if d.Pos != nil {
				pos = fmt.Sprintf("%s:%d", d.Pos.Filename, d.Pos.Line)
			}
			c.add(pos, "%s: %s", d.Summary, d.Detail)
		}
	}
	if diags.HasErrors() {
		return c.problems
	}
	if !c.parse() {
		return c.problems
	}
	c.checkRequirements()
	c.checkVariables()
	c.checkOutputs()
	c.checkReferences()
	c.checkModuleCalls()
	c.checkReadme()
	sort.SliceStable(c.problems, func(i, j int) bool { return c.problems[i].Pos < c.problems[j].Pos })
	return c.problems
}

func (c *checker) add(pos string, format string, args ...any) {
	c.problems = append(c.problems, Problem{Pos: pos, Message: fmt.Sprintf(format, args...)})
}

func rangePos(r hcl.Range) string { return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line) }

func (c *checker) parse() bool {
	paths, _ := filepath.Glob(filepath.Join(c.dir, "*.tf"))
	parser := hclparse.NewParser()
	for _, p := range paths {
		f, diags := parser.ParseHCLFile(p)
		if diags.HasErrors() {
			for _, d := range diags {
				c.add(p, "%s", d.Error())
			}
			return false
		}
		c.files = append(c.files, f)
		for _, b := range body(f).Blocks {
			if b.Type == "locals" {
				for name := range b.Body.Attributes {
					c.locals[name] = true
				}
			}
		}
	}
	if len(c.files) == 0 {
		c.add(c.dir, "no .tf files")
		return false
	}
	return true
}

func body(f *hcl.File) *hclsyntax.Body { return f.Body.(*hclsyntax.Body) }

// pinned reports whether a version constraint has an upper bound, so a new
// major provider release cannot silently change what apply does.
func pinned(constraint string) bool {
	for _, part := range strings.Split(constraint, ",") {
		part = strings.TrimSpace(part)
		if strings.HasPrefix(part, "~>") || strings.HasPrefix(part, "<") ||
			strings.HasPrefix(part, "=") || (part != "" && part[0] >= '0' && part[0] <= '9') {
			return true
		}
	}
	return false
}

func (c *checker) checkRequirements() {
	if len(c.mod.RequiredCore) == 0 {
		c.add(c.dir, "terraform block has no required_version")
	}
	used := map[string]string{}
	for _, r := range c.mod.ManagedResources {
		used[r.Provider.Name] = fmt.Sprintf("%s:%d", r.Pos.Filename, r.Pos.Line)
	}
	for _, r := range c.mod.DataResources {
		used[r.Provider.Name] = fmt.Sprintf("%s:%d", r.Pos.Filename, r.Pos.Line)
	}
	for name, pos := range used {
		if name == "terraform" {
			continue // terraform_data and terraform_remote_state are built in
		}
		req, ok := c.mod.RequiredProviders[name]
		if !ok || implicit(req) {
			c.add(pos, "provider %q is used but not listed in required_providers", name)
			continue
		}
		if req.Source == "" {
			c.add(pos, "provider %q has no source in required_providers", name)
		}
	}
	for name, req := range c.mod.RequiredProviders {
		if implicit(req) {
			continue // reported above where it is used
		}
		if len(req.VersionConstraints) == 0 {
			c.add(c.dir, "provider %q has no version constraint", name)
			continue
		}
		for _, v := range req.VersionConstraints {
			if !pinned(v) {
				c.add(c.dir, "provider %q version %q has no upper bound (use ~> or an exact version)", name, v)
			}
		}
	}
}

// implicit reports a requirement tfconfig inferred from a resource type
// rather than one the module declared.
func implicit(req *tfconfig.ProviderRequirement) bool {
	return req.Source == "" && len(req.VersionConstraints) == 0
}

func (c *checker) checkVariables() {
	declared := map[string]*hclsyntax.Block{}
	for _, f := range c.files {
		for _, b := range body(f).Blocks {
			if b.Type == "variable" && len(b.Labels) == 1 {
				declared[b.Labels[0]] = b
			}
		}
	}
	for name, v := range c.mod.Variables {
		pos := fmt.Sprintf("%s:%d", v.Pos.Filename, v.Pos.Line)
		if v.Type == "" {
			c.add(pos, "variable %q has no type", name)
		}
		if strings.TrimSpace(v.Description) == "" {
			c.add(pos, "variable %q has no description", name)
		}
		if secretName.MatchString(name) && !v.Sensitive {
			c.add(pos, "variable %q looks like a secret but is not sensitive = true", name)
		}
		// A bool cannot hold an invalid value; everything else states its
		// valid range so a typo fails at plan time, not halfway through apply.
		if v.Type == "bool" {
			continue
		}
		hasValidation := false
		if b, ok := declared[name]; ok {
			for _, inner := range b.Body.Blocks {
				if inner.Type == "validation" {
					hasValidation = true
				}
			}
		}
		if !hasValidation {
			c.add(pos, "variable %q has no validation block", name)
		}
	}
}

func (c *checker) checkOutputs() {
	for _, f := range c.files {
		for _, b := range body(f).Blocks {
			if b.Type != "output" || len(b.Labels) != 1 {
				continue
			}
			name := b.Labels[0]
			out := c.mod.Outputs[name]
			if out == nil {
				continue
			}
			pos := rangePos(b.DefRange())
			if strings.TrimSpace(out.Description) == "" {
				c.add(pos, "output %q has no description", name)
			}
			if out.Sensitive {
				continue
			}
			if secretName.MatchString(name) {
				c.add(pos, "output %q looks like a secret but is not sensitive = true", name)
				continue
			}
			value, ok := b.Body.Attributes["value"]
			if !ok {
				continue
			}
			for _, t := range hclsyntax.Variables(value.Expr) {
				ref := traversalString(t)
				if t.RootName() == "var" && len(t) > 1 {
					if v := c.mod.Variables[attrName(t[1])]; v != nil && v.Sensitive {
						c.add(pos, "output %q exposes sensitive variable %s but is not sensitive = true", name, ref)
					}
				}
				if secretAttributes.MatchString(ref) {
					c.add(pos, "output %q exposes secret attribute %s but is not sensitive = true", name, ref)
				}
			}
		}
	}
}

func attrName(step hcl.Traverser) string {
	switch s := step.(type) {
	case hcl.TraverseAttr:
		return s.Name
	case hcl.TraverseRoot:
		return s.Name
	}
	return ""
}

func traversalString(t hcl.Traversal) string {
	parts := []string{}
	for _, step := range t {
		if n := attrName(step); n != "" {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, ".")
}

// expressions calls fn for every expression in a body, with the names that
// dynamic blocks introduce as iterators in scope.
func expressions(b *hclsyntax.Body, blockType string, scope map[string]bool, fn func(hclsyntax.Expression, map[string]bool)) {
	for name, a := range b.Attributes {
		if skippedAttributes[blockType] != name {
			fn(a.Expr, scope)
		}
	}
	for _, blk := range b.Blocks {
		if notReferences(blk) {
			continue
		}
		inner := scope
		if blk.Type == "dynamic" && len(blk.Labels) == 1 {
			inner = map[string]bool{}
			for k := range scope {
				inner[k] = true
			}
			inner[blk.Labels[0]] = true
			if it, ok := blk.Body.Attributes["iterator"]; ok {
				if name := hcl.ExprAsKeyword(it.Expr); name != "" {
					inner[name] = true
				}
			}
		}
		expressions(blk.Body, blk.Type, inner, fn)
	}
}

// notReferences reports blocks whose expressions name types, providers or
// attributes rather than values: variable types, provider maps, lifecycle
// ignore lists and the terraform settings block.
func notReferences(b *hclsyntax.Block) bool {
	return b.Type == "terraform" || b.Type == "lifecycle"
}

// skippedAttributes are, per block type, attributes that hold type or
// provider names rather than value references.
var skippedAttributes = map[string]string{"variable": "type", "module": "providers"}

func (c *checker) checkReferences() {
	for _, f := range c.files {
		expressions(body(f), "", map[string]bool{}, func(e hclsyntax.Expression, scope map[string]bool) {
			for _, t := range hclsyntax.Variables(e) {
				c.checkReference(t, scope)
			}
		})
	}
}

func (c *checker) checkReference(t hcl.Traversal, scope map[string]bool) {
	root := t.RootName()
	pos := rangePos(t.SourceRange())
	second := ""
	if len(t) > 1 {
		second = attrName(t[1])
	}
	switch {
	case builtinRoots[root] || scope[root]:
	case root == "var":
		if c.mod.Variables[second] == nil {
			c.add(pos, "reference to undeclared variable var.%s", second)
		}
	case root == "local":
		if !c.locals[second] {
			c.add(pos, "reference to undeclared local.%s", second)
		}
	case root == "module":
		call := c.mod.ModuleCalls[second]
		if call == nil {
			c.add(pos, "reference to undeclared module.%s", second)
			return
		}
		if len(t) > 2 && isLocalSource(call.Source) {
			child, diags := tfconfig.LoadModule(filepath.Join(c.dir, call.Source))
			out := attrName(t[2])
			if !diags.HasErrors() && out != "" && child.Outputs[out] == nil {
				c.add(pos, "module.%s has no output %q", second, out)
			}
		}
	case root == "data":
		third := ""
		if len(t) > 2 {
			third = attrName(t[2])
		}
		if c.mod.DataResources["data."+second+"."+third] == nil {
			c.add(pos, "reference to undeclared data.%s.%s", second, third)
		}
	default:
		if c.mod.ManagedResources[root+"."+second] == nil {
			c.add(pos, "reference to undeclared resource %s.%s", root, second)
		}
	}
}

func isLocalSource(src string) bool {
	return strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../")
}

func (c *checker) checkModuleCalls() {
	for _, f := range c.files {
		for _, b := range body(f).Blocks {
			if b.Type != "module" || len(b.Labels) != 1 {
				continue
			}
			call := c.mod.ModuleCalls[b.Labels[0]]
			if call == nil || !isLocalSource(call.Source) {
				continue
			}
			pos := rangePos(b.DefRange())
			child, diags := tfconfig.LoadModule(filepath.Join(c.dir, call.Source))
			if diags.HasErrors() {
				c.add(pos, "module %q: cannot load %s: %s", b.Labels[0], call.Source, diags.Error())
				continue
			}
			for name, a := range b.Body.Attributes {
				if !moduleMetaArgs[name] && child.Variables[name] == nil {
					c.add(rangePos(a.SrcRange), "module %q passes %q, which %s does not declare", b.Labels[0], name, call.Source)
				}
			}
			for name, v := range child.Variables {
				if _, passed := b.Body.Attributes[name]; v.Required && !passed {
					c.add(pos, "module %q does not pass required variable %q", b.Labels[0], name)
				}
			}
		}
	}
}

// tableNames returns the backquoted names in the first column of the
// markdown table that follows heading.
func tableNames(readme, heading string) (map[string]bool, bool) {
	idx := strings.Index(readme, "\n"+heading+"\n")
	if idx < 0 {
		return nil, false
	}
	names := map[string]bool{}
	first := regexp.MustCompile("^\\|\\s*`([^`]+)`")
	for _, line := range strings.Split(readme[idx+len(heading)+2:], "\n") {
		if strings.HasPrefix(line, "#") {
			break
		}
		if m := first.FindStringSubmatch(line); m != nil {
			names[m[1]] = true
		}
	}
	return names, true
}

func (c *checker) checkReadme() {
	path := filepath.Join(c.dir, "README.md")
	raw, err := os.ReadFile(path)
	if err != nil {
		c.add(path, "missing README.md with Inputs and Outputs tables")
		return
	}
	readme := string(raw)
	c.compareTable(path, readme, "## Inputs", "variable", keys(c.mod.Variables))
	c.compareTable(path, readme, "## Outputs", "output", keys(c.mod.Outputs))
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (c *checker) compareTable(path, readme, heading, kind string, declared []string) {
	names, ok := tableNames(readme, heading)
	if !ok {
		if len(declared) > 0 {
			c.add(path, "no %q section documenting %d %ss", heading, len(declared), kind)
		}
		return
	}
	want := map[string]bool{}
	for _, n := range declared {
		want[n] = true
		if !names[n] {
			c.add(path, "%s %q is not documented under %s", kind, n, heading)
		}
	}
	for _, n := range keys(names) {
		if !want[n] {
			c.add(path, "%s documents %s %q, which the module does not declare", heading, kind, n)
		}
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodModule = `
terraform {
  required_version = ">= 1.9"
  required_providers {
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

variable "length" {
  type        = number
  description = "Password length."
  default     = 32
  validation {
    condition     = var.length >= 16
    error_message = "length must be at least 16."
  }
}

variable "admin_token" {
  type        = string
  description = "Admin token."
  sensitive   = true
  validation {
    condition     = length(var.admin_token) >= 32
    error_message = "admin_token must be at least 32 characters."
  }
}

locals {
  special = false
}

resource "random_password" "db" {
  length  = var.length
  special = local.special
  dynamic "keepers" {
    for_each = []
    content {
      x = keepers.value
    }
  }
}

output "db_password" {
  description = "Generated password."
  value       = random_password.db.result
  sensitive   = true
}
`

const goodReadme = "# m\n\n## Inputs\n\n| Name | Type |\n| --- | --- |\n| `length` | number |\n| `admin_token` | string |\n\n## Outputs\n\n| Name | Description |\n| --- | --- |\n| `db_password` | x |\n"

func writeModule(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func messages(problems []Problem) string {
	lines := []string{}
	for _, p := range problems {
		lines = append(lines, p.Message)
	}
	return strings.Join(lines, "\n")
}

func TestGoodModulePasses(t *testing.T) {
	dir := writeModule(t, t.TempDir(), map[string]string{"main.tf": goodModule, "README.md": goodReadme})
	if p := CheckModule(dir); len(p) != 0 {
		t.Fatalf("expected no problems, got:\n%s", messages(p))
	}
}

// Each case breaks the good module in one way and names the message a
// reader of the check's output would need to see.
func TestEachBreakageIsReported(t *testing.T) {
	cases := []struct {
		name, old, new, readme, want string
	}{
		{"unpinned provider", `version = "~> 3.6"`, `version = ">= 3.6"`, goodReadme, `has no upper bound`},
		{"missing type", "type        = number\n", "", goodReadme, `variable "length" has no type`},
		{"missing validation", "validation {\n    condition     = var.length >= 16\n    error_message = \"length must be at least 16.\"\n  }", "", goodReadme, `variable "length" has no validation block`},
		{"secret variable not sensitive", "sensitive   = true\n  validation {\n    condition     = length(var.admin_token)", "validation {\n    condition     = length(var.admin_token)", goodReadme, `looks like a secret but is not sensitive`},
		{"secret output not sensitive", "result\n  sensitive   = true", "result", goodReadme, `output "db_password" looks like a secret`},
		{"undeclared variable", "length  = var.length", "length  = var.lenght", goodReadme, `undeclared variable var.lenght`},
		{"undeclared local", "local.special", "local.specal", goodReadme, `undeclared local.specal`},
		{"undeclared resource", "random_password.db.result", "random_password.dbx.result", goodReadme, `undeclared resource random_password.dbx`},
		{"provider not required", `resource "random_password" "db" {`, "resource \"null_resource\" \"x\" {}\nresource \"random_password\" \"db\" {", goodReadme, `provider "null" is used but not listed`},
		{"undocumented input", "", "", strings.Replace(goodReadme, "| `length` | number |\n", "", 1), `variable "length" is not documented`},
		{"stale readme row", "", "", strings.Replace(goodReadme, "| `length` | number |\n", "| `length` | number |\n| `gone` | string |\n", 1), `documents variable "gone"`},
		{"syntax error", `locals {`, `locals {{`, goodReadme, `Argument or block definition required`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := goodModule
			if tc.old != "" {
				if !strings.Contains(src, tc.old) {
					t.Fatalf("fixture does not contain %q", tc.old)
				}
				src = strings.Replace(src, tc.old, tc.new, 1)
			}
			dir := writeModule(t, t.TempDir(), map[string]string{"main.tf": src, "README.md": tc.readme})
			got := messages(CheckModule(dir))
			if !strings.Contains(got, tc.want) {
				t.Fatalf("want a problem containing %q, got:\n%s", tc.want, got)
			}
		})
	}
}

func TestModuleCallsAreCheckedAgainstTheChild(t *testing.T) {
	root := t.TempDir()
	writeModule(t, filepath.Join(root, "child"), map[string]string{"main.tf": goodModule, "README.md": goodReadme})
	caller := `
terraform {
  required_version = ">= 1.9"
}

module "c" {
  source = "./child"
  lenght = 20
}

output "pw_len" {
  description = "x"
  value       = module.c.missing
}
`
	dir := writeModule(t, filepath.Join(root, "env"), map[string]string{"main.tf": strings.Replace(caller, "./child", "../child", 1), "README.md": "## Outputs\n\n| `pw_len` | x |\n"})
	got := messages(CheckModule(dir))
	for _, want := range []string{
		`passes "lenght", which ../child does not declare`,
		`does not pass required variable "admin_token"`,
		`module.c has no output "missing"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want a problem containing %q, got:\n%s", want, got)
		}
	}
}

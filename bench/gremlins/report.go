// Package gremlins reads the JSON report gremlins (mutation testing for Go)
// writes with -o, for the bench tools that work on it.
package gremlins

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Report is gremlins' report on one package.
type Report struct {
	Files []File `json:"files"`
}

// File is one source file's mutants.
type File struct {
	Name      string     `json:"file_name"`
	Mutations []Mutation `json:"mutations"`
}

// Mutation is one mutant: its mutator, what became of it (KILLED, LIVED,
// NOT COVERED, TIMED OUT...) and where.
type Mutation struct {
	Type   string `json:"type"`
	Status string `json:"status"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

// Read reads the report at path, build/mutate/PKG.json, and returns it with
// the package it is about, PKG: the one at internal/PKG.
func Read(path string) (pkg string, r Report, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return "", r, fmt.Errorf("%s: %w", path, err)
	}
	return strings.TrimSuffix(filepath.Base(path), ".json"), r, nil
}

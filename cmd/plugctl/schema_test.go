package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/plugctl/plugctl/internal/cli"
	"github.com/plugctl/plugctl/internal/sandbox"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The JSON Schemas of the commands' documents, docs/schema/*.json, whose
// $ids are under schemaBase.
const schemaBase = "https://plugctl.dev/schema/"

// runPlugctl runs cli.Main as plugctl would. When the command writes a JSON
// document, the document is also checked against the command's schema in
// docs/schema (the directory PLUGCTL_SCHEMAS names): one that does not
// match fails the command with status 99 and says why, so that every JSON
// document the scripts make is a test of the schemas, and of the code.
//
// A SARIF log (--format sarif) is checked the same way, by Microsoft's
// validator ($PLUGCTL_SARIF_VALIDATOR; see validateSARIF).
//
// PLUGCTL_TEST_SANDBOX_UNAVAILABLE (layers, comma-separated) makes the
// sandbox's probe find them missing: how the scripts reach the errors of
// a kernel without them.
func runPlugctl(args []string) int {
	if v := os.Getenv("PLUGCTL_TEST_SANDBOX_UNAVAILABLE"); v != "" {
		for _, l := range strings.Split(v, ",") {
			sandbox.Unavailable = append(sandbox.Unavailable, sandbox.Layer(l))
		}
	}
	s := cli.System()
	cmd := jsonCommand(args)
	dir := os.Getenv("PLUGCTL_SCHEMAS")
	validator := os.Getenv("PLUGCTL_SARIF_VALIDATOR")
	sarif := asksSARIF(args) && validator != ""
	if (cmd == "" || dir == "") && !sarif {
		return cli.Main(args, s)
	}
	var doc bytes.Buffer
	s.Out = io.MultiWriter(os.Stdout, &doc)
	code := cli.Main(args, s)
	if doc.Len() == 0 {
		return code // a usage error, say: no document to check
	}
	if sarif {
		if err := validateSARIF(validator, doc.Bytes()); err != nil {
			fmt.Fprintf(os.Stderr, "plugctl-test: the SARIF log of plugctl %s is not valid: %v\n", strings.Join(args, " "), err)
			return 99
		}
		return code
	}
	if err := validate(dir, cmd, doc.Bytes()); err != nil {
		fmt.Fprintf(os.Stderr, "plugctl-test: the JSON document of plugctl %s does not match docs/schema/%s.json: %v\n", cmd, cmd, err)
		return 99
	}
	return code
}

// jsonCommand returns the command args run when they ask for JSON output
// ("--format json" or "--format=json"), or "".
func jsonCommand(args []string) string {
	json := false
	for i, a := range args {
		if a == "--format=json" || (a == "--format" && i+1 < len(args) && args[i+1] == "json") {
			json = true
		}
	}
	if !json {
		return ""
	}
	// The command is the first of these names: global flags and their
	// values (--color never) may come before it.
	for i, a := range args {
		if slices.Contains([]string{"inspect", "list", "load", "verify"}, a) {
			return a
		}
		if a == "abi" && i+1 < len(args) {
			return "abi-" + args[i+1] // abi-show, abi-check
		}
	}
	return ""
}

// validate checks doc against docs/schema/CMD.json, with the other schemas
// of dir as the resources its references name.
func validate(dir, cmd string, doc []byte) error {
	c := jsonschema.NewCompiler()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no schemas in %s", dir)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		res, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("%s: %v", f, err)
		}
		if err := c.AddResource(schemaBase+filepath.Base(f), res); err != nil {
			return err
		}
	}
	sch, err := c.Compile(schemaBase + cmd + ".json")
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not one JSON document: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		// The whole tree: which value, at which path, broke which rule.
		return fmt.Errorf("%#v", err)
	}
	return nil
}

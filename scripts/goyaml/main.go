// goyaml reads one YAML or JSON document on stdin the way kubectl does and prints one line
// of JSON: {"ok": <the document as JSON>} or {"error": "<go's message>"}. The oracle of the
// YAML differential test (tests/cli/yaml_oracle.rs, corpus testdata/yaml/).
//
// kubectl's decoder reads a stream that starts with '{' (after whitespace) as JSON with
// encoding/json, anything else through sigs.k8s.io/yaml (go-yaml v2, then JSON).
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"sigs.k8s.io/yaml"
)

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	trimmed := bytes.TrimLeft(in, " \t\r\n")
	var out []byte
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') && json.Valid(in) {
		var v interface{}
		if err := json.Unmarshal(in, &v); err != nil {
			fail(err)
		}
		out, err = json.Marshal(v)
	} else {
		out, err = yaml.YAMLToJSON(in)
	}
	if err != nil {
		fail(err)
	}
	fmt.Printf("{\"ok\":%s}\n", out)
}

func fail(err error) {
	msg, _ := json.Marshal(err.Error())
	fmt.Printf("{\"error\":%s}\n", msg)
	os.Exit(0)
}

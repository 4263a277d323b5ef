// The go-yaml oracle: reads JSON lines, each one JSON value, and for each prints a JSON
// line {"input": <value>, "yaml": <sigs.k8s.io/yaml.Marshal output>}. Integral numbers
// stay int64/uint64 (as typed Go fields would), others become float64 (as Go's
// encoding/json decodes them). Inputs Go itself fails on, and those Go prints
// differently from run to run, are reported on stderr and skipped. Build and use: see ../README.md.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"sigs.k8s.io/yaml"
)

func conv(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		for k, x := range t {
			t[k] = conv(x)
		}
		return t
	case []interface{}:
		for i, x := range t {
			t[i] = conv(x)
		}
		return t
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(string(t), 10, 64); err == nil {
			return u
		}
		f, _ := strconv.ParseFloat(string(t), 64)
		return f
	}
	return v
}

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		d := json.NewDecoder(bytes.NewReader(line))
		d.UseNumber()
		var v interface{}
		if err := d.Decode(&v); err != nil {
			fmt.Fprintln(os.Stderr, "bad input:", err)
			os.Exit(2)
		}
		v = conv(v)
		y, err := yaml.Marshal(v)
		if err != nil {
			// Go's own JSON -> YAML step rejects a few inputs; record that instead.
			fmt.Fprintln(os.Stderr, "marshal:", err, string(line))
			continue
		}
		// Go iterates maps in random order and go-yaml's key order is not a total order
		// (`01` vs `1a`), so some key sets come out differently from run to run: leave
		// those out, nothing can match them.
		stable := true
		for i := 0; i < 32 && stable; i++ {
			again, _ := yaml.Marshal(v)
			stable = bytes.Equal(again, y)
		}
		if !stable {
			fmt.Fprintln(os.Stderr, "nondeterministic:", string(line))
			continue
		}
		rec, _ := json.Marshal(map[string]interface{}{"input": json.RawMessage(line), "yaml": string(y)})
		out.Write(rec)
		out.WriteString("\n")
	}
}

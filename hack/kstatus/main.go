// kstatus reads one Kubernetes object as JSON on stdin and prints what sigs.k8s.io/cli-utils' kstatus
// computes for it, as JSON: {"status":"Current|InProgress|Failed|Terminating|NotFound|Unknown","message":"…"}.
// The tests run it against live FlinkApplications to show the operator's status is kstatus-compliant, which
// is what `kubectl wait`-style tooling, Flux's health checks and kpt/cli-utils appliers rely on.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading stdin: %v", err)
	}
	// UnmarshalJSON (not encoding/json into a map) keeps integers as int64, which kstatus' accessors expect.
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(raw); err != nil {
		fail("stdin is not a Kubernetes object: %v", err)
	}
	res, err := status.Compute(obj)
	if err != nil {
		fail("kstatus: %v", err)
	}
	out, _ := json.Marshal(map[string]string{"status": res.Status.String(), "message": res.Message})
	fmt.Println(string(out))
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

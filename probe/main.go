// Command probe is the image's healthcheck (distroless has no shell, curl or
// wget): it exits 0 when GET URL answers 200 within 3 s, else 1.
//
//	probe http://127.0.0.1:9090/readyz
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"outbound/internal/version"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: probe URL")
		os.Exit(2)
	}
	if os.Args[1] == "--version" {
		fmt.Println("probe", version.String())
		return
	}
	resp, err := (&http.Client{Timeout: 3 * time.Second}).Get(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "probe:", resp.Status)
		os.Exit(1)
	}
}

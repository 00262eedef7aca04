package gateway

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestDedupIsBounded(t *testing.T) {
	d := newDedup(3)
	calls := 0
	run := func(key string) bool {
		_, dup, err := d.do(context.Background(), key, func() (string, error) { calls++; return "conv-" + key, nil })
		if err != nil {
			t.Fatal(err)
		}
		return dup
	}
	for i := range 5 {
		run(fmt.Sprint(i))
	}
	if d.size() != 3 {
		t.Fatalf("size %d, want 3", d.size())
	}
	if !run("4") || !run("2") {
		t.Fatal("recent keys forgotten")
	}
	if run("0") {
		t.Fatal("oldest key not evicted")
	}
	// "0" was re-added and evicted "3" (2 and 4 were touched since).
	if !run("2") || !run("4") || run("3") {
		t.Fatal("eviction is not least-recently-used")
	}
	if calls != 7 {
		t.Fatalf("fn ran %d times, want 7", calls)
	}
}

func TestDedupForgetsFailures(t *testing.T) {
	d := newDedup(10)
	_, _, err := d.do(context.Background(), "k", func() (string, error) { return "", errors.New("down") })
	if err == nil || d.size() != 0 {
		t.Fatalf("err %v size %d", err, d.size())
	}
	res, dup, err := d.do(context.Background(), "k", func() (string, error) { return "conv", nil })
	if err != nil || dup || res != "conv" {
		t.Fatalf("retry: %q %v %v", res, dup, err)
	}
}

func TestDedupPanicReleasesWaiters(t *testing.T) {
	d := newDedup(10)
	func() {
		defer func() { _ = recover() }()
		_, _, _ = d.do(context.Background(), "k", func() (string, error) { panic("boom") })
	}()
	if d.size() != 0 {
		t.Fatal("a panicked call was remembered")
	}
	if _, dup, err := d.do(context.Background(), "k", func() (string, error) { return "c", nil }); err != nil || dup {
		t.Fatalf("after panic: dup=%v err=%v", dup, err)
	}
}

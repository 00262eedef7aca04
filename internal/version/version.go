// Package version names the build a binary came from (--version).
package version

import (
	"flag"
	"fmt"
	"os"
	"runtime/debug"
)

// String is the module version, the commit and the Go version the running
// binary was built from, as the go command stamped them.
func String() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (built without module information)"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	commit := settings["vcs.revision"]
	if commit == "" {
		commit = "unknown commit"
	}
	if settings["vcs.modified"] == "true" {
		commit += " (modified)"
	}
	return fmt.Sprintf("%s %s, %s, %s", info.Main.Path, info.Main.Version, commit, info.GoVersion)
}

// Flag adds --version to the command line's flags: it prints the binary's
// name and String, then exits.
func Flag(name string) {
	flag.BoolFunc("version", "print the version and exit", func(string) error {
		fmt.Println(name, String())
		os.Exit(0)
		return nil
	})
}

package directory

import (
	"errors"
	"fmt"
)

// LoadAll loads the directories a worker serves (its --directory files), by
// tenant, and checks them together: one tenant per file, no address claimed
// twice, the total within bounds.
func LoadAll(paths []string) (map[string]*Directory, error) {
	if len(paths) == 0 {
		return nil, errors.New("no tenant directory: pass --directory FILE")
	}
	dirs, byFile := map[string]*Directory{}, map[string]*Directory{}
	for _, p := range paths {
		d, err := Load(p)
		if err != nil {
			return nil, err
		}
		if _, dup := dirs[d.Tenant]; dup {
			return nil, fmt.Errorf("%s: tenant %q is already served by another directory", p, d.Tenant)
		}
		dirs[d.Tenant], byFile[p] = d, d
	}
	return dirs, CheckTogether(byFile)
}

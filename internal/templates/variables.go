package templates

import (
	"slices"
	"text/template/parse"

	"outbound/internal/directory"
)

// Variables lists the variables a template uses ({{.name}}), in order of
// first use in its subject, then its body: what an agent must fill in.
func Variables(tpl directory.Template) []string {
	var names []string
	for _, text := range []string{tpl.Subject, tpl.Body} {
		trees, err := parse.Parse("t", text, "", "")
		if err != nil {
			continue // Render reports it
		}
		for _, tree := range trees {
			collect(tree.Root, &names)
		}
	}
	return names
}

func collect(node parse.Node, names *[]string) {
	switch n := node.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, child := range n.Nodes {
				collect(child, names)
			}
		}
	case *parse.ActionNode:
		collect(n.Pipe, names)
	case *parse.PipeNode:
		for _, cmd := range n.Cmds {
			for _, arg := range cmd.Args {
				collect(arg, names)
			}
		}
	case *parse.FieldNode:
		if len(n.Ident) > 0 && !slices.Contains(*names, n.Ident[0]) {
			*names = append(*names, n.Ident[0])
		}
	case *parse.IfNode:
		collect(n.Pipe, names)
		collect(n.List, names)
		collect(n.ElseList, names)
	case *parse.RangeNode:
		collect(n.Pipe, names)
		collect(n.List, names)
		collect(n.ElseList, names)
	case *parse.WithNode:
		collect(n.Pipe, names)
		collect(n.List, names)
		collect(n.ElseList, names)
	}
}

package directory

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"outbound/internal/codes"
)

// FlowEvent is a task event a business flow can be bound to.
type FlowEvent string

const (
	TaskCreated FlowEvent = "task-created"
	TaskRouted  FlowEvent = "task-routed"
	TaskEnded   FlowEvent = "task-ended"
)

func (e FlowEvent) valid() bool { return e == TaskCreated || e == TaskRouted || e == TaskEnded }

// Flow is a configured business flow. In YAML it is either a plain name
// (`survey`), which an agent may trigger, or `{id: x, event: task-ended}`, a
// flow the platform runs on a task event.
type Flow struct {
	ID    string    `yaml:"id" json:"id"`
	Event FlowEvent `yaml:"event,omitempty" json:"event,omitempty"`
}

// Triggerable reports whether an agent may trigger the flow from an outbound
// conversation: flows bound to task events may not (rule 14).
func (f Flow) Triggerable() bool { return f.Event == "" }

// UnmarshalYAML accepts both spellings of a flow. A custom unmarshaler does not
// inherit the decoder's KnownFields, so unknown keys are refused here by hand,
// worded like yaml's own error so Parse reports them the same way.
func (f *Flow) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		f.ID = n.Value
		return nil
	case yaml.MappingNode:
		var problems []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			if key := n.Content[i]; key.Value != "id" && key.Value != "event" {
				problems = append(problems, fmt.Sprintf("line %d: field %s not found in type directory.Flow", key.Line, key.Value))
			}
		}
		type plain Flow // without this method, so Decode does not recurse
		if err := n.Decode((*plain)(f)); err != nil {
			typeErr, ok := err.(*yaml.TypeError)
			if !ok {
				return err
			}
			problems = append(problems, typeErr.Errors...)
		}
		if len(problems) > 0 {
			return &yaml.TypeError{Errors: problems}
		}
		return nil
	}
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: a flow is a name or {id: name, event: task-created|task-routed|task-ended}", n.Line)}}
}

// TriggerableFlow returns the flow an agent asked to trigger, or FLOW_NOT_ALLOWED
// when it is unknown or bound to a task event (rule 14).
func (d *Directory) TriggerableFlow(id string) (Flow, error) {
	f, ok := d.Flow(id)
	if !ok {
		return Flow{}, codes.New(codes.FlowNotAllowed, "flow %q is not configured", id)
	}
	if !f.Triggerable() {
		return Flow{}, codes.New(codes.FlowNotAllowed, "flow %q runs on %s and cannot be triggered in an outbound conversation", id, f.Event)
	}
	return f, nil
}

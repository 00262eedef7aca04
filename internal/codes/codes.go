// Package codes holds the stable error codes of docs/rules.md §5. A refusal travels as a
// Temporal ApplicationError whose Type is the code, so it crosses activities,
// workflows, updates and the client unchanged, and the starter prints it as
// "error: CODE: message".
package codes

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
)

// Code is one of the stable docs/rules.md §5 error codes.
type Code string

const (
	DigitalChannelsDisabled   Code = "DIGITAL_CHANNELS_DISABLED"
	LicenseNotPremium         Code = "LICENSE_NOT_PREMIUM"
	ChannelNotInProfile       Code = "CHANNEL_NOT_IN_PROFILE"
	ManualAssignment          Code = "MANUAL_ASSIGNMENT"
	AgentStateNotAllowed      Code = "AGENT_STATE_NOT_ALLOWED"
	UnknownAgent              Code = "UNKNOWN_AGENT"
	NoEntryPoint              Code = "NO_ENTRY_POINT"
	EntryPointChannelMismatch Code = "ENTRY_POINT_CHANNEL_MISMATCH"
	InvalidAddress            Code = "INVALID_ADDRESS"
	ActiveConversationExists  Code = "ACTIVE_CONVERSATION_EXISTS"
	OutboundLimitReached      Code = "OUTBOUND_LIMIT_REACHED"
	SubjectRequired           Code = "SUBJECT_REQUIRED"
	SubjectReused             Code = "SUBJECT_REUSED"
	TemplateNotFound          Code = "TEMPLATE_NOT_FOUND"
	TemplateVariableMissing   Code = "TEMPLATE_VARIABLE_MISSING"
	ImageTooLarge             Code = "IMAGE_TOO_LARGE"
	InlineImagesDisabled      Code = "INLINE_IMAGES_DISABLED"
	UnsupportedImageType      Code = "UNSUPPORTED_IMAGE_TYPE"
	CIDNotSupported           Code = "CID_NOT_SUPPORTED"
	NotOwner                  Code = "NOT_OWNER"
	ConversationClosed        Code = "CONVERSATION_CLOSED"
	TransferPending           Code = "TRANSFER_PENDING"
	TargetUnavailable         Code = "TARGET_UNAVAILABLE"
	UnknownQueue              Code = "UNKNOWN_QUEUE"
	NoPendingOffer            Code = "NO_PENDING_OFFER"
	WrapUpReasonUnknown       Code = "WRAPUP_REASON_UNKNOWN"
	ConferenceNotSupported    Code = "CONFERENCE_NOT_SUPPORTED"
	FlowNotAllowed            Code = "FLOW_NOT_ALLOWED"
	OptedOut                  Code = "OPTED_OUT"
	TaskCreationFailed        Code = "TASK_CREATION_FAILED"

	// Beyond the source.
	BadRequest     Code = "BAD_REQUEST" // a malformed request: a usage error, not a refusal by a rule
	MessageTooLong Code = "MESSAGE_TOO_LONG"
	// OutcomeUnknown: the client gave up retrying and cannot tell whether the
	// request took effect; the same request id again tells.
	OutcomeUnknown Code = "OUTCOME_UNKNOWN"
)

// New returns a refusal: a non-retryable ApplicationError typed with the code.
func New(code Code, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), string(code), nil)
}

// Of returns the code and message of a refusal anywhere in err's chain, or
// ok=false when err is not a refusal (an infrastructure failure).
func Of(err error) (code Code, message string, ok bool) {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !Known(Code(appErr.Type())) {
		return "", "", false
	}
	return Code(appErr.Type()), appErr.Message(), true
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool {
	c, _, ok := Of(err)
	return ok && c == code
}

var all = map[Code]bool{}

func init() {
	for _, c := range []Code{
		DigitalChannelsDisabled, LicenseNotPremium, ChannelNotInProfile, ManualAssignment,
		AgentStateNotAllowed, UnknownAgent, NoEntryPoint, EntryPointChannelMismatch,
		InvalidAddress, ActiveConversationExists, OutboundLimitReached, SubjectRequired,
		SubjectReused, TemplateNotFound, TemplateVariableMissing, ImageTooLarge,
		InlineImagesDisabled, UnsupportedImageType, CIDNotSupported, NotOwner,
		ConversationClosed, TransferPending, TargetUnavailable, UnknownQueue,
		NoPendingOffer, WrapUpReasonUnknown, ConferenceNotSupported, FlowNotAllowed,
		OptedOut, TaskCreationFailed, BadRequest, MessageTooLong, OutcomeUnknown,
	} {
		all[c] = true
	}
}

// All lists the docs/rules.md §5 codes.
func All() []Code {
	out := make([]Code, 0, len(all))
	for c := range all {
		out = append(out, c)
	}
	return out
}

// Known reports whether c is one of the docs/rules.md §5 codes.
func Known(c Code) bool { return all[c] }

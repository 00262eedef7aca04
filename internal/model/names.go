// Package model holds what workflows, activities and clients share: workflow
// and handler names, workflow IDs, search attributes, and the request and state
// types that travel as payloads. It has no behaviour, so every side can import it.
package model

import (
	"strings"

	enumspb "go.temporal.io/api/enums/v1"

	"go.temporal.io/sdk/temporal"
)

// TaskQueue is the one task queue the worker polls.
const TaskQueue = "outbound"

// Workflow type names (the registered names of the workflow functions).
const (
	ConversationWorkflow = "Conversation"
	AgentWorkflow        = "Agent"
	CustomerWorkflow     = "Customer"
	DirectoryWorkflow    = "Directory"
)

// Conversation operations: each is both a signal and a validated update.
const (
	OpOpen       = "open" // update only: answers the starter once the start rules have run
	OpSend       = "send"
	OpReply      = "reply"
	OpTransfer   = "transfer"
	OpAccept     = "accept"
	OpDecline    = "decline"
	OpClose      = "close"
	OpWrapUp     = "wrapup"
	OpTrigger    = "trigger"
	OpConference = "conference"
	OpStatus     = "deliveryStatus"
)

// Agent operations.
const (
	OpReserve          = "reserve"
	OpRelease          = "release"
	OpTransferOut      = "transferOut"
	OpLeave            = "leave"
	OpOfferAccepted    = "offerAccepted"
	OpTransferResolved = "transferResolved"
	OpNoAnswer         = "noAnswer"
	OpSetState         = "setState"
	OpConfigure        = "configure"
)

// Customer record operations.
const (
	OpCustomerOpen   = "open"
	OpCustomerClosed = "closed"
	OpCustomerOptOut = "optOut"
)

// Directory operations.
const OpPublish = "publish"

// QueryState is the query every workflow answers with its state.
const QueryState = "state"

// DirectoryWorkflowID is the single workflow holding the tenant directories the
// worker serves, so clients can list agents and queues without the YAML.
const DirectoryWorkflowID = "outbound-directory"

// ConversationWorkflowID is unique per (tenant, entry point, customer), so the
// server itself refuses a second open conversation (rule 6). customerKey is a
// keyed hash of the normalised address: no PII in IDs.
func ConversationWorkflowID(tenant, entryPoint, customerKey string) string {
	return "conversation/" + tenant + "/" + entryPoint + "/" + customerKey
}

// AgentWorkflowID names an agent's entity workflow.
func AgentWorkflowID(tenant, agent string) string { return "agent/" + tenant + "/" + agent }

// CustomerWorkflowID names a customer's record (keyed hash, no PII).
func CustomerWorkflowID(tenant, customerKey string) string {
	return "customer/" + tenant + "/" + customerKey
}

// ConversationID is the public id of one conversation: the workflow ID plus the
// run ID of its first execution, which stays the same across continue-as-new
// while a later conversation with the same customer gets a new one.
func ConversationID(workflowID, firstRunID string) string { return workflowID + "/" + firstRunID }

// SplitConversationID is the inverse of ConversationID.
func SplitConversationID(id string) (workflowID, firstRunID string, ok bool) {
	i := strings.LastIndex(id, "/")
	if i <= 0 || i == len(id)-1 || !strings.HasPrefix(id, "conversation/") {
		return "", "", false
	}
	return id[:i], id[i+1:], true
}

// Search attributes the conversation keeps current, registered by worker --dev.
var (
	AttrTenant             = temporal.NewSearchAttributeKeyKeyword("Tenant")
	AttrChannel            = temporal.NewSearchAttributeKeyKeyword("Channel")
	AttrEntryPoint         = temporal.NewSearchAttributeKeyKeyword("EntryPoint")
	AttrCustomerKey        = temporal.NewSearchAttributeKeyKeyword("CustomerKey")
	AttrOwnerAgent         = temporal.NewSearchAttributeKeyKeyword("OwnerAgent")
	AttrConversationStatus = temporal.NewSearchAttributeKeyKeyword("ConversationStatus")
	AttrConversationID     = temporal.NewSearchAttributeKeyKeyword("ConversationId")
	AttrTransferTarget     = temporal.NewSearchAttributeKeyKeyword("TransferTarget")
)

// SearchAttributes lists the attributes to register on the namespace.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	out := map[string]enumspb.IndexedValueType{}
	for _, key := range []temporal.SearchAttributeKeyKeyword{
		AttrTenant, AttrChannel, AttrEntryPoint, AttrCustomerKey,
		AttrOwnerAgent, AttrConversationStatus, AttrConversationID, AttrTransferTarget,
	} {
		out[key.GetName()] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	return out
}

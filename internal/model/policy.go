package model

import "time"

// Policy is the tenant configuration a conversation needs, captured at start.
type Policy struct {
	TransferOfferTimeout time.Duration `json:"transferOfferTimeout"`
	WrapUp               WrapUpPolicy  `json:"wrapUp"`
	EntryQueue           string        `json:"entryQueue"`
	Queues               []string      `json:"queues"`
	Flows                []string      `json:"flows"` // flows an agent may trigger (rule 14)
	// No inline images for tenants on the PCI-restricted email provider or
	// on the exception list (rule 12).
	PCIEmail           bool `json:"pciEmail,omitempty"`
	InlineImagesExempt bool `json:"inlineImagesExempt,omitempty"`
	// DeliveryCheckAfter: a sent SMS with no final status this long after
	// it was sent is asked about at its provider (0: not at all, the policy
	// of a conversation started before there was a check).
	DeliveryCheckAfter time.Duration `json:"deliveryCheckAfter,omitempty"`
}

// WrapUpPolicy is the tenant's wrap-up step (rule 20).
type WrapUpPolicy struct {
	Timeout       time.Duration `json:"timeout"`
	Reasons       []string      `json:"reasons"`
	DefaultReason string        `json:"defaultReason"`
}

package model

// EmailBodyRequest asks the PrepareEmailBody activity for an email's HTML
// body: the agent's HTML with its inline images hosted and referenced by URL
// (rules 12, 13), sanitised.
type EmailBodyRequest struct {
	Tenant       string  `json:"tenant"`
	Conversation string  `json:"conversation"` // the conversation id: part of the images' keys
	HTML         string  `json:"html,omitempty"`
	Images       []Image `json:"images,omitempty"`
}

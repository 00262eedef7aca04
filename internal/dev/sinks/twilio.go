package sinks

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// messageResource is the Twilio Message resource as the sink answers it.
// num_segments is a string, as in Twilio's real API.
type messageResource struct {
	SID          string  `json:"sid"`
	AccountSID   string  `json:"account_sid"`
	To           string  `json:"to"`
	From         string  `json:"from"`
	Body         string  `json:"body"`
	Status       string  `json:"status"`
	NumSegments  string  `json:"num_segments"`
	Direction    string  `json:"direction"`
	APIVersion   string  `json:"api_version"`
	DateCreated  string  `json:"date_created"`
	ErrorCode    *int    `json:"error_code"`
	ErrorMessage *string `json:"error_message"`
	URI          string  `json:"uri"`
}

func resourceFor(rec smsRecord) messageResource {
	return messageResource{
		SID:         rec.SID,
		AccountSID:  rec.AccountSID,
		To:          rec.To,
		From:        rec.From,
		Body:        rec.Body,
		Status:      rec.Status,
		NumSegments: strconv.Itoa(rec.Segments),
		Direction:   "outbound-api",
		APIVersion:  "2010-04-01",
		DateCreated: rec.ReceivedAt.UTC().Format(time.RFC1123Z),
		URI:         "/2010-04-01/Accounts/" + rec.AccountSID + "/Messages/" + rec.SID + ".json",
	}
}

// twilioError is Twilio's error document.
type twilioError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

func writeTwilioError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, twilioError{
		Code:     code,
		Message:  msg,
		MoreInfo: "https://www.twilio.com/docs/errors/" + strconv.Itoa(code),
		Status:   status,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client hung up; nothing left to do
}

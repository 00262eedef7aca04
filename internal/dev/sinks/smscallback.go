package sinks

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"outbound/internal/sms"
)

// Status callbacks: like the provider, the sink reports what happens to each
// accepted message that named a StatusCallback — sent, then delivered — by
// POSTing a signed form to that URL. Posting is asynchronous (the create
// answer never waits for it), in order per message, retried a few times, and
// bounded: a fixed number of workers post, at most callbackPending messages
// wait for their statuses, and a message past that is dropped with a warning.
// The wait before each status is a timer, not a worker's sleep, so a burst is
// reported as fast as it came.
const (
	callbackWorkers = 16
	callbackPending = 4096
	callbackTimeout = 5 * time.Second
)

// callbackBackoff is the wait before each retry of one callback; its length is
// the number of retries. Five retries over about 45 s, as a provider that
// retries does (Twilio allows five with its connection overrides): long
// enough to outlast a short outage of the gateway or Temporal, which answer
// 503 meanwhile. A provider that never retries loses the status then, and the
// message stays "sent". A var so tests in this package can shorten it.
var callbackBackoff = []time.Duration{250 * time.Millisecond, time.Second, 3 * time.Second, 10 * time.Second, 30 * time.Second}

// callbackDelay is how long the sink "takes" to reach each next status, so the
// callbacks follow the create answer as a provider's would, not race it.
var callbackDelay = 100 * time.Millisecond

// callbackStatuses are the statuses the sink reports, in order.
var callbackStatuses = []string{"sent", "delivered"}

// callbackJob is one message's next status to report.
type callbackJob struct {
	rec   smsRecord
	token string
	next  int // index in callbackStatuses
}

type callbacks struct {
	jobs    chan callbackJob
	pending chan struct{} // a token per message still to report
	http    *http.Client
	store   *smsStore
	log     *zap.Logger
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

func startCallbacks(store *smsStore, log *zap.Logger) *callbacks {
	ctx, cancel := context.WithCancel(context.Background())
	cb := &callbacks{
		jobs:    make(chan callbackJob),
		pending: make(chan struct{}, callbackPending),
		http:    &http.Client{Timeout: callbackTimeout},
		store:   store,
		log:     log,
		ctx:     ctx,
		cancel:  cancel,
	}
	for range callbackWorkers {
		cb.wg.Go(cb.work)
	}
	return cb
}

// enqueue schedules rec's callbacks without ever blocking.
func (cb *callbacks) enqueue(job callbackJob) {
	if cb.ctx.Err() != nil {
		return
	}
	select {
	case cb.pending <- struct{}{}:
		cb.after(job)
	default:
		cb.log.Warn("too many status callbacks pending; callbacks dropped", zap.String("sid", job.rec.SID))
	}
}

// after hands job to a worker once the provider "took" callbackDelay to
// reach its status.
func (cb *callbacks) after(job callbackJob) {
	time.AfterFunc(callbackDelay, func() {
		select {
		case cb.jobs <- job:
		case <-cb.ctx.Done():
		}
	})
}

// stop abandons pending and in-flight callbacks and waits for the workers.
func (cb *callbacks) stop() {
	cb.cancel()
	cb.wg.Wait()
}

func (cb *callbacks) work() {
	for {
		select {
		case <-cb.ctx.Done():
			return
		case job := <-cb.jobs:
			cb.run(job)
		}
	}
}

// run reports one status: the outbox file first (the provider's own view
// does not depend on the callback arriving), then the callback; then it
// schedules the next status or frees the message's place.
func (cb *callbacks) run(job callbackJob) {
	status := callbackStatuses[job.next]
	var err error
	if job.rec, err = cb.store.setStatus(job.rec, status); err != nil {
		cb.log.Error("recording sms status failed", zap.String("sid", job.rec.SID), zap.Error(err))
		<-cb.pending
		return
	}
	cb.deliver(job.rec, status, job.token)
	if job.next++; job.next < len(callbackStatuses) {
		cb.after(job)
		return
	}
	<-cb.pending
}

// deliver posts one status callback, retrying network failures and 5xx/429
// answers; any other 4xx means the receiver refused it and retrying the
// identical request cannot help.
func (cb *callbacks) deliver(rec smsRecord, status, token string) {
	form := url.Values{
		"MessageSid":    {rec.SID},
		"SmsSid":        {rec.SID},
		"MessageStatus": {status},
		"SmsStatus":     {status},
		"AccountSid":    {rec.AccountSID},
		"To":            {rec.To},
		"From":          {rec.From},
		"ApiVersion":    {"2010-04-01"},
	}
	signature := sms.Signature(token, rec.StatusCallback, form)
	log := cb.log.With(zap.String("sid", rec.SID), zap.String("status", status))
	for attempt := 0; ; attempt++ {
		code, err := cb.post(rec.StatusCallback, form, signature)
		switch {
		case err == nil && code >= 200 && code < 300:
			log.Debug("status callback delivered", zap.Int("attempt", attempt+1))
			return
		case err == nil && code < 500 && code != http.StatusTooManyRequests:
			log.Warn("status callback refused", zap.Int("httpStatus", code))
			return
		case attempt >= len(callbackBackoff):
			log.Warn("status callback failed; giving up", zap.Int("attempts", attempt+1), zap.Int("httpStatus", code), zap.Error(err))
			return
		}
		select {
		case <-cb.ctx.Done():
			return
		case <-time.After(callbackBackoff[attempt]):
		}
	}
}

func (cb *callbacks) post(target string, form url.Values, signature string) (int, error) {
	req, err := http.NewRequestWithContext(cb.ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, fmt.Errorf("build status callback: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(sms.SignatureHeader, signature)
	req.Header.Set("User-Agent", "TwilioProxy/1.1 (outbound dev sink)")
	resp, err := cb.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // keep the connection reusable
	return resp.StatusCode, nil
}

// validCallbackURL reports whether u is an absolute http(s) URL, as the
// provider requires of StatusCallback.
func validCallbackURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}

package desktop

import (
	"net/http"
	"strings"

	"golang.org/x/text/language"
)

// catalogs hold every string the desktop shows, by language. The English
// names of controls are their accessible names; the Turkish ones follow the
// source article's wording (Uygun, YÇYY, Gönderen, Aktar, …).
var catalogs = map[string]map[string]string{
	"en": {
		"title":                         "Agent Desktop",
		"signin.heading":                "Sign in",
		"signin.dev":                    "Dev sign-in: pick an agent, no password. It exists only in the dev stack (go run ./dev).",
		"signin.agent":                  "Agent",
		"signin.submit":                 "Sign in",
		"signout":                       "Sign out",
		"state":                         "State",
		"state.available":               "Available",
		"state.idle":                    "Idle",
		"state.rona":                    "RONA",
		"state.rona.hint":               "RONA (redirection on no answer): an offer to you went unanswered, so nothing is offered to you until you choose Available.",
		"tasks":                         "Tasks",
		"tasks.active":                  "My conversations",
		"tasks.offers":                  "Offers to me",
		"tasks.wrapups":                 "Wrap-ups due",
		"tasks.waiting":                 "Waiting in my queues",
		"tasks.none":                    "None",
		"tasks.due":                     "due",
		"tasks.since":                   "waiting since",
		"tasks.offered":                 "offered to",
		"language":                      "Language",
		"channel.sms":                   "SMS",
		"channel.email":                 "Email",
		"transcript":                    "Transcript",
		"previous":                      "Previous conversation",
		"customer":                      "Customer",
		"message.auto":                  "automatic reply",
		"message.unverified":            "sender not verified: this email may not come from the customer",
		"held":                          "Emails that claimed to come from this customer but failed sender authentication were kept aside",
		"message.whole":                 "The whole message",
		"message.media":                 "Attachment",
		"message":                       "Message",
		"send":                          "Send",
		"close":                         "Close",
		"accept":                        "Accept",
		"decline":                       "Decline",
		"pickup":                        "Pick up",
		"offer":                         "Offer",
		"offer.until":                   "Offered to you until",
		"wrapup.reason":                 "Reason",
		"wrapup.submit":                 "Wrap up",
		"conference.unavailable":        "Conference is not available for outbound conversations.",
		"status.queued":                 "queued",
		"status.sent":                   "sent",
		"status.unconfirmed":            "not confirmed by the provider",
		"status.delivered":              "delivered",
		"status.failed":                 "Not delivered",
		"status.received":               "received",
		"status.active":                 "active",
		"status.offered":                "offered",
		"status.closed":                 "closed",
		"new.heading":                   "New outbound conversation",
		"new.channel":                   "Channel",
		"new.to":                        "To",
		"new.to.hint.sms":               "The mobile number with its country code, e.g. +14155550123.",
		"new.to.hint.email":             "The customer's email address.",
		"new.from":                      "From",
		"new.noentry":                   "No entry point is configured for this channel: you cannot start a conversation on it.",
		"new.subject":                   "Subject",
		"new.template":                  "Template",
		"new.notemplate":                "(none: write a message)",
		"new.choose":                    "Choose",
		"new.preview":                   "What the customer gets:",
		"new.submit.sms":                "New SMS",
		"new.submit.email":              "New Email",
		"new.nochannels":                "You cannot start an outbound conversation on any channel; the reasons are above. Your administrator can change them.",
		"why.DIGITAL_CHANNELS_DISABLED": "digital channels are not enabled for your organisation.",
		"why.LICENSE_NOT_PREMIUM":       "your licence is standard; outbound conversations need a premium licence.",
		"why.CHANNEL_NOT_IN_PROFILE":    "your multimedia profile does not include this channel.",
		"why.MANUAL_ASSIGNMENT":         "your profile assigns this channel manually; outbound needs 'contacts automatically routed'.",
		"transfer":                      "Transfer",
		"search":                        "Search",
		"reload":                        "Reload",
		"queue":                         "Queue",
		"agent":                         "Agent",
		"waiting":                       "waiting",
		"email.html":                    "The email as the customer wrote it",
		"wrapup.until":                  "Unless you choose, the default reason applies at",
		"wrapup.heading":                "Wrap-up",
		"cancel":                        "Cancel",
		"tasks.unread":                  "unread",
		"tasks.failed":                  "not delivered",
		"done.wrapup":                   "Wrap-up recorded.",
		"done.flow":                     "Flow triggered:",
		"close.heading":                 "Close the conversation?",
		"close.what":                    "The customer's next message opens a new conversation, and you wrap this one up.",
		"close.confirm":                 "Close the conversation",
		"transfer.unavailable":          "not available: cannot take a transfer now",
		"transfer.full":                 "no free slot: cannot take a transfer now",
		"sms.segments":                  "SMS segments",
		"images":                        "Inline images",
		"images.hint":                   "PNG, JPEG, GIF or WebP, at most 15 KB each; they follow the text.",
		"flow":                          "Flow",
		"flow.trigger":                  "Trigger flow",
	},
	"tr": {
		"title":                         "Agent Desktop",
		"signin.heading":                "Oturum aç",
		"signin.dev":                    "Geliştirici oturumu: bir temsilci seçin, parola yok. Yalnızca geliştirme ortamında (go run ./dev) vardır.",
		"signin.agent":                  "Temsilci",
		"signin.submit":                 "Oturum aç",
		"signout":                       "Oturumu kapat",
		"state":                         "Durum",
		"state.available":               "Uygun",
		"state.idle":                    "Boşta",
		"state.rona":                    "YÇYY",
		"state.rona.hint":               "YÇYY (yanıt yoksa yeniden yönlendirme): size gelen bir teklif yanıtsız kaldı; Uygun'u seçene kadar size yeni iş sunulmaz.",
		"tasks":                         "Görevler",
		"tasks.active":                  "Konuşmalarım",
		"tasks.offers":                  "Bana sunulanlar",
		"tasks.wrapups":                 "Bekleyen toparlamalar",
		"tasks.waiting":                 "Sıralarımda bekleyenler",
		"tasks.none":                    "Yok",
		"tasks.due":                     "son",
		"tasks.since":                   "bekliyor:",
		"tasks.offered":                 "sunuldu:",
		"language":                      "Dil",
		"channel.sms":                   "SMS",
		"channel.email":                 "E-posta",
		"transcript":                    "Döküm",
		"previous":                      "Önceki konuşma",
		"customer":                      "Müşteri",
		"message.auto":                  "otomatik yanıt",
		"message.unverified":            "gönderen doğrulanamadı: bu e-posta müşteriden gelmemiş olabilir",
		"held":                          "Bu müşteriden geldiğini iddia eden ancak gönderen doğrulamasından geçemeyen e-postalar ayrı tutuldu",
		"message.whole":                 "Mesajın tamamı",
		"message.media":                 "Ek",
		"message":                       "Mesaj",
		"send":                          "Gönder",
		"close":                         "Kapat",
		"accept":                        "Kabul et",
		"decline":                       "Reddet",
		"pickup":                        "Üstlen",
		"offer":                         "Teklif",
		"offer.until":                   "Size sunuldu, son:",
		"wrapup.reason":                 "Neden",
		"wrapup.submit":                 "Toparla",
		"conference.unavailable":        "Giden konuşmalar için konferans başlatamazsınız.",
		"status.queued":                 "sırada",
		"status.sent":                   "gönderildi",
		"status.unconfirmed":            "sağlayıcı teslimi doğrulamadı",
		"status.delivered":              "teslim edildi",
		"status.failed":                 "Teslim edilemedi",
		"status.received":               "alındı",
		"status.active":                 "etkin",
		"status.offered":                "sunuldu",
		"status.closed":                 "kapalı",
		"new.heading":                   "Yeni giden konuşma",
		"new.channel":                   "Kanal",
		"new.to":                        "Bitiş",
		"new.to.hint.sms":               "SMS kanalının ülke kodunu kullanarak mobil numarayı girin.",
		"new.to.hint.email":             "E-posta kanalının e-posta adresini girin.",
		"new.from":                      "Gönderen",
		"new.noentry":                   "Yöneticiniz herhangi bir giriş noktası yapılandırmadıysa, giden bir konuşma başlatamazsınız.",
		"new.subject":                   "Konu",
		"new.template":                  "Şablon",
		"new.notemplate":                "(yok: mesaj yazın)",
		"new.choose":                    "Seç",
		"new.preview":                   "Müşteriye gidecek metin:",
		"new.submit.sms":                "Yeni SMS",
		"new.submit.email":              "Yeni E-posta",
		"new.nochannels":                "Hiçbir kanalda giden konuşma başlatamazsınız; nedenleri yukarıda. Yöneticiniz bunları değiştirebilir.",
		"why.DIGITAL_CHANNELS_DISABLED": "kuruluşunuz için dijital kanallar etkin değil.",
		"why.LICENSE_NOT_PREMIUM":       "lisansınız standart; giden konuşmalar premium lisans gerektirir.",
		"why.CHANNEL_NOT_IN_PROFILE":    "multimedya profiliniz bu kanalı içermiyor.",
		"why.MANUAL_ASSIGNMENT":         "profiliniz bu kanalı elle atıyor; giden konuşmalar için 'Otomatik olarak yönlendirilen kişiler' ayarı gerekir.",
		"transfer":                      "Aktar",
		"search":                        "Ara",
		"reload":                        "Yeniden yükle",
		"queue":                         "Sıra",
		"agent":                         "Temsilci",
		"waiting":                       "bekliyor",
		"email.html":                    "Müşterinin yazdığı haliyle e-posta",
		"wrapup.until":                  "Siz seçmezseniz varsayılan neden şu saatte uygulanır:",
		"wrapup.heading":                "Toparlama",
		"cancel":                        "Vazgeç",
		"tasks.unread":                  "okunmamış",
		"tasks.failed":                  "teslim edilemedi",
		"done.wrapup":                   "Toparlama kaydedildi.",
		"done.flow":                     "Akış tetiklendi:",
		"close.heading":                 "Konuşma kapatılsın mı?",
		"close.what":                    "Müşterinin bir sonraki mesajı yeni bir konuşma açar; bu konuşmayı siz toparlarsınız.",
		"close.confirm":                 "Konuşmayı kapat",
		"transfer.unavailable":          "uygun değil: şu an aktarım alamaz",
		"transfer.full":                 "boş yeri yok: şu an aktarım alamaz",
		"sms.segments":                  "SMS bölümü",
		"images":                        "Satır içi resimler",
		"images.hint":                   "PNG, JPEG, GIF veya WebP, her biri en fazla 15 KB; metnin ardından gelir.",
		"flow":                          "Akış",
		"flow.trigger":                  "Akışı tetikle",
	},
}

var supported = language.NewMatcher([]language.Tag{language.English, language.Turkish})

// lang picks the catalog: ?lang= (the selector), else the choice the
// selector remembered, else Accept-Language.
func lang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); catalogs[l] != nil {
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && catalogs[c.Value] != nil {
		return c.Value
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	_, i, _ := supported.Match(tags...)
	return []string{"en", "tr"}[i]
}

// text returns the string for key in language l; a missing one is a bug the
// catalog test catches, shown as its key meanwhile.
func text(l, key string) string {
	if s, ok := catalogs[l][key]; ok {
		return s
	}
	return strings.ToUpper(key)
}

const langCookie = "__Host-desktop-lang"

// rememberLang keeps the language the selector chose for the next pages.
func rememberLang(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l := r.URL.Query().Get("lang"); catalogs[l] != nil {
			http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", Secure: true, HttpOnly: true,
				SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
		}
		next.ServeHTTP(w, r)
	})
}

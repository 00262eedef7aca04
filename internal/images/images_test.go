package images

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"outbound/internal/codes"
	"outbound/internal/model"
)

// Real images of each accepted type, made by the standard encoders (WebP:
// a 1 × 1 lossy image, as browsers' feature tests use).
var (
	pngImage  = encoded(func(w io.Writer, m image.Image) error { return png.Encode(w, m) })
	jpegImage = encoded(func(w io.Writer, m image.Image) error { return jpeg.Encode(w, m, nil) })
	gif89     = encoded(func(w io.Writer, m image.Image) error { return gif.Encode(w, m, nil) })
	gif87     = append([]byte("GIF87a"), gif89[6:]...)
	webpImage = mustBase64("UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA")
)

func encoded(encode func(io.Writer, image.Image) error) []byte {
	m := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	m.Set(1, 1, color.NRGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := encode(&b, m); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func mustBase64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// sized pads a real image with trailing bytes (decoders stop at its end)
// to reach a size.
func sized(img []byte, n int) []byte {
	out := make([]byte, n)
	copy(out, img)
	return out
}

// hugePNG declares width × height in a real PNG's header (its checksum
// fixed): a few bytes that would decode into gigabytes.
func hugePNG(width, height uint32) []byte {
	b := bytes.Clone(pngImage)
	binary.BigEndian.PutUint32(b[16:], width)
	binary.BigEndian.PutUint32(b[20:], height)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// errType is the ApplicationError type of err ("" for nil).
func errType(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	if code, _, ok := codes.Of(err); ok {
		return string(code)
	}
	var appErr *temporal.ApplicationError
	if ok := asApp(err, &appErr); ok {
		return appErr.Type()
	}
	t.Fatalf("not an ApplicationError: %v", err)
	return ""
}

func asApp(err error, target **temporal.ApplicationError) bool { return errors.As(err, target) }

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		img  model.Image
		want string
	}{
		{"png", model.Image{Name: "logo.png", Data: sized(pngImage, 10*1024)}, ""},
		{"png at the limit", model.Image{Name: "logo.png", Data: sized(pngImage, MaxBytes)}, ""},
		{"png one byte over", model.Image{Name: "logo.png", Data: sized(pngImage, MaxBytes+1)}, "IMAGE_TOO_LARGE"},
		{"16 KB", model.Image{Name: "big.png", Data: sized(pngImage, 16*1024)}, "IMAGE_TOO_LARGE"},
		{"jpeg", model.Image{Name: "photo.jpg", Data: sized(jpegImage, 2000)}, ""},
		{"gif87a", model.Image{Name: "a.gif", Data: gif87}, ""},
		{"gif89a", model.Image{Name: "a.gif", Data: gif89}, ""},
		{"webp", model.Image{Name: "a.webp", Data: webpImage}, ""},
		{"jpeg named .png", model.Image{Name: "photo.png", Data: jpegImage}, ""},
		{"text renamed .png", model.Image{Name: "notes.png", Data: []byte("hello, this is text\n")}, "UNSUPPORTED_IMAGE_TYPE"},
		{"svg", model.Image{Name: "a.svg", Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)}, "UNSUPPORTED_IMAGE_TYPE"},
		{"bmp", model.Image{Name: "a.bmp", Data: sized([]byte("BM"), 100)}, "UNSUPPORTED_IMAGE_TYPE"},
		{"riff but not webp", model.Image{Name: "a.webp", Data: sized([]byte("RIFF\x00\x00\x00\x00WAVE"), 100)}, "UNSUPPORTED_IMAGE_TYPE"},
		{"truncated png magic", model.Image{Name: "a.png", Data: pngImage[:5]}, "UNSUPPORTED_IMAGE_TYPE"},
		{"png header, text after", model.Image{Name: "a.png", Data: append(bytes.Clone(pngImage[:16]), "<script>alert(1)</script>"...)}, "UNSUPPORTED_IMAGE_TYPE"},
		{"png cut short", model.Image{Name: "a.png", Data: pngImage[:len(pngImage)-20]}, "UNSUPPORTED_IMAGE_TYPE"},
		{"png of 60000 × 60000 pixels", model.Image{Name: "a.png", Data: hugePNG(60000, 60000)}, "UNSUPPORTED_IMAGE_TYPE"},
		{"jpeg header only", model.Image{Name: "a.jpg", Data: []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00")}, "UNSUPPORTED_IMAGE_TYPE"},
		{"webp header only", model.Image{Name: "a.webp", Data: []byte("RIFF\x24\x00\x00\x00WEBPVP8 ")}, "UNSUPPORTED_IMAGE_TYPE"},
		{"empty data", model.Image{Name: "a.png"}, "UNSUPPORTED_IMAGE_TYPE"},
		{"too large text: size first", model.Image{Name: "a.png", Data: bytes.Repeat([]byte("a"), MaxBytes+1)}, "IMAGE_TOO_LARGE"},
		{"empty name", model.Image{Name: "", Data: sized(pngImage, 100)}, "BAD_REQUEST"},
		{"blank name", model.Image{Name: "  ", Data: sized(pngImage, 100)}, "BAD_REQUEST"},
		{"path", model.Image{Name: "dir/logo.png", Data: sized(pngImage, 100)}, "BAD_REQUEST"},
		{"absolute path", model.Image{Name: "/etc/logo.png", Data: sized(pngImage, 100)}, "BAD_REQUEST"},
		{"windows path", model.Image{Name: `C:\logo.png`, Data: sized(pngImage, 100)}, "BAD_REQUEST"},
		{"dot dot", model.Image{Name: "..", Data: sized(pngImage, 100)}, "BAD_REQUEST"},
		{"control char", model.Image{Name: "lo\ngo.png", Data: sized(pngImage, 100)}, "BAD_REQUEST"},
		{"too long", model.Image{Name: strings.Repeat("a", 252) + ".png", Data: sized(pngImage, 100)}, "BAD_REQUEST"},
		{"spaces inside ok", model.Image{Name: "my logo (1).png", Data: sized(pngImage, 100)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.img)
			if got := errType(t, err); got != tc.want {
				t.Fatalf("Check = %v (%s), want %q", err, got, tc.want)
			}
		})
	}
}

func TestCheckTooLargeMessage(t *testing.T) {
	_, msg, ok := codes.Of(Check(model.Image{Name: "big.png", Data: sized(pngImage, 16384)}))
	if !ok || !strings.Contains(msg, "16384") || !strings.Contains(msg, "15360") {
		t.Fatalf("message %q should give the size and the limit", msg)
	}
}

func TestCheckAll(t *testing.T) {
	ok := model.Image{Name: "a.png", Data: sized(pngImage, 100)}
	for _, tc := range []struct {
		name string
		imgs []model.Image
		want string
	}{
		{"none", nil, ""},
		{"two", []model.Image{ok, {Name: "b.gif", Data: gif89}}, ""},
		{"duplicate name", []model.Image{ok, ok}, "BAD_REQUEST"},
		{"second bad", []model.Image{ok, {Name: "b.png", Data: []byte("text")}}, "UNSUPPORTED_IMAGE_TYPE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errType(t, CheckAll(tc.imgs)); got != tc.want {
				t.Fatalf("CheckAll = %s, want %q", got, tc.want)
			}
		})
	}
}

func TestCheckAllowed(t *testing.T) {
	imgs := []model.Image{{Name: "a.png", Data: pngImage}}
	for _, tc := range []struct {
		name        string
		pci, exempt bool
		imgs        []model.Image
		want        string
	}{
		{"allowed", false, false, imgs, ""},
		{"pci", true, false, imgs, "INLINE_IMAGES_DISABLED"},
		{"exempt", false, true, imgs, "INLINE_IMAGES_DISABLED"},
		{"both", true, true, imgs, "INLINE_IMAGES_DISABLED"},
		{"pci without images", true, false, nil, ""},
		{"exempt without images", false, true, []model.Image{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errType(t, CheckAllowed(tc.pci, tc.exempt, tc.imgs)); got != tc.want {
				t.Fatalf("CheckAllowed = %s, want %q", got, tc.want)
			}
		})
	}
}

func TestRefusalsAreNonRetryable(t *testing.T) {
	for _, err := range []error{
		Check(model.Image{Name: "a.png", Data: sized(pngImage, MaxBytes+1)}),
		Check(model.Image{Name: "a.png", Data: []byte("x")}),
		Check(model.Image{Name: "a/b.png", Data: pngImage}),
		CheckAllowed(true, false, []model.Image{{}}),
		CheckHTML(`<img src="cid:x">`),
	} {
		var appErr *temporal.ApplicationError
		if !asApp(err, &appErr) || !appErr.NonRetryable() {
			t.Errorf("%v: want a non-retryable ApplicationError", err)
		}
	}
}

func TestContentTypeAndExtension(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		ct   string
		ext  string
	}{
		{"png", pngImage, "image/png", "png"},
		{"jpeg", jpegImage, "image/jpeg", "jpg"},
		{"gif", gif89, "image/gif", "gif"},
		{"webp", webpImage, "image/webp", "webp"},
		{"text", []byte("GIF8 is not enough"), "", ""},
		{"nil", nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct, ok := ContentType(tc.data)
			if ct != tc.ct || ok != (tc.ct != "") {
				t.Fatalf("ContentType = %q, %v; want %q", ct, ok, tc.ct)
			}
			if got := Extension(ct); got != tc.ext {
				t.Fatalf("Extension(%q) = %q, want %q", ct, got, tc.ext)
			}
		})
	}
	for in, want := range map[string]string{"Image/JPEG; q=1": "jpg", " image/png ": "png", "text/plain": "", "": ""} {
		if got := Extension(in); got != want {
			t.Errorf("Extension(%q) = %q, want %q", in, got, want)
		}
	}
}

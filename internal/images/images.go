// Package images holds the inline-image rules of docs/rules.md rules 12 and 13 as pure
// functions: the per-image checks (size, type sniffed from the bytes, name),
// the tenant check (PCI provider, exception list), the Content-ID refusal, and
// the composition of the HTML body that references hosted images by URL.
//
// Nothing here does I/O, reads the clock, draws random numbers or depends on
// map iteration order: the conversation workflow's update validator calls the
// checks, so they must give the same answer on every replay.
package images

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"outbound/internal/codes"
	"outbound/internal/model"
)

// MaxBytes is the largest inline image, in bytes (15 KB; rule 12: fixed, not
// configurable).
const MaxBytes = 15360

// MaxNameLength bounds an image's name (a file's base name).
const MaxNameLength = 255

// Content types of the accepted images.
const (
	PNG  = "image/png"
	JPEG = "image/jpeg"
	GIF  = "image/gif"
	WebP = "image/webp"
)

// Check refuses an image that may not be sent: larger than MaxBytes
// (IMAGE_TOO_LARGE), not a PNG, JPEG, GIF or WebP by its bytes whatever its
// name says (UNSUPPORTED_IMAGE_TYPE), or a name that is not a plain base name
// (BAD_REQUEST). The image must decode whole: its first bytes alone do not
// make it one.
func Check(img model.Image) error {
	if len(img.Data) > MaxBytes {
		return codes.New(codes.ImageTooLarge, "image %q is %d bytes; inline images are limited to %d bytes (15 KB)",
			img.Name, len(img.Data), MaxBytes)
	}
	contentType, ok := ContentType(img.Data)
	if !ok {
		return codes.New(codes.UnsupportedImageType, "image %q is not a PNG, JPEG, GIF or WebP image", img.Name)
	}
	if !decodes(img.Data, contentType) {
		return codes.New(codes.UnsupportedImageType, "image %q starts as %s but is not a whole image of at most %d pixels", img.Name, contentType, maxPixels)
	}
	return CheckName(img.Name)
}

// CheckName refuses an image name that is empty, too long, not UTF-8, holds a
// control character, or is path-like ("a/b", "..", "C:\x"): an image is named
// by its file's base name, which <img src="NAME"> refers to.
func CheckName(name string) error {
	switch {
	case name == "" || strings.TrimSpace(name) == "":
		return codes.New(codes.BadRequest, "an inline image needs a name (its file's base name)")
	case len(name) > MaxNameLength:
		return codes.New(codes.BadRequest, "inline image name is longer than %d bytes", MaxNameLength)
	case !utf8.ValidString(name):
		return codes.New(codes.BadRequest, "inline image name %q is not valid UTF-8", name)
	case name == "." || name == "..":
		return codes.New(codes.BadRequest, "inline image name %q is not a file name", name)
	case strings.ContainsAny(name, `/\`):
		return codes.New(codes.BadRequest, "inline image name %q must be a base name, without a directory", name)
	case strings.TrimSpace(name) != name:
		return codes.New(codes.BadRequest, "inline image name %q has leading or trailing spaces", name)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return codes.New(codes.BadRequest, "inline image name %q holds a control character", name)
		}
	}
	return nil
}

// CheckAll checks every image (Check) and refuses two images with the same
// name, which <img src="NAME"> could not tell apart.
func CheckAll(imgs []model.Image) error {
	for i, img := range imgs {
		if err := Check(img); err != nil {
			return err
		}
		for _, prev := range imgs[:i] {
			if prev.Name == img.Name {
				return codes.New(codes.BadRequest, "two inline images are named %q", img.Name)
			}
		}
	}
	return nil
}

// CheckAllowed refuses inline images for tenants integrated with the
// PCI-restricted email provider and organisations on the exception list
// (rule 12): INLINE_IMAGES_DISABLED when either flag is set and there are
// images. A message without images is always allowed.
func CheckAllowed(pciEmail, exempt bool, imgs []model.Image) error {
	if len(imgs) == 0 {
		return nil
	}
	switch {
	case pciEmail:
		return codes.New(codes.InlineImagesDisabled, "inline images are disabled: this tenant sends email through the PCI-restricted provider")
	case exempt:
		return codes.New(codes.InlineImagesDisabled, "inline images are disabled for this organisation (exception list)")
	}
	return nil
}

// ContentType sniffs an image's type from its magic number (never from its
// name): image/png, image/jpeg, image/gif or image/webp, ok=false otherwise.
func ContentType(data []byte) (string, bool) {
	switch {
	case hasPrefix(data, "\x89PNG\r\n\x1a\n"):
		return PNG, true
	case hasPrefix(data, "\xff\xd8\xff"):
		return JPEG, true
	case hasPrefix(data, "GIF87a"), hasPrefix(data, "GIF89a"):
		return GIF, true
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return WebP, true
	}
	return "", false
}

func hasPrefix(data []byte, magic string) bool {
	return len(data) >= len(magic) && string(data[:len(magic)]) == magic
}

// Extension is the file extension (without the dot) of an accepted content
// type: png, jpg, gif, webp; "" for any other type. Parameters and case are
// ignored ("Image/JPEG; q=1" is jpg).
func Extension(contentType string) string {
	ct, _, _ := strings.Cut(contentType, ";")
	switch strings.ToLower(strings.TrimSpace(ct)) {
	case PNG:
		return "png"
	case JPEG:
		return "jpg"
	case GIF:
		return "gif"
	case WebP:
		return "webp"
	}
	return ""
}

package images

import (
	"bytes"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/webp"
)

// maxPixels bounds an inline image's declared size: a few bytes can declare
// a 65535 × 65535 image, which decoding would allocate.
const maxPixels = 4_000_000

// decodes reports whether data is a whole image of its type, not only one
// that starts like it (a polyglot or a truncated file), within maxPixels.
// It calls each format's decoder directly, not through the registry: pure
// functions, as the workflow's validator needs.
func decodes(data []byte, contentType string) bool {
	var config func(io.Reader) (image.Config, error)
	var decode func(io.Reader) (image.Image, error)
	switch contentType {
	case PNG:
		config, decode = png.DecodeConfig, png.Decode
	case JPEG:
		config, decode = jpeg.DecodeConfig, jpeg.Decode
	case GIF: // the first frame: all of them could hold far more than maxPixels
		config, decode = gif.DecodeConfig, gif.Decode
	case WebP:
		config, decode = webp.DecodeConfig, webp.Decode
	default:
		return false
	}
	c, err := config(bytes.NewReader(data))
	if err != nil || c.Width <= 0 || c.Height <= 0 || c.Width*c.Height > maxPixels {
		return false
	}
	_, err = decode(bytes.NewReader(data))
	return err == nil
}

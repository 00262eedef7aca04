// Package logging builds the zap logger and adapts it to the Temporal SDK, so
// worker, SDK and server write one structured log.
package logging

import (
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// New returns a console logger for humans (dev) or JSON for machines.
func New(dev bool) *zap.Logger {
	cfg := zap.NewProductionConfig()
	if dev {
		cfg = zap.NewDevelopmentConfig()
		cfg.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
		cfg.DisableStacktrace = true
	}
	l, err := cfg.Build()
	if err != nil {
		panic(err) // only on a broken static config
	}
	return l
}

// SDK adapts zap to the SDK's key-value logger interface.
type SDK struct{ L *zap.SugaredLogger }

// NewSDK wraps a zap logger for client.Options.Logger.
func NewSDK(l *zap.Logger) SDK { return SDK{L: l.WithOptions(zap.AddCallerSkip(1)).Sugar()} }

func (s SDK) Debug(msg string, kv ...any) { s.L.Debugw(msg, kv...) }
func (s SDK) Info(msg string, kv ...any)  { s.L.Infow(msg, kv...) }
func (s SDK) Warn(msg string, kv ...any)  { s.L.Warnw(msg, kv...) }
func (s SDK) Error(msg string, kv ...any) { s.L.Errorw(msg, kv...) }

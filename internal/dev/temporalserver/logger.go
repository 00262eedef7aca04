package temporalserver

import (
	sdklog "go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Minimum levels of the server log per lifecycle phase.
const (
	// While services start they dial each other before all listeners are
	// up and warn about every refused connection; only errors matter then.
	startingLevel = zapcore.ErrorLevel
	// Once running, warnings are worth seeing; Debug/Info would bury the
	// application's own console output.
	runningLevel = zapcore.WarnLevel
	// While stopping, pollers and internal clients report the closed
	// connections as errors; Stop returns what actually failed.
	stoppingLevel = zapcore.FatalLevel + 1
)

// newServerLogger returns the logger for the Temporal server and the switch
// that moves it between phases.
func newServerLogger(l *zap.Logger) (*zap.Logger, zap.AtomicLevel) {
	level := zap.NewAtomicLevelAt(startingLevel)
	gated := l.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return gatedCore{Core: c, min: level}
	}))
	return gated.Named("temporal"), level
}

// gatedCore drops entries below a level that can change at run time.
// zap.IncreaseLevel is not used because it refuses to wrap a core that is
// already stricter than the requested level.
type gatedCore struct {
	zapcore.Core
	min zap.AtomicLevel
}

func (c gatedCore) Enabled(l zapcore.Level) bool {
	return c.min.Enabled(l) && c.Core.Enabled(l)
}

func (c gatedCore) With(fields []zapcore.Field) zapcore.Core {
	return gatedCore{Core: c.Core.With(fields), min: c.min}
}

func (c gatedCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if !c.min.Enabled(e.Level) {
		return ce
	}
	return c.Core.Check(e, ce)
}

// sdkLogger adapts zap for the short-lived SDK client used during start,
// which would otherwise print Info lines to stdout on its own.
type sdkLogger struct{ s *zap.SugaredLogger }

var _ sdklog.Logger = sdkLogger{}

func newSDKLogger(l *zap.Logger) sdkLogger { return sdkLogger{s: l.Sugar()} }

func (l sdkLogger) Debug(msg string, kv ...any) { l.s.Debugw(msg, kv...) }
func (l sdkLogger) Info(msg string, kv ...any)  { l.s.Infow(msg, kv...) }
func (l sdkLogger) Warn(msg string, kv ...any)  { l.s.Warnw(msg, kv...) }
func (l sdkLogger) Error(msg string, kv ...any) { l.s.Errorw(msg, kv...) }

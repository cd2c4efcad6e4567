package config

import (
	"strconv"
	"strings"
	"time"
)

// parseBool accepts the spellings vendors' and users' files use.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true, true
	case "0", "false", "no", "off":
		return false, true
	}
	return false, false
}

// parseSeconds accepts a whole number of seconds or a Go duration ("90s",
// "1m30s").
func parseSeconds(s string) (time.Duration, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > int64(1<<31) {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}

// logLevelNames are the names <log_level> may use instead of numbers.
var logLevelNames = map[string]int{
	"TRACE": LogTrace, "DEBUG": LogDebug, "INFO": LogInfo,
	"WARN": LogWarn, "WARNING": LogWarn, "ERROR": LogError, "FATAL": LogFatal,
}

func parseLogLevel(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, n >= LogTrace && n <= LogFatal
	}
	n, ok := logLevelNames[strings.ToUpper(s)]
	return n, ok
}

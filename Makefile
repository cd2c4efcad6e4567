# rtspcam — build, run, test, benchmark, cross-build.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X rtspcam/firmware.Version=$(VERSION)
BIN     := bin
# The FFmpeg (cgo) codecs are built where pkg-config finds their libraries;
# elsewhere the pure-Go build leaves them out (hwenc/ffmpeg says so).
# Evaluated when used, so "make test" sees what deps.sh just installed
# (deps.sh fails when it cannot install them).
FFMPEG_TAGS = $(shell pkg-config --exists libavcodec libavutil libswscale 2>/dev/null && echo ffmpeg)
TAGS    ?= $(FFMPEG_TAGS)

.PHONY: build build-ffmpeg run test deps bench cross fuzz vet clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/rtspserver ./cmd/rtspserver

# The desktop build: cgo and the FFmpeg codecs (H.264/H.265 encoding,
# transcoding, AAC/Opus), dynamically linked against libavcodec.
build-ffmpeg:
	CGO_ENABLED=1 $(GO) build -tags ffmpeg -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/rtspserver ./cmd/rtspserver

# Runs the server on its embedded default: the test pattern and the sample
# media in media/ (rtspserver.cfg in this folder).
run: build
	./$(BIN)/rtspserver -c rtspserver.cfg

deps:
	./scripts/deps.sh

# Every test: unit, fuzz seeds, real clients (ffmpeg, GStreamer), ARM
# binaries under qemu-user, the 200-reader load test.
test: deps
	$(GO) vet -tags '$(TAGS)' ./...
	$(GO) test -tags '$(TAGS)' -count=1 -timeout 30m ./...

bench: deps build
	./bench/run.sh
	./bench/publish.sh

cross:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/rtspserver-arm64 ./cmd/rtspserver
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/rtspserver-armv7 ./cmd/rtspserver

# Runs every fuzz target for FUZZTIME each.
FUZZTIME ?= 30s
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

vet:
	$(GO) vet ./...
	$(GO) vet -tags ffmpeg ./...

clean:
	rm -rf $(BIN)

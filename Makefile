# rtspcam — build, run, test, benchmark, cross-build.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X rtspcam/firmware.Version=$(VERSION)
BIN     := bin

.PHONY: build run test deps bench cross fuzz vet clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/rtspserver ./cmd/rtspserver

# Runs the server on its embedded default: the test pattern and the sample
# media in media/ (rtspserver.cfg in this folder).
run: build
	./$(BIN)/rtspserver -c rtspserver.cfg

deps:
	./scripts/deps.sh

# Every test: unit, fuzz seeds, real clients (ffmpeg, GStreamer), ARM
# binaries under qemu-user, the 200-reader load test.
test: deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

bench: deps build
	./bench/run.sh

cross:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/rtspserver-arm64 ./cmd/rtspserver
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/rtspserver-armv7 ./cmd/rtspserver

# Runs every fuzz target for FUZZTIME each.
FUZZTIME ?= 30s
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

vet:
	$(GO) vet ./...

clean:
	rm -rf $(BIN)

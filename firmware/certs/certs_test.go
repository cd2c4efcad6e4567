package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestLoadOrCreate(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "sub", "c.pem"), filepath.Join(dir, "sub", "k.pem")
	hosts := []string{"cam1", "192.0.2.7", "2001:db8::7", "localhost"}
	cert, created, err := LoadOrCreate(certFile, keyFile, hosts)
	if err != nil || !created {
		t.Fatalf("first start: created %v, %v", created, err)
	}
	st, err := os.Stat(keyFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v, want mode 0600", st, err)
	}
	x, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := x.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Fatalf("public key %T, want ECDSA P-256", x.PublicKey)
	}
	if !slices.Equal(x.DNSNames, []string{"cam1", "localhost"}) {
		t.Errorf("DNS SANs %q", x.DNSNames)
	}
	if len(x.IPAddresses) != 2 || !x.IPAddresses[0].Equal(net.ParseIP("192.0.2.7")) || !x.IPAddresses[1].Equal(net.ParseIP("2001:db8::7")) {
		t.Errorf("IP SANs %v", x.IPAddresses)
	}
	if err := x.VerifyHostname("cam1"); err != nil {
		t.Error(err)
	}
	if x.NotAfter.Before(time.Now().Add(5 * 365 * 24 * time.Hour)) {
		t.Errorf("valid only until %v", x.NotAfter)
	}
	before, _ := os.ReadFile(certFile)

	again, created, err := LoadOrCreate(certFile, keyFile, hosts)
	if err != nil || created {
		t.Fatalf("second start: created %v, %v", created, err)
	}
	if !bytes.Equal(again.Certificate[0], cert.Certificate[0]) {
		t.Fatal("second start serves another certificate")
	}
	after, _ := os.ReadFile(certFile)
	if !bytes.Equal(before, after) {
		t.Fatal("certificate file rewritten")
	}
	ents, _ := os.ReadDir(filepath.Dir(certFile))
	if len(ents) != 2 {
		t.Fatalf("files beside the pair: %v (temporary files left?)", ents)
	}

	// A damaged pair is an error, never silently replaced.
	os.WriteFile(certFile, []byte("garbage"), 0o644)
	if _, _, err := LoadOrCreate(certFile, keyFile, hosts); err == nil {
		t.Fatal("a damaged certificate loaded")
	}
	// A key without its certificate (a cut between the two writes) is replaced.
	os.Remove(certFile)
	if _, created, err := LoadOrCreate(certFile, keyFile, hosts); err != nil || !created {
		t.Fatalf("key without certificate: created %v, %v", created, err)
	}
}

func TestDeviceHosts(t *testing.T) {
	h := DeviceHosts()
	for _, want := range []string{"localhost", "127.0.0.1"} {
		if !slices.Contains(h, want) {
			t.Errorf("DeviceHosts %q lacks %s", h, want)
		}
	}
}

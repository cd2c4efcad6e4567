package firmware

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"path/filepath"

	"rtspcam/firmware/certs"
	"rtspcam/firmware/config"
)

// Names of the generated certificate and key beside the configuration
// when the configuration names none.
const (
	DefaultCertFile = "rtspserver.crt"
	DefaultKeyFile  = "rtspserver.key"
)

// certPaths resolves configured certificate and key files against the
// configuration's folder; empty names become the default pair there.
func certPaths(cfg *config.Config, cert, key string) (string, string) {
	dir := "."
	if cfg.Path != "" {
		dir = filepath.Dir(cfg.Path)
	}
	if cert == "" {
		cert = DefaultCertFile
	}
	if key == "" {
		key = DefaultKeyFile
	}
	if !filepath.IsAbs(cert) {
		cert = filepath.Join(dir, cert)
	}
	if !filepath.IsAbs(key) {
		key = filepath.Join(dir, key)
	}
	return cert, key
}

// tlsConfig loads the key pair for a TLS listener (what names it: "rtsps",
// "https"), making a self-signed one on first start when the files are
// missing.
func (a *App) tlsConfig(cfg *config.Config, what, certFile, keyFile string) (*tls.Config, error) {
	certFile, keyFile = certPaths(cfg, certFile, keyFile)
	cert, created, err := certs.LoadOrCreate(certFile, keyFile, certs.DeviceHosts())
	if err != nil {
		return nil, fmt.Errorf("%s certificate: %w", what, err)
	}
	if created {
		a.log.Info("generated a self-signed certificate for this device", "listener", what, "cert", certFile, "key", keyFile)
	} else {
		a.log.Info("using certificate", "listener", what, "cert", certFile)
	}
	if cert.Leaf == nil && len(cert.Certificate) > 0 {
		cert.Leaf, _ = x509.ParseCertificate(cert.Certificate[0])
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
	}, nil
}

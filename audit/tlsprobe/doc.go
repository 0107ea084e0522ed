// Package tlsprobe finds which protocol versions and cipher suites a server
// accepts, with raw ClientHellos written and answers parsed by hand, so that
// it can test what crypto/tls cannot: SSLv2, SSLv3, export, NULL, anonymous,
// RC4, DES and every other suite in the reference table.
//
// It knows nothing of SMTP. A Prober takes a DialFunc that returns a
// connection positioned where the server expects a ClientHello (the caller
// has done the banner, EHLO and STARTTLS), opens a fresh connection for every
// hello, never completes a handshake, and returns evidence.VersionResult
// values: the versions accepted, the suites of each in the server's order of
// preference when it has one, the key-exchange parameters seen, and the
// number of connections spent.
//
// The wire facts and the traps this package handles are listed in the
// reference file tls-wire.md: several handshake messages per record and one
// message over several records, warning alerts before the ServerHello,
// HelloRetryRequest as acceptance, SSLv2 answers to TLS hellos, the F5
// padding rule, the full supported_groups and signature_algorithms lists, no
// TLS_FALLBACK_SCSV, no extensions in SSLv3 hellos, and a deadline that
// covers a whole exchange rather than each read.
package tlsprobe

// Package mtasts gathers the MTA-STS (RFC 8461) and SMTP TLS reporting
// (RFC 8460) evidence of a mail domain: the _mta-sts and _smtp._tls TXT
// records, the HTTPS fetch of the policy, the parsed policy and which MX
// hosts it covers.
//
// The parsers are pure functions of the bytes a remote party published;
// Fetcher is the only code that opens a connection. Nothing here grades:
// the evidence records what a compliant sender would conclude (a record or
// policy it must ignore carries the reason) and the grader decides.
package mtasts

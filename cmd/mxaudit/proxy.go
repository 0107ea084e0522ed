package main

import (
	"fmt"
	"net/http"
	"net/url"
)

// Values of --https-proxy besides a proxy URL.
const (
	proxyEnv  = "env"  // HTTPS_PROXY and NO_PROXY, as curl and Go tools read them
	proxyNone = "none" // direct connections
)

// parseProxy turns --https-proxy into the proxy function of MTA-STS
// policy fetches; nil means direct.
func parseProxy(v string) (func(*http.Request) (*url.URL, error), error) {
	switch v {
	case proxyEnv:
		return http.ProxyFromEnvironment, nil
	case proxyNone, "":
		return nil, nil
	}
	u, err := url.Parse(v)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL", v)
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("%q: want %s, %s or http://[user:password@]host:port", u.Redacted(), proxyEnv, proxyNone)
	}
	return http.ProxyURL(u), nil
}

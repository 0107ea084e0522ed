package evidence

import "testing"

func TestPolicyFetchUnreached(t *testing.T) {
	tests := []struct {
		name string
		f    *PolicyFetch
		want bool
	}{
		{"nil", nil, false},
		{"fetched", &PolicyFetch{StatusCode: 200}, false},
		{"connect timeout", &PolicyFetch{Error: &Error{Kind: ErrTimeout, Step: StepConnect}}, true},
		{"connect refused", &PolicyFetch{Error: &Error{Kind: ErrRefused, Step: StepConnect}}, true},
		{"no route", &PolicyFetch{Error: &Error{Kind: ErrUnreach, Step: StepConnect}}, true},
		{"proxy refused", &PolicyFetch{Error: &Error{Kind: ErrRefused, Step: StepProxy}}, true},
		{"name unknown", &PolicyFetch{Error: &Error{Kind: ErrProtocol, Step: StepConnect, Message: "no such host"}}, false},
		{"tls failure", &PolicyFetch{Error: &Error{Kind: ErrTLS, Step: "handshake"}}, false},
		{"timeout after the server answered", &PolicyFetch{Error: &Error{Kind: ErrTimeout, Step: "http"}}, false},
		{"status and error", &PolicyFetch{StatusCode: 404, Error: &Error{Kind: ErrTimeout, Step: StepConnect}}, false},
		{"cancelled", &PolicyFetch{Error: &Error{Kind: ErrCanceled, Step: StepConnect}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Unreached(); got != tt.want {
				t.Errorf("Unreached() = %v, want %v", got, tt.want)
			}
		})
	}
}

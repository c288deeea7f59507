package kmsbridge

import (
	"net/http"
	"strings"
	"time"
)

// noteRefused tells ServerConfig.Refused of a request refused before it
// reached an operation, if the caller is known: by the principal of a good
// signature, or at least by the access key id its Authorization header
// names (a wrong signature or an unknown key is worth auditing too).
// Requests naming nobody are only logged.
func (s *Server) noteRefused(r *http.Request, start time.Time, reqID, principal, code string) {
	if s.refused == nil {
		return
	}
	akid := ""
	if h, err := parseAuthorization(r.Header.Get("Authorization")); err == nil {
		akid = h.accessKeyID
	}
	if principal == "" && akid == "" {
		return
	}
	op, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if quoteName(op) != "'"+op+"'" {
		op = "" // not an operation name: keep the caller's bytes out of the trail
	}
	s.refused(RefusedRequest{
		Time: start, RequestID: reqID, Operation: op,
		AccessKeyID: akid, Principal: principal, ErrorCode: code,
	})
}

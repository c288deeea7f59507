package kmsbridge

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Operation is one KMS action behind the endpoint. body is the request's JSON
// object, already authenticated and starting with '{' (the Operation decodes
// it and answers malformed JSON with a SerializationException); principal
// is the IAM ARN of the caller's access key. The result is encoded as the
// JSON response (nil gives "{}"); []byte fields become base64, as AWS's blobs
// are. An error answers with its CodedError code and message, or with
// KMSInternalException if it has none.
type Operation func(ctx context.Context, principal string, body []byte) (any, error)

const (
	contentTypeJSON11 = "application/x-amz-json-1.1"
	targetPrefix      = "TrentService."

	// DefaultMaxBodyBytes bounds a request body. AWS's largest inputs are a
	// 4096-byte plaintext and a 6144-byte ciphertext blob, base64-encoded,
	// plus policies of up to 32 KiB; 64 KiB leaves a wide margin.
	DefaultMaxBodyBytes = 64 << 10
)

// ServerConfig tunes the endpoint.
type ServerConfig struct {
	// Region the credentials are scoped to (required), e.g. "us-east-1".
	Region string
	// MaxBodyBytes bounds a request body (0: DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// MaxClockSkew bounds |X-Amz-Date - now| (0: DefaultMaxClockSkew).
	MaxClockSkew time.Duration
	// Now is the server's clock (nil: time.Now).
	Now func() time.Time
	// Logger receives one line per request: operation, outcome code,
	// status, request id, access principal. Never a body. nil: no log.
	Logger *slog.Logger
	// TLSConfig, when set, makes Serve speak HTTPS.
	TLSConfig *tls.Config
	// ReadTimeout bounds the time a client may take to send a whole
	// request, headers included (0: 30 s, and 10 s for the headers).
	ReadTimeout time.Duration
	// Refused, when set, is told of each request refused before it reached
	// an operation whose caller is known at least by access key id, for
	// the audit trail (Bridge.RecordRefused). Calls that reach an
	// operation are recorded by the operation table itself.
	Refused func(RefusedRequest)
}

// Server is the AWS KMS JSON 1.1 endpoint: an http.Handler that authenticates
// with SigV4 and dispatches X-Amz-Target to the operation table.
type Server struct {
	verifier *Verifier
	ops      map[string]Operation
	maxBody  int64
	log      *slog.Logger
	tls      *tls.Config
	refused  func(RefusedRequest)

	readHeader, read time.Duration // http.Server's ReadHeaderTimeout and ReadTimeout
}

// NewServer returns the endpoint for the given credentials and operation
// table (operation name without the "TrentService." prefix -> Operation).
// The table is copied.
func NewServer(creds []Credential, ops map[string]Operation, cfg ServerConfig) (*Server, error) {
	v, err := NewVerifier(cfg.Region, creds, cfg.Now, cfg.MaxClockSkew)
	if err != nil {
		return nil, err
	}
	table := make(map[string]Operation, len(ops))
	for name, op := range ops {
		if op == nil || name == "" || strings.Contains(name, ".") {
			return nil, fmt.Errorf("kmsbridge: bad operation table entry %q", name)
		}
		table[name] = op
	}
	s := &Server{verifier: v, ops: table, maxBody: cfg.MaxBodyBytes, log: cfg.Logger, tls: cfg.TLSConfig, refused: cfg.Refused,
		readHeader: readHeaderTimeout, read: readTimeout}
	if cfg.ReadTimeout > 0 {
		s.readHeader, s.read = min(cfg.ReadTimeout, readHeaderTimeout), cfg.ReadTimeout
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

type requestIDKey struct{}

// RequestID returns the x-amzn-RequestId of the request ctx belongs to, for
// the audit record.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// ServeHTTP handles one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := newRequestID()
	op, principal := "", ""
	code, status := "", http.StatusOK
	dispatched := false
	defer func() {
		if code != "" && !dispatched {
			s.noteRefused(r, start, reqID, principal, code)
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "kms request",
			slog.String("request_id", reqID), slog.String("operation", op),
			slog.String("principal", principal), slog.Int("status", status),
			slog.String("error", code), slog.Duration("elapsed", time.Since(start)))
	}()
	fail := func(err error) { code, status = writeError(w, reqID, err) }

	if r.Method != http.MethodPost {
		fail(newProtocolError(protoMethodNotAllowed, "Only POST is served."))
		return
	}
	if r.URL.Path != "/" {
		fail(newProtocolError(protoUnknownOperation, "Only the path / is served."))
		return
	}

	// The whole body is needed to check the signature. MaxBytesReader also
	// makes the server close the connection instead of draining a huge body.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			fail(newProtocolError(protoRequestTooLarge, fmt.Sprintf("Request body is larger than %d bytes.", s.maxBody)))
		} else {
			fail(newProtocolError(protoSerialization, "The request body could not be read."))
		}
		return
	}

	principal, err = s.verifier.Verify(r.Context(), r, body)
	if err != nil {
		fail(err)
		return
	}

	name, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if !ok || name == "" {
		fail(newProtocolError(protoUnknownOperation, "X-Amz-Target must name a TrentService operation."))
		return
	}
	handler, ok := s.ops[name]
	if !ok {
		fail(newProtocolError(protoUnknownOperation, "Unknown operation "+quoteName(name)+"."))
		return
	}
	op = name
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != contentTypeJSON11 {
		fail(newProtocolError(protoSerialization, "Content-Type must be "+contentTypeJSON11+"."))
		return
	}
	// An empty body is an empty input (the AWS CLI sends none for ListKeys).
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if !isJSONObject(body) {
		fail(newProtocolError(protoSerialization, "The request body is not a JSON object."))
		return
	}

	ctx := context.WithValue(r.Context(), requestIDKey{}, reqID)
	dispatched = true
	out, err := s.call(ctx, handler, principal, body)
	if err != nil {
		fail(err)
		return
	}
	if out == nil {
		out = struct{}{}
	}
	resp, err := json.Marshal(out)
	if err != nil {
		fail(fmt.Errorf("kmsbridge: encoding the %s response: %w", name, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentTypeJSON11)
	h.Set("X-Amzn-RequestId", reqID)
	// A known length spares net/http the chunked encoding of bodies over
	// 2 KiB (an Encrypt's answer) and its extra writes.
	h.Set("Content-Length", strconv.Itoa(len(resp)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(resp)
}

// call runs one operation; a panic becomes KMSInternalException instead of
// a dropped connection.
func (s *Server) call(ctx context.Context, op Operation, principal string, body []byte) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("kmsbridge: operation panicked: %v", p)
		}
	}()
	return op(ctx, principal, body)
}

// Timeouts of the endpoint's http.Server: a slow or idle client is dropped
// instead of holding a connection and a goroutine forever.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
	shutdownGrace     = 30 * time.Second
)

// Serve serves the endpoint on ln until ctx is cancelled, then shuts down
// gracefully: it stops accepting, lets requests in flight finish (up to 30
// seconds) and returns nil. It closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.readHeader,
		ReadTimeout:       s.read,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if s.tls != nil {
		ln = tls.NewListener(ln, s.tls)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-done; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// isJSONObject reports whether body looks like a JSON object: it starts
// with '{'. Whether it is well-formed is left to the operation's decoding,
// which finds out anyway (a SerializationException); scanning the body
// here too cost a fifth of the server's time on a 4 KiB Encrypt.
func isJSONObject(body []byte) bool {
	b := bytes.TrimSpace(body)
	return len(b) > 0 && b[0] == '{'
}

// newRequestID returns a random UUID (version 4), the form AWS uses.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

// quoteName echoes an operation name back only if it looks like one.
func quoteName(name string) string {
	if len(name) > 64 {
		return "(name too long)"
	}
	for _, c := range name {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return "(invalid name)"
		}
	}
	return "'" + name + "'"
}

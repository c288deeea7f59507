package interop

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const (
	// nginxRequests is how many HTTPS requests curl makes per key, each on
	// a new connection with a full handshake.
	nginxRequests = 200
	// nginxBatch is how many of them one curl run makes.
	nginxBatch = 50
	// nginxRateRequests is how many full handshakes the Go client times
	// per key.
	nginxRateRequests = 200
	// nginxP11KitClient is where Debian's p11-kit-modules installs the
	// RPC client a fork child of kagi is served through.
	nginxP11KitClient = "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so"
)

// TestNginx is scenario 3 of issue 5: nginx (Debian nginx) serves HTTPS
// with token keys through libp11's engine
// (ssl_certificate_key "engine:pkcs11:<uri>"). nginx's master process
// loads the engine, and with it kagi, while it reads its configuration and
// then forks its two workers, which make the handshake signatures: each
// worker is served by a `p11-kit remote` helper of its own (README, "Fork").
//
// One nginx serves an RSA-2048 and a P-256 key on two ports; curl makes 200
// requests per key (150 TLS 1.3, 50 TLS 1.2), each on a new connection with
// session resumption off at both ends, so each needs a signature on the
// token, which curl checks against the certificate of the token's key.
// The test checks every body and status, that every handshake was a full
// one and that both workers served (from the access log), that each worker
// has exactly one helper, that the helpers are gone after nginx quits, and
// that nginx logged nothing worse than a notice. Then it times full
// handshakes from Go's TLS client and logs the rate.
func TestNginx(t *testing.T) {
	t.Parallel()
	requireTools(t, "openssl", "pkcs11-tool")
	if _, err := exec.LookPath("nginx"); err != nil {
		missing(t, "nginx is not installed (Debian package nginx)")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		missing(t, "curl is not installed (Debian package curl)")
	}
	if _, err := exec.LookPath("p11-kit"); err != nil {
		missing(t, "p11-kit is not installed (Debian package p11-kit)")
	}
	if _, err := os.Stat(nginxP11KitClient); err != nil {
		missing(t, nginxP11KitClient+" is not installed (Debian package p11-kit-modules)")
	}
	engine := tlsEnginePath(t)
	k := tlsNewToken(t, "nginx")
	// nginx loads engine keys without ENGINE_init: the configuration
	// initialises the engine.
	k.engineConf(engine, true)

	type site struct {
		key  tlsEngineKey
		port int
		crt  string
		body []byte
	}
	var sites []*site
	for _, key := range tlsEngineKeys {
		k.must("pkcs11-tool", "--module", k.module, "--token-label", k.label, "--login", "--pin", tlsPIN,
			"--keypairgen", "--key-type", key.keyType, "--label", key.name, "--id", key.id)
		pub := key.name + "-pub.pem"
		k.tokenPubPEM(key.id, pub)
		uri := fmt.Sprintf("pkcs11:token=%s;object=%s;type=private", k.label, key.name)
		crt := key.name + ".crt"
		k.engineCert(uri, "kagi nginx "+key.name, crt)
		k.samePub(crt, pub)
		body := make([]byte, 16)
		rand.Read(body)
		sites = append(sites, &site{key: key, crt: k.path(crt),
			body: []byte("kagi nginx " + key.name + " " + hex.EncodeToString(body) + "\n")})
	}

	// The prefix holds everything nginx writes; each site's document root
	// has its own index.html.
	prefix := k.path("nginx")
	for _, d := range []string{"logs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(prefix, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	var servers strings.Builder
	for _, s := range sites {
		root := filepath.Join(prefix, "html-"+s.key.name)
		if err := os.MkdirAll(root, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "index.html"), s.body, 0o600); err != nil {
			t.Fatal(err)
		}
		s.port = nginxFreePort(t)
		// reuseport: each worker has a socket of its own and the kernel
		// spreads the connections over them, so both workers serve.
		fmt.Fprintf(&servers, `
	server {
		listen 127.0.0.1:%d ssl reuseport;
		ssl_certificate %s;
		ssl_certificate_key "engine:pkcs11:pkcs11:token=%s;object=%s;type=private";
		root %s;
	}
`, s.port, s.crt, k.label, s.key.name, root)
	}
	// nginx run as root would switch its workers to nobody, who cannot
	// read the test's database.
	user := ""
	if os.Geteuid() == 0 {
		user = "user root root;"
	}
	// nginx clears its workers' environment but for the variables named
	// by env: a worker's helper opens the database KAGI_DB names, so it
	// must reach them. Nothing else is needed there: the master read
	// OPENSSL_CONF and loaded the engine before forking, and without PATH
	// kagi finds /usr/bin/p11-kit.
	conf := fmt.Sprintf(`daemon off;
master_process on;
worker_processes 2;
%s
pid %s/nginx.pid;
error_log %s/logs/error.log notice;
env KAGI_DB;
events {
	worker_connections 128;
}
http {
	default_type text/plain;
	log_format kagi '$pid $server_port $ssl_protocol $ssl_session_reused $connection $status $request_uri';
	access_log %s/logs/access.log kagi;
	client_body_temp_path %s/tmp/body;
	proxy_temp_path %s/tmp/proxy;
	fastcgi_temp_path %s/tmp/fastcgi;
	uwsgi_temp_path %s/tmp/uwsgi;
	scgi_temp_path %s/tmp/scgi;
	# Every connection makes a full handshake, with a signature on the
	# token: no session cache, no tickets.
	ssl_session_cache off;
	ssl_session_tickets off;
	# nginx 1.22 offers TLS 1.3 only when told to (1.23.4 does by default).
	ssl_protocols TLSv1.2 TLSv1.3;
	keepalive_timeout 0;
%s}
`, user, prefix, prefix, prefix, prefix, prefix, prefix, prefix, prefix, servers.String())
	confPath := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	k.must("nginx", "-t", "-p", prefix, "-c", confPath)

	n := nginxStart(k, prefix, confPath)
	defer n.stop()
	for _, s := range sites {
		n.waitListening(s.port)
	}
	workers := n.workers()
	if len(workers) != 2 {
		t.Fatalf("nginx has %d worker processes (%v), want 2", len(workers), workers)
	}

	// One request per site first, with a short deadline: a worker that
	// cannot reach the token may hang (libp11 0.4.12 waits forever when
	// C_OpenSession fails, OpenSC/libp11#579), and the batches below
	// would only wait out their timeouts.
	for _, s := range sites {
		out, err := k.runEnv(nil, nil, "curl", "--silent", "--show-error", "--max-time", "15",
			"--cacert", s.crt, fmt.Sprintf("https://127.0.0.1:%d/", s.port))
		if err != nil || out != string(s.body) {
			t.Fatalf("curl https://127.0.0.1:%d/ (%s key): %v, body %q, want %q\nnginx error log:\n%s",
				s.port, s.key.name, err, out, s.body, n.errorLog())
		}
	}

	for _, s := range sites {
		s := s
		if !t.Run(s.key.name+"/curl", func(t *testing.T) {
			k := k.in(t)
			nginxCurl(k, s.port, s.crt, s.key.name, s.body)
		}) {
			t.FailNow()
		}
	}

	// The access log, one line per request:
	// pid port protocol reused connection status uri.
	served := map[int]int{}
	conns := map[string]bool{}
	for _, s := range sites {
		protocols := map[string]int{}
		lines := 0
		for _, f := range n.accessLog() {
			// The probe's request and curl's batches'; not the Go
			// client's, which come later.
			if f[1] != strconv.Itoa(s.port) {
				continue
			}
			pid, _ := strconv.Atoi(f[0])
			served[pid]++
			if !strings.HasPrefix(f[6], "/index.html?run=") {
				continue
			}
			lines++
			protocols[f[2]]++
			conns[f[4]] = true
			if f[3] != "." {
				t.Errorf("%s: a request on a resumed session (%q): not every request made a signature", s.key.name, f)
			}
			if f[5] != "200" {
				t.Errorf("%s: status %s in %q", s.key.name, f[5], f)
			}
		}
		t.Logf("%s: %d of curl's requests in the access log, protocols %v", s.key.name, lines, protocols)
		if lines != nginxRequests {
			t.Errorf("%s: %d of curl's requests in nginx's access log, want %d", s.key.name, lines, nginxRequests)
		}
		if want := nginxRequests / 4; protocols["TLSv1.2"] != want || protocols["TLSv1.3"] != nginxRequests-want {
			t.Errorf("%s: protocols %v, want %d TLSv1.2 and %d TLSv1.3", s.key.name, protocols, want, nginxRequests-want)
		}
	}
	if len(conns) != nginxRequests*len(sites) {
		t.Errorf("%d connections served curl's requests, want one per request (%d)", len(conns), nginxRequests*len(sites))
	}
	t.Logf("requests served per worker pid: %v", served)
	for _, w := range workers {
		if served[w] == 0 {
			t.Errorf("worker %d served no request (per worker: %v)", w, served)
		}
		delete(served, w)
	}
	if len(served) != 0 {
		t.Errorf("requests served by processes that are not the workers %v: %v", workers, served)
	}

	// Each worker signed, so each has exactly one helper of its own.
	helpers := nginxHelpers(k)
	t.Logf("p11-kit remote helpers (pid: parent): %v", helpers)
	perWorker := map[int]int{}
	for _, parent := range helpers {
		perWorker[parent]++
	}
	for _, w := range workers {
		if perWorker[w] != 1 {
			t.Errorf("worker %d has %d p11-kit remote helpers, want 1 (helpers: %v)", w, perWorker[w], helpers)
		}
	}
	if len(helpers) != len(workers) {
		t.Errorf("%d p11-kit remote helpers of this test's database, want one per worker (%d): %v",
			len(helpers), len(workers), helpers)
	}

	for _, s := range sites {
		s := s
		t.Run(s.key.name+"/rate", func(t *testing.T) {
			nginxRate(t, s.port, s.crt, s.body)
		})
	}

	// nginx quits gracefully, its workers with it; their helpers follow.
	exited, nudged := n.quit()
	if !exited {
		t.Errorf("nginx did not quit within %v of SIGQUIT; killed", nginxQuitWait)
	}
	if nudged {
		t.Logf("KNOWN KAGI ISSUE: nginx's master outlived its workers by a second after SIGQUIT " +
			"(a worker's SIGCHLD was taken by a kagi Go runtime thread, README Fork); " +
			"woken with SIGCHLD to its main thread")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := nginxHelpers(k)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("p11-kit remote helpers still running 5 s after nginx quit: %v", left)
			for pid := range left {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.checkErrorLog()
}

// nginxCurl has curl make nginxRequests requests to https://127.0.0.1:port/,
// in nginxBatch-request runs (a quarter of them with TLS 1.2 at most), two
// runs at a time. Each request closes its connection and curl keeps no
// session, so each one is a full handshake; curl checks the certificate
// against crt. The test checks every status and body.
func nginxCurl(k *tlsToken, port int, crt, name string, body []byte) {
	t := k.t
	runs := nginxRequests / nginxBatch
	type result struct {
		run int
		out string
		err error
	}
	results := make(chan result, runs)
	sem := make(chan struct{}, 2)
	for r := 0; r < runs; r++ {
		r := r
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			args := []string{"--silent", "--show-error", "--no-sessionid", "--cacert", crt,
				"-H", "Connection: close",
				"--write-out", "%{http_code} %{num_connects} %{url_effective}\n",
				"-o", filepath.Join(k.dir, fmt.Sprintf("curl-%s-%d-#1.out", name, r)),
				fmt.Sprintf("https://127.0.0.1:%d/index.html?run=%d&n=[1-%d]", port, r, nginxBatch)}
			if r == runs-1 {
				args = append([]string{"--tls-max", "1.2"}, args...)
			} else {
				args = append([]string{"--tlsv1.3"}, args...)
			}
			ctx, cancel := context.WithTimeout(context.Background(), tlsToolTimeout)
			defer cancel()
			out, err := k.command(ctx, nil, "curl", args...).CombinedOutput()
			results <- result{r, string(out), err}
		}()
	}
	ok := 0
	for i := 0; i < runs; i++ {
		res := <-results
		if res.err != nil {
			t.Errorf("curl run %d: %v\n%s", res.run, res.err, res.out)
		}
		for n := 1; n <= nginxBatch; n++ {
			url := fmt.Sprintf("https://127.0.0.1:%d/index.html?run=%d&n=%d", port, res.run, n)
			if !strings.Contains(res.out, "200 1 "+url+"\n") {
				t.Errorf("curl: no \"200 1\" (status, new connection) for %s", url)
				continue
			}
			got, err := os.ReadFile(filepath.Join(k.dir, fmt.Sprintf("curl-%s-%d-%d.out", name, res.run, n)))
			if err != nil || !bytes.Equal(got, body) {
				t.Errorf("curl %s: body %q (%v), want %q", url, got, err, body)
				continue
			}
			ok++
		}
	}
	t.Logf("curl: %d of %d requests answered 200 with the right body", ok, nginxRequests)
}

// nginxRate times nginxRateRequests requests from Go's TLS client, each on
// a new connection with a full TLS 1.3 handshake (no keep-alive, no session
// cache),
// first one at a time, then four at a time, and logs the rates. Go checks
// each handshake signature against crt; the test checks every status and
// body.
func nginxRate(t *testing.T, port int, crt string, body []byte) {
	pem, err := os.ReadFile(crt)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", crt)
	}
	var handshakes, resumed, tls13 atomic.Int32
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DisableKeepAlives: true,
			TLSClientConfig: &tls.Config{
				RootCAs: roots,
				VerifyConnection: func(cs tls.ConnectionState) error {
					handshakes.Add(1)
					if cs.DidResume {
						resumed.Add(1)
					}
					if cs.Version == tls.VersionTLS13 {
						tls13.Add(1)
					}
					return nil
				},
			},
		},
	}
	get := func() error {
		resp, err := client.Get(fmt.Sprintf("https://127.0.0.1:%d/", port))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		got, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != 200 || !bytes.Equal(got, body) {
			return fmt.Errorf("status %d, body %q, want 200, %q", resp.StatusCode, got, body)
		}
		return nil
	}
	for _, parallel := range []int{1, 4} {
		handshakes.Store(0)
		resumed.Store(0)
		tls13.Store(0)
		errs := make(chan error, nginxRateRequests)
		sem := make(chan struct{}, parallel)
		start := time.Now()
		for i := 0; i < nginxRateRequests; i++ {
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				errs <- get()
			}()
		}
		failed := 0
		for i := 0; i < nginxRateRequests; i++ {
			if err := <-errs; err != nil {
				failed++
				if failed <= 3 {
					t.Errorf("Go client, %d at a time: %v", parallel, err)
				}
			}
		}
		elapsed := time.Since(start)
		if failed > 0 {
			t.Errorf("Go client, %d at a time: %d of %d requests failed", parallel, failed, nginxRateRequests)
			continue
		}
		if h, r, v := handshakes.Load(), resumed.Load(), tls13.Load(); h != nginxRateRequests || r != 0 || v != h {
			t.Errorf("Go client, %d at a time: %d handshakes, %d resumed, %d TLS 1.3; want %d full TLS 1.3 ones",
				parallel, h, r, v, nginxRateRequests)
		}
		t.Logf("Go client, %d at a time: %d requests, each a full TLS 1.3 handshake, in %v: %.0f requests/s",
			parallel, nginxRateRequests, elapsed.Round(time.Millisecond), float64(nginxRateRequests)/elapsed.Seconds())
	}
}

// nginxFreePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func nginxFreePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// nginxQuitWait bounds nginx's graceful quit.
const nginxQuitWait = 15 * time.Second

// nginxServer is a running nginx master (in its own process group) and its
// files.
type nginxServer struct {
	k      *tlsToken
	prefix string
	cmd    *exec.Cmd
	cancel context.CancelFunc
	done   chan struct{}
	out    bytes.Buffer
}

// nginxStart starts nginx in the foreground (daemon off) with the token's
// environment; it is killed after 5 minutes at most.
func nginxStart(k *tlsToken, prefix, conf string) *nginxServer {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	n := &nginxServer{k: k, prefix: prefix, cancel: cancel, done: make(chan struct{})}
	n.cmd = k.command(ctx, nil, "nginx", "-p", prefix, "-c", conf)
	n.cmd.Stdout = &n.out
	n.cmd.Stderr = &n.out
	if err := n.cmd.Start(); err != nil {
		cancel()
		k.t.Fatalf("nginx: %v", err)
	}
	go func() {
		n.cmd.Wait()
		close(n.done)
	}()
	return n
}

// waitListening waits until nginx accepts connections on port.
func (n *nginxServer) waitListening(port int) {
	t := n.k.t
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-n.done:
			t.Fatalf("nginx exited before it listened on port %d:\n%s\n%s", port, n.out.String(), n.errorLog())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx does not listen on port %d after 30 s: %v", port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// workers returns the pids of the master's children, its workers.
func (n *nginxServer) workers() []int {
	master := n.cmd.Process.Pid
	var pids []int
	for pid, st := range nginxProcs() {
		if st.ppid == master && st.state != "Z" {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	return pids
}

// quit sends SIGQUIT to the master and waits for it to exit; past
// nginxQuitWait it kills the process group and reports false. nudged
// reports that the master outlived its workers and was woken with a
// SIGCHLD sent to its main thread.
//
// Why: kagi's Go runtime starts its threads while nginx reads its
// configuration, before nginx blocks its signals in the master's only
// thread, so those threads take process-directed signals. When a worker's
// SIGCHLD lands on one of them, nginx's handler runs there and the
// master's main thread sleeps on in sigsuspend, not knowing that its last
// worker exited (README, Fork).
func (n *nginxServer) quit() (exited, nudged bool) {
	pid := n.cmd.Process.Pid
	syscall.Kill(pid, syscall.SIGQUIT)
	deadline := time.After(nginxQuitWait)
	var noWorkers time.Time
	for {
		select {
		case <-n.done:
			return true, nudged
		case <-deadline:
			n.stop()
			return false, nudged
		case <-time.After(50 * time.Millisecond):
		}
		if len(n.workers()) > 0 {
			continue
		}
		if noWorkers.IsZero() {
			noWorkers = time.Now()
		} else if time.Since(noWorkers) > time.Second {
			syscall.Tgkill(pid, pid, syscall.SIGCHLD)
			nudged = true
			noWorkers = time.Now()
		}
	}
}

// stop kills nginx's process group and reaps the master; it logs what nginx
// said. It may be called more than once.
func (n *nginxServer) stop() {
	select {
	case <-n.done:
	default:
		syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
		n.cancel()
		<-n.done
	}
	n.cancel()
	if n.out.Len() > 0 {
		n.k.t.Logf("nginx output:\n%s", n.out.String())
	}
}

func (n *nginxServer) errorLog() string {
	b, _ := os.ReadFile(filepath.Join(n.prefix, "logs", "error.log"))
	return string(b)
}

// nginxBadLog matches error log lines above notice level, and the
// master's report of a worker that died.
var nginxBadLog = regexp.MustCompile(`\[(warn|error|crit|alert|emerg)\]|exited on signal`)

// checkErrorLog logs nginx's error log and fails the test on a line above
// notice level.
func (n *nginxServer) checkErrorLog() {
	t := n.k.t
	log := n.errorLog()
	t.Logf("nginx error log:\n%s", log)
	for _, line := range strings.Split(log, "\n") {
		if nginxBadLog.MatchString(line) {
			t.Errorf("nginx error log: %s", line)
		}
	}
}

// accessLog returns the fields of each line of the access log.
func (n *nginxServer) accessLog() [][]string {
	b, err := os.ReadFile(filepath.Join(n.prefix, "logs", "access.log"))
	if err != nil {
		n.k.t.Fatal(err)
	}
	var lines [][]string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 7 {
			lines = append(lines, f)
		} else {
			n.k.t.Errorf("access log line %q has not 7 fields", sc.Text())
		}
	}
	return lines
}

// nginxProc is what /proc/<pid>/stat says of a process.
type nginxProc struct {
	comm  string
	state string
	ppid  int
}

// nginxProcs reads /proc/<pid>/stat of every process.
func nginxProcs() map[int]nginxProc {
	procs := map[int]nginxProc{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		f := strings.Fields(s[close+1:])
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		procs[pid] = nginxProc{comm: s[open+1 : close], state: f[0], ppid: ppid}
	}
	return procs
}

// nginxHelpers returns the live p11-kit remote helpers (pid: parent pid)
// whose environment holds the token's KAGI_DB, i.e. the helpers of this
// test.
func nginxHelpers(k *tlsToken) map[int]int {
	var want string
	for _, kv := range k.env {
		if strings.HasPrefix(kv, "KAGI_DB=") {
			want = kv
		}
	}
	helpers := map[int]int{}
	for pid, p := range nginxProcs() {
		if p.comm != "p11-kit-remote" || p.state == "Z" {
			continue
		}
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			continue
		}
		for _, kv := range strings.Split(string(env), "\x00") {
			if kv == want {
				helpers[pid] = p.ppid
				break
			}
		}
	}
	return helpers
}

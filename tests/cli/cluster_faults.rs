//! Faults a real API server will not produce on demand — 5xx, garbage bodies, dropped
//! connections, a server that never answers, nothing listening — from a tiny loopback stub.
//! Each must end in a clear error naming what failed, exit 2, and nothing on stdout.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crate::util;

#[derive(Clone, Copy)]
enum Fault {
    ServerError,
    /// A proxy's answer: a status and no Kubernetes `Status` body.
    NotFoundNoBody,
    ServerErrorNoBody,
    Garbage,
    Drop,
    Hang,
}

/// Serves every connection with `fault` until the test ends; returns the port.
fn stub(fault: Fault) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || serve(&mut conn, fault));
        }
    });
    port
}

fn serve(conn: &mut TcpStream, fault: Fault) {
    let mut buf = [0u8; 8192];
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    if matches!(fault, Fault::Drop) {
        return; // closes without a word
    }
    let _ = conn.read(&mut buf);
    let (status, body) = match fault {
        Fault::ServerError => (
            "500 Internal Server Error",
            r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"etcdserver: request timed out","reason":"InternalError","code":500}"#,
        ),
        Fault::NotFoundNoBody => ("404 Not Found", ""),
        Fault::ServerErrorNoBody => ("502 Bad Gateway", "upstream connect error"),
        Fault::Garbage => ("200 OK", "<html>this is not the API server</html>"),
        Fault::Hang => {
            std::thread::sleep(Duration::from_secs(20));
            return;
        }
        Fault::Drop => return,
    };
    let _ = write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn kubeconfig(dir: &std::path::Path, port: u16) -> std::path::PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: stub\n  cluster:\n    server: http://127.0.0.1:{port}\nusers:\n- name: u\n  user: {{}}\ncontexts:\n- name: stub\n  context: {{cluster: stub, user: u, namespace: web}}\ncurrent-context: stub\n"
        ),
    )
    .expect("write kubeconfig");
    path
}

fn run(port: u16, extra: &[&str]) -> (Option<i32>, String, String, Duration) {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = kubeconfig(dir.path(), port);
    let start = Instant::now();
    let out = util::cluster_bin()
        .args(["check", "--kubeconfig"])
        .arg(&cfg)
        .args(extra)
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        start.elapsed(),
    )
}

#[test]
fn server_error_names_the_request_that_failed() {
    let (code, stdout, stderr, _) = run(stub(Fault::ServerError), &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty());
    assert_eq!(
        stderr.lines().next(),
        Some(
            "error: list mutatingwebhookconfigurations.admissionregistration.k8s.io: etcdserver: request timed out"
        ),
        "{stderr}"
    );
}

#[test]
fn an_answer_without_a_kubernetes_status_says_what_the_server_answered() {
    let port = stub(Fault::NotFoundNoBody);
    let (code, stdout, stderr, _) = run(port, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty());
    assert_eq!(
        stderr.lines().next(),
        Some(format!("error: the server at http://127.0.0.1:{port}/ answered 404 Not Found to GET /apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations (no body): is this a Kubernetes API server?").as_str()),
        "{stderr}"
    );
    let port = stub(Fault::ServerErrorNoBody);
    let (code, _, stderr, _) = run(port, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(
        stderr.lines().next(),
        Some(format!("error: the server at http://127.0.0.1:{port}/ answered 502 Bad Gateway to GET /apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations (body \"upstream connect error\"): is this a Kubernetes API server?").as_str()),
        "{stderr}"
    );
}

#[test]
fn a_garbage_body_is_an_error_not_an_empty_answer() {
    let (code, stdout, stderr, _) = run(stub(Fault::Garbage), &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr
            .starts_with("error: list mutatingwebhookconfigurations.admissionregistration.k8s.io:"),
        "{stderr}"
    );
}

#[test]
fn a_dropped_connection_says_the_server_cannot_be_reached() {
    let port = stub(Fault::Drop);
    let (code, stdout, stderr, _) = run(port, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.starts_with(&format!(
            "error: cannot reach the API server at http://127.0.0.1:{port}/"
        )),
        "{stderr}"
    );
}

#[test]
fn a_server_that_never_answers_is_bounded_by_request_timeout() {
    let (code, stdout, stderr, took) = run(stub(Fault::Hang), &["--request-timeout", "1s"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.starts_with("error: cannot reach the API server"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(15), "gave up after {took:?}");
}

#[test]
fn nothing_listening_is_a_clear_error() {
    // Bind and drop, so the port is (very likely) closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let (code, _, stderr, _) = run(port, &["-A"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: cannot reach the API server"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\nhint: ")
            || stderr.contains("Connection refused")
            || stderr.contains("connection refused"),
        "{stderr}"
    );
}

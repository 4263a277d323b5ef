//! `verify` against a real webhook in the test cluster.
//!
//! A small HTTPS server on 127.0.0.1 (rustls, a CA and a serving certificate for 127.0.0.1
//! made here with rcgen) is registered with Istio's own default webhook configuration
//! (selectors as installed, `clientConfig.url` pointing at it, its CA as caBundle). It
//! answers each AdmissionReview with the JSONPatch that turns the received pod into
//! **Istio's own golden output** for that input: the pod template's labels, annotations and
//! spec of the golden `*.injected` file (`istio-1.32-dev-86c9f01f`), taken as they are — no
//! renderer of this project is involved. `verify` runs with that case's configuration
//! (`rendered/default/`, as the cluster's ConfigMaps) and native sidecars off, as the case
//! says (the 1.20 test server would prune native sidecars' `restartPolicy`).
//!
//! Scope: each webhook's objectSelector gets one more requirement (`verify-run In [...]`),
//! so only this test's pods reach it; they run in namespace `default` because the goldens
//! name it (`ISTIO_META_OWNER`), and carry `istio.io/rev: default` so that the
//! `rev.object.` webhook is the one called.
//!
//! The cases:
//! - `job.yaml` → `job-old-version.yaml.injected`: `matches`, exit 0 (its app container has
//!   no ports or probes, so the golden, made from the file as written, is also what Istio
//!   answers to the pod the API server defaults first);
//! - the same, the webhook told to alter one env value: that one difference, exit 1;
//! - `hello.yaml` → `hello-old-version.yaml.injected`: exactly one difference,
//!   `ISTIO_META_POD_PORTS`, whose golden lacks the `protocol: TCP` the API server adds to
//!   the port before any webhook sees the pod (verify predicts from the defaulted pod);
//! - a webhook configuration whose server is down: the API server's error, exit 2.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cluster_live::cluster;
use crate::util;

const SUITE: &str = "istio-testdata/istio-1.32-dev-86c9f01f";
const INPUTS: &str = "pkg/kube/inject/testdata/inject";

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn kubectl(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut child = Command::new("kubectl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or("").as_bytes())
        .expect("write stdin");
    drop(input);
    child.wait_with_output().expect("kubectl finishes")
}

/// Creates objects afresh (the ConfigMaps are too big for `apply`'s annotation).
fn recreate(json_docs: &[Value]) {
    for doc in json_docs {
        let text = doc.to_string();
        let _ = kubectl(&["delete", "--ignore-not-found", "-f", "-"], Some(&text));
        let out = kubectl(&["create", "-f", "-"], Some(&text));
        assert!(
            out.status.success(),
            "kubectl create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The first document of a YAML file.
fn yaml(path: &Path) -> Value {
    let text = util::read(path);
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let v: Value = serde::Deserialize::deserialize(doc).expect("yaml");
        if !v.is_null() {
            return v;
        }
    }
    panic!("{}: no document", path.display());
}

/// The goldens the webhook answers with, by the pod label `verify-golden`: the injected
/// pod template (`{metadata, spec}`) of each.
struct Goldens(Vec<(String, Value)>);

/// What the webhook does for a pod: `verify-alter: NAME` sets that istio-proxy env var to
/// `altered`.
fn answer(goldens: &Goldens, review: &Value) -> Value {
    let request = &review["request"];
    let uid = request["uid"].clone();
    let labels = &request["object"]["metadata"]["labels"];
    let golden = labels["verify-golden"]
        .as_str()
        .and_then(|g| goldens.0.iter().find(|(n, _)| n == g))
        .map(|(_, v)| v.clone());
    let Some(mut golden) = golden else {
        return json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "response": {"uid": uid, "allowed": true}});
    };
    if let Some(var) = labels["verify-alter"].as_str() {
        for c in golden["spec"]["containers"]
            .as_array_mut()
            .into_iter()
            .flatten()
        {
            if c["name"] == "istio-proxy" {
                for e in c["env"].as_array_mut().into_iter().flatten() {
                    if e["name"] == var {
                        e["value"] = json!("altered");
                    }
                }
            }
        }
    }
    // `add` replaces a member that exists and creates one that does not. The spec is
    // replaced field by field, so what the API server set before calling the webhook and
    // the golden does not name (serviceAccountName) stays, as with Istio's own patch.
    let mut ops = Vec::new();
    for key in ["labels", "annotations"] {
        if let Some(v) = golden["metadata"].get(key) {
            ops.push(json!({"op": "add", "path": format!("/metadata/{key}"), "value": v}));
        }
    }
    for (key, v) in golden["spec"].as_object().into_iter().flatten() {
        ops.push(json!({"op": "add", "path": format!("/spec/{key}"), "value": v}));
    }
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "response": {"uid": uid, "allowed": true, "patchType": "JSONPatch",
            "patch": b64(Value::Array(ops).to_string().as_bytes())}})
}

/// One HTTP/1.1 request over TLS, answered, then closed.
fn handle(tcp: TcpStream, config: Arc<rustls::ServerConfig>, goldens: &Goldens) -> Option<()> {
    tcp.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let conn = rustls::ServerConnection::new(config).ok()?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16384];
    let header_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = tls.read(&mut chunk).ok()?;
        if n == 0 || buf.len() > 1 << 20 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())?;
    while buf.len() < header_end + length {
        let n = tls.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let review: Value = serde_json::from_slice(&buf[header_end..header_end + length]).ok()?;
    let body = answer(goldens, &review).to_string();
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(response.as_bytes()).ok()?;
    tls.conn.send_close_notify();
    tls.flush().ok()
}

/// A CA certificate for a caBundle, as PEM.
fn ca_pem() -> String {
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let key = rcgen::KeyPair::generate().expect("key");
    p.self_signed(&key).expect("ca").pem()
}

/// The test webhook: serves until dropped.
struct Webhook {
    port: u16,
    ca_pem: String,
    stop: Arc<AtomicBool>,
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn start(goldens: Goldens) -> Webhook {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "verify test CA");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let leaf_params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).expect("leaf");
    let leaf_key = rcgen::KeyPair::generate().expect("key");
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).expect("leaf");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
                leaf_key.serialize_der(),
            )),
        )
        .expect("tls config");
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let goldens = Arc::new(goldens);
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            if stopped.load(Ordering::SeqCst) {
                break;
            }
            let Ok(tcp) = tcp else { continue };
            let (config, goldens) = (config.clone(), goldens.clone());
            std::thread::spawn(move || handle(tcp, config, &goldens));
        }
    });
    Webhook {
        port,
        ca_pem: ca.pem(),
        stop,
    }
}

/// Istio's default webhook configuration, pointed at `url`, scoped to pods labelled
/// `verify-run=<run>`.
fn configuration(shared: &Path, name: &str, url: &str, ca_pem: &str, run: &str) -> Value {
    let mut mwc = yaml(
        &shared
            .join(SUITE)
            .join("istioctl/pkg/checkinject/testdata/check-inject/default-injector.yaml"),
    );
    mwc["metadata"] = json!({"name": name, "labels": {"istio.io/rev": "default"}});
    for hook in mwc["webhooks"].as_array_mut().expect("webhooks") {
        hook["clientConfig"] = json!({"url": url, "caBundle": b64(ca_pem.as_bytes())});
        hook["failurePolicy"] = "Fail".into();
        hook["sideEffects"] = "None".into();
        hook["admissionReviewVersions"] = json!(["v1"]);
        hook["timeoutSeconds"] = 10.into();
        let exprs = hook["objectSelector"]["matchExpressions"]
            .as_array_mut()
            .expect("expressions");
        exprs.push(json!({"key": "verify-run", "operator": "In", "values": [run]}));
    }
    mwc
}

/// The input file, its pod template labelled for this run, with `serviceAccountName:
/// default` — what the ServiceAccount admission plugin, which the test server runs without,
/// sets before any webhook (the injected token volume is invalid without it); Istio's
/// template reads it only under `mountMtlsCerts`, where "" and "default" mean the same.
fn input(shared: &Path, dir: &Path, file: &str, labels: &[(&str, &str)]) -> std::path::PathBuf {
    let mut doc = yaml(&shared.join(SUITE).join(INPUTS).join(file));
    doc["spec"]["template"]["spec"]["serviceAccountName"] = json!("default");
    let meta = &mut doc["spec"]["template"]["metadata"];
    if meta.get("labels").is_none() {
        meta["labels"] = json!({});
    }
    for (k, v) in labels {
        meta["labels"][*k] = json!(v);
    }
    let path = dir.join(format!("{file}.json"));
    std::fs::write(&path, doc.to_string()).expect("write");
    path
}

/// Waits until the API server calls the webhook for pods of `input` (its webhook cache
/// catches up with a new configuration within moments).
fn wait_for_webhook(input: &Path, injected: bool) {
    let start = Instant::now();
    loop {
        let out = util::cluster_bin()
            .args(["verify", "-o", "json", "--native-sidecars=false"])
            .args(["--istio-namespace", "verify-sys", "-n", "default", "-f"])
            .arg(input)
            .output()
            .expect("runs");
        let r: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let seen = if injected {
            r["webhookInjected"] == true
        } else {
            stderr.contains("failed calling webhook")
        };
        if seen {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the webhook was never called: {r}\n{stderr}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn verify(input: &Path, json: bool) -> (Option<i32>, String, String) {
    let mut cmd = util::cluster_bin();
    cmd.args(["verify", "--native-sidecars=false"])
        .args(["--istio-namespace", "verify-sys", "-n", "default", "-f"])
        .arg(input);
    if json {
        cmd.args(["-o", "json"]);
    }
    let out = cmd.output().expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn verify_against_a_webhook_that_answers_with_istios_goldens() {
    let test = "verify_against_a_webhook_that_answers_with_istios_goldens";
    if !cluster(test) {
        return;
    }
    let Some(shared) = util::shared(test) else {
        return;
    };
    let inputs = shared.join(SUITE).join(INPUTS);
    let template = |file: &str| {
        let g = yaml(&inputs.join(file));
        g["spec"]["template"].clone()
    };
    let webhook = start(Goldens(vec![
        ("job".into(), template("job-old-version.yaml.injected")),
        ("hello".into(), template("hello-old-version.yaml.injected")),
    ]));
    let run = format!("up-{}", std::process::id());

    // The case's configuration, as the cluster's ConfigMaps.
    let rendered = shared.join(SUITE).join("rendered/default");
    let read = |f: &str| util::read(&rendered.join(f));
    recreate(&[
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "verify-sys"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "istio-sidecar-injector", "namespace": "verify-sys"},
            "data": {"config": read("config.yaml"), "values": read("values.json")}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "istio", "namespace": "verify-sys"},
            "data": {"mesh": read("mesh.yaml")}}),
        configuration(
            &shared,
            &format!("verify-istio-sidecar-injector-{run}"),
            &format!("https://127.0.0.1:{}/inject", webhook.port),
            &webhook.ca_pem,
            &run,
        ),
    ]);
    let dir = tempfile::tempdir().expect("tmp");
    let labels = |golden: &'static str| {
        vec![
            ("verify-run", run.clone()),
            ("verify-golden", golden.to_string()),
            ("istio.io/rev", "default".to_string()),
        ]
    };
    let file = |dir: &Path, name: &str, labels: &[(&str, String)]| {
        let refs: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        input(&shared, dir, name, &refs)
    };
    let job = file(dir.path(), "job.yaml", &labels("job"));
    wait_for_webhook(&job, true);

    // Istio's golden for the Job is what verify predicts.
    let (code, stdout, stderr) = verify(&job, false);
    assert_eq!(
        (code, stdout.as_str()),
        (
            Some(0),
            "job/pi in default: matches (injected, as predicted)\n"
        ),
        "{stderr}"
    );
    let (code, stdout, _) = verify(&job, true);
    assert_eq!(code, Some(0));
    let r: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(
        (
            &r["matches"],
            &r["webhookInjected"],
            &r["predictedInjected"],
            &r["differences"]
        ),
        (&json!(true), &json!(true), &json!(true), &json!([]))
    );

    // The webhook changes one env value: that is the one difference.
    let mut altered = labels("job");
    altered.push(("verify-alter", "ISTIO_META_MESH_ID".to_string()));
    let dir2 = tempfile::tempdir().expect("tmp");
    let altered_job = file(dir2.path(), "job.yaml", &altered);
    let (code, stdout, stderr) = verify(&altered_job, false);
    assert_eq!(
        (code, stdout.as_str()),
        (
            Some(1),
            "job/pi in default: differs (the webhook's answer → the prediction)\n  istio-proxy env ISTIO_META_MESH_ID changed: altered → cluster.local\n"
        ),
        "{stderr}"
    );
    let (code, stdout, _) = verify(&altered_job, true);
    assert_eq!(code, Some(1));
    let r: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(
        r["differences"],
        json!([{"kind": "changed",
            "path": "spec.containers[istio-proxy].env[ISTIO_META_MESH_ID]",
            "words": "istio-proxy env ISTIO_META_MESH_ID changed: altered → cluster.local",
            "actual": "altered", "predicted": "cluster.local"}])
    );

    // A Deployment: its golden was made from the port as written, the prediction from the
    // pod the API server defaulted (`protocol: TCP` in ISTIO_META_POD_PORTS). A field the
    // server defaults is no difference of the injector's: it matches.
    let hello = file(dir.path(), "hello.yaml", &labels("hello"));
    let (code, stdout, stderr) = verify(&hello, false);
    assert_eq!(
        (code, stdout.as_str()),
        (
            Some(0),
            "deployment/hello in default: matches (injected, as predicted)\n"
        ),
        "{stderr}"
    );
}

#[test]
fn verify_says_what_the_api_server_said_when_the_webhook_is_down() {
    let test = "verify_says_what_the_api_server_said_when_the_webhook_is_down";
    if !cluster(test) {
        return;
    }
    let Some(shared) = util::shared(test) else {
        return;
    };
    // A port nothing listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let run = format!("down-{}", std::process::id());
    recreate(&[configuration(
        &shared,
        &format!("verify-istio-sidecar-injector-{run}"),
        &format!("https://127.0.0.1:{port}/inject"),
        &ca_pem(),
        &run,
    )]);
    let dir = tempfile::tempdir().expect("tmp");
    let job = input(
        &shared,
        dir.path(),
        "job.yaml",
        &[("verify-run", run.as_str()), ("istio.io/rev", "default")],
    );
    wait_for_webhook(&job, false);
    let (code, stdout, stderr) = verify(&job, false);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert_eq!(stdout, "");
    let want = format!(
        "error: the API server did not admit the dry-run pod of job default/pi\n  Caused by: create pods \"pi-\" in namespace \"default\": Internal error occurred: failed calling webhook \"rev.object.sidecar-injector.istio.io\": Post \"https://127.0.0.1:{port}/inject?timeout=10s\": dial tcp 127.0.0.1:{port}: connect: connection refused\n\nhint: a webhook that is down or denies the pod: `kubectl inject check --injector`\n"
    );
    assert_eq!(stderr, want);
}

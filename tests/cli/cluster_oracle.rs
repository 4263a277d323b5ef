//! The real API server as an oracle of the webhook step: register Istio's default webhook
//! configuration pointing at a small recording HTTPS server, create pods over a matrix of
//! namespace labels × pod labels, and check that `explain`'s webhook step matches exactly the
//! pods the API server sent.
//!
//! Each webhook's namespaceSelector gets one more requirement (`oracle-run Exists`) so the
//! recorder only sees this test's namespaces; `explain` is given the same configuration.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::cluster_live::{apply, cluster};
use crate::util;

const RECORDER: &str = r#"
import http.server, json, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        req = body["request"]
        with open(sys.argv[3], "a") as f:
            f.write(req.get("namespace", "") + "/" + req["object"]["metadata"].get("name", "") + "\n")
        data = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                           "response": {"uid": req["uid"], "allowed": True}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *args):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"#;

struct Recorder(Child);

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

const NAMESPACE_LABELS: [&[(&str, &str)]; 6] = [
    &[],
    &[("istio-injection", "enabled")],
    &[("istio-injection", "disabled")],
    &[("istio.io/rev", "default")],
    &[("istio.io/rev", "canary")],
    &[("istio-injection", "enabled"), ("istio.io/rev", "canary")],
];

const POD_LABELS: [&[(&str, &str)]; 6] = [
    &[],
    &[("sidecar.istio.io/inject", "true")],
    &[("sidecar.istio.io/inject", "false")],
    &[("istio.io/rev", "default")],
    &[("istio.io/rev", "canary")],
    &[
        ("sidecar.istio.io/inject", "true"),
        ("istio.io/rev", "canary"),
    ],
];

fn map(pairs: &[(&str, &str)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect(),
    )
}

#[test]
fn explain_webhook_step_agrees_with_the_api_server() {
    if !cluster("explain_webhook_step_agrees_with_the_api_server") {
        return;
    }
    let Some(shared) = util::shared("explain_webhook_step_agrees_with_the_api_server") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let (cert, key, log) = (
        dir.path().join("cert.pem"),
        dir.path().join("key.pem"),
        dir.path().join("sent.txt"),
    );
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(ok.success());
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(RECORDER)
        .args([&cert, &key, &log])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("port");
    let _recorder = Recorder(child);
    let port: u16 = first.trim().parse().expect("a port");

    // Istio's default webhook configuration, as installed, scoped and pointed at the recorder.
    let text = std::fs::read_to_string(shared.join(
        "istio-testdata/istio-1.32-dev-86c9f01f/istioctl/pkg/checkinject/testdata/check-inject/default-injector.yaml",
    ))
    .expect("default MWC");
    let mut mwc: Value = serde_yaml::from_str(&text).expect("parses");
    let ca = base64_encode(&std::fs::read(&cert).expect("cert"));
    mwc["metadata"] =
        json!({"name": "oracle-istio-sidecar-injector", "labels": {"istio.io/rev": "default"}});
    for hook in mwc["webhooks"].as_array_mut().expect("webhooks") {
        hook["clientConfig"] =
            json!({"url": format!("https://127.0.0.1:{port}/inject"), "caBundle": ca});
        hook["failurePolicy"] = "Fail".into();
        hook["sideEffects"] = "None".into();
        hook["admissionReviewVersions"] = json!(["v1"]);
        hook["timeoutSeconds"] = 10.into();
        let exprs = hook["namespaceSelector"]["matchExpressions"]
            .as_array_mut()
            .expect("expressions");
        exprs.push(json!({"key": "oracle-run", "operator": "Exists"}));
    }
    let mwc_path = dir.path().join("mwc.json");
    std::fs::write(&mwc_path, serde_json::to_string(&mwc).expect("json")).expect("write");
    apply(&serde_json::to_string(&mwc).expect("json"));

    // A leading comment makes kubectl read the stream as YAML documents (JSON is YAML).
    let mut namespaces = String::from("# namespaces\n");
    let mut pods = String::from("# pods\n");
    for (i, ns_labels) in NAMESPACE_LABELS.iter().enumerate() {
        let mut labels = map(ns_labels);
        labels["oracle-run"] = "1".into();
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("oracle-{i}"), "labels": labels}});
        namespaces.push_str(&format!("{ns}\n---\n"));
        for (j, pod_labels) in POD_LABELS.iter().enumerate() {
            let pod = json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("p{j}"), "namespace": format!("oracle-{i}"), "labels": map(pod_labels)},
                "spec": {"containers": [{"name": "app", "image": "nginx"}]}});
            pods.push_str(&format!("{pod}\n---\n"));
        }
    }
    apply(&namespaces);
    apply(&pods);
    std::thread::sleep(Duration::from_millis(500));
    let sent: BTreeSet<String> = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();

    let input = dir.path().join("matrix.yaml");
    std::fs::write(&input, format!("{namespaces}{pods}")).expect("write");
    let out = util::cluster_bin()
        .args(["explain", "-o", "json", "--webhook"])
        .arg(&mwc_path)
        .arg("-f")
        .arg(&input)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decided: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json array");
    let predicted: BTreeSet<String> = decided
        .iter()
        .filter(|d| {
            d["steps"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|s| s["rule"] == "webhook" && s["matched"] == true)
        })
        .map(|d| {
            format!(
                "{}/{}",
                d["namespace"].as_str().unwrap_or(""),
                d["name"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(decided.len(), 36);
    assert!(
        !sent.is_empty() && sent.len() < 36,
        "the matrix has both outcomes: {sent:?}"
    );
    assert_eq!(
        predicted, sent,
        "explain's webhook step vs the pods the API server sent"
    );
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

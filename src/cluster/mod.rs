//! Cluster access: the ONLY module that uses `kube::Client` or tokio.
//!
//! A small synchronous facade over a current-thread runtime, so command code stays plain.
//! Objects come back as JSON values shaped exactly like manifests (with `apiVersion` and
//! `kind` set, which list responses omit), so a live `explain pod/x` feeds the same pure
//! pipeline as `explain -f pod.yaml`. Reads are one paginated LIST per kind and scope —
//! never a GET per pod — and every failure names the verb and resource that failed.

use std::time::Duration;

use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::Value;

use crate::cli::KubeArgs;

mod page;

/// The `User-Agent` of every request, so audit logs and servers can tell who called.
pub const USER_AGENT: &str = concat!("kubectl-inject/", env!("CARGO_PKG_VERSION"));

pub use crate::model::kind::Kind;

fn api_resource(kind: Kind) -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(kind.group(), kind.version(), kind.kind()),
        kind.plural(),
    )
}

/// A failed cluster operation, saying exactly what was attempted.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cannot load the kubeconfig: {0}")]
    Config(String),
    #[error("cannot reach the API server at {server}: {message}")]
    Unreachable { server: String, message: String },
    #[error("forbidden: cannot {verb} {resource}{scope}: {message}")]
    Forbidden {
        verb: &'static str,
        resource: String,
        scope: String,
        message: String,
    },
    #[error(
        "the server at {server} answered {code} {phrase} to {method} {path} ({body}): is this a Kubernetes API server?"
    )]
    NotKubernetes {
        server: String,
        method: &'static str,
        path: String,
        code: u16,
        phrase: String,
        body: String,
    },
    #[error("{verb} {resource}{scope}: {message}")]
    Api {
        verb: &'static str,
        resource: String,
        scope: String,
        code: u16,
        message: String,
    },
}

impl ClusterError {
    /// True for a 403: callers that can go on with what they could read do so.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, ClusterError::Forbidden { .. })
    }

    /// True for a 404 on a LIST: the API server does not serve that resource at all.
    pub fn is_not_served(&self) -> bool {
        matches!(
            self,
            ClusterError::Api {
                verb: "list",
                code: 404,
                ..
            }
        )
    }
}

/// What a cluster tells as it works, for `-v` request logs and progress on a terminal (the
/// command decides what to print; this module prints nothing).
pub trait Observer {
    /// A request was answered (`outcome`: `OK`, or the error's code) after `elapsed`.
    fn request(&self, method: &str, path: &str, outcome: &str, elapsed: Duration);
    /// A page of a list arrived: `what` is listed, `pages` and `objects` so far.
    fn page(&self, what: &str, pages: usize, objects: usize);
    /// A list is complete.
    fn listed(&self, what: &str);
}

/// A connected client.
pub struct Cluster {
    runtime: tokio::runtime::Runtime,
    client: kube::Client,
    server: String,
    /// The kubeconfig context in use (`--context`, else the current one), for messages.
    context: String,
    default_namespace: String,
    /// LIST page size (`--chunk-size`, 500 by default: 10,000 pods cost 20 requests).
    page_size: u32,
    observer: Option<Box<dyn Observer>>,
}

/// What a LIST hands on: each object, then the end of its page.
enum Listed {
    Object(Value),
    EndOfPage,
}

/// Where an operation applies: one namespace, or the whole cluster (`-A`, cluster-scoped kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    Namespace(&'a str),
    All,
}

impl Scope<'_> {
    fn describe(self, kind: Kind) -> String {
        match self {
            Scope::Namespace(ns) if kind.namespaced() => format!(" in namespace {ns:?}"),
            _ if kind.namespaced() => " in all namespaces".to_string(),
            _ => String::new(),
        }
    }
}

impl Cluster {
    /// Loads the kubeconfig as kubectl does (`--kubeconfig`, else `$KUBECONFIG`, else
    /// `~/.kube/config`, else in-cluster) with `--context`, and builds a client.
    pub fn connect(args: &KubeArgs) -> Result<Cluster, ClusterError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ClusterError::Config(format!("cannot start the I/O runtime: {e}")))?;
        let options = KubeConfigOptions {
            context: args.context.clone(),
            cluster: args.cluster.clone(),
            user: args.user.clone(),
        };
        let loaded = runtime.block_on(async {
            match &args.kubeconfig {
                Some(path) => {
                    let kc = Kubeconfig::read_from(path)
                        .map_err(|e| ClusterError::Config(format!("{}: {e}", path.display())))?;
                    kube::Config::from_custom_kubeconfig(kc, &options)
                        .await
                        .map_err(|e| ClusterError::Config(e.to_string()))
                }
                None if args.context.is_some() || args.cluster.is_some() || args.user.is_some() => {
                    kube::Config::from_kubeconfig(&options)
                        .await
                        .map_err(|e| ClusterError::Config(e.to_string()))
                }
                None => kube::Config::infer()
                    .await
                    .map_err(|e| ClusterError::Config(e.to_string())),
            }
        });
        let server_flag = args
            .server
            .as_deref()
            .map(|s| {
                s.parse::<http::Uri>()
                    .map_err(|e| ClusterError::Config(format!("--server {s:?}: {e}")))
            })
            .transpose()?;
        let mut config = match (loaded, &server_flag) {
            (Ok(c), _) => c,
            // As kubectl: --server (with --token or nothing) works without a kubeconfig.
            (Err(_), Some(url)) if args.kubeconfig.is_none() => kube::Config::new(url.clone()),
            (Err(e), _) => return Err(e),
        };
        apply_flags(&mut config, args, server_flag)?;
        let context = match (&args.context, &args.kubeconfig) {
            (Some(c), _) => c.clone(),
            (None, Some(path)) => Kubeconfig::read_from(path)
                .ok()
                .and_then(|k| k.current_context)
                .unwrap_or_default(),
            (None, None) => Kubeconfig::read()
                .ok()
                .and_then(|k| k.current_context)
                .unwrap_or_else(|| "in-cluster".into()),
        };
        let server = config.cluster_url.to_string();
        let default_namespace = config.default_namespace.clone();
        if let Ok(ua) = http::HeaderValue::from_str(USER_AGENT) {
            config.headers.push((http::header::USER_AGENT, ua));
        }
        config.read_timeout = Some(args.request_timeout);
        config.write_timeout = Some(args.request_timeout);
        config.connect_timeout = Some(args.request_timeout.min(Duration::from_secs(10)));
        let client = {
            let _guard = runtime.enter();
            kube::Client::try_from(config).map_err(|e| ClusterError::Unreachable {
                server: server.clone(),
                message: e.to_string(),
            })?
        };
        Ok(Cluster {
            runtime,
            client,
            server,
            context,
            default_namespace,
            page_size: args.chunk_size.max(1),
            observer: None,
        })
    }

    /// Reports requests and list pages to `observer`.
    pub fn observe(&mut self, observer: Box<dyn Observer>) {
        self.observer = Some(observer);
    }

    fn told<T>(
        &self,
        method: &str,
        path: &str,
        start: std::time::Instant,
        r: &Result<T, kube::Error>,
    ) {
        if let Some(o) = &self.observer {
            let outcome = match r {
                Ok(_) => "OK".to_string(),
                Err(kube::Error::Api(s)) => format!("{} {}", s.code, s.reason),
                Err(e) => format!("failed: {e}"),
            };
            o.request(method, path, &outcome, start.elapsed());
        }
    }

    /// The namespace of the kubeconfig context (`default` when it names none).
    pub fn default_namespace(&self) -> &str {
        &self.default_namespace
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    /// The kubeconfig context in use.
    pub fn context(&self) -> &str {
        &self.context
    }

    fn api(&self, kind: Kind, scope: Scope<'_>) -> Api<DynamicObject> {
        let ar = api_resource(kind);
        match scope {
            Scope::Namespace(ns) if kind.namespaced() => {
                Api::namespaced_with(self.client.clone(), ns, &ar)
            }
            _ => Api::all_with(self.client.clone(), &ar),
        }
    }

    fn error(
        &self,
        verb: &'static str,
        kind: Kind,
        scope: String,
        path: String,
        e: kube::Error,
    ) -> ClusterError {
        let resource = kind.resource();
        match e {
            // Not a Kubernetes `Status`: a proxy, a web server, the wrong port.
            kube::Error::Api(status) if status.reason == "Failed to parse error data" => {
                let text = status.message.trim();
                let excerpt: String = text.chars().take(120).collect();
                ClusterError::NotKubernetes {
                    server: self.server.clone(),
                    method: method_of(verb),
                    path,
                    code: status.code,
                    phrase: http::StatusCode::from_u16(status.code)
                        .ok()
                        .and_then(|c| c.canonical_reason())
                        .unwrap_or("")
                        .to_string(),
                    body: if excerpt.is_empty() {
                        "no body".into()
                    } else {
                        format!("body {excerpt:?}")
                    },
                }
            }
            kube::Error::Api(status) if status.code == 403 => ClusterError::Forbidden {
                verb,
                resource,
                scope,
                message: status.message,
            },
            kube::Error::Api(status) => ClusterError::Api {
                verb,
                resource,
                scope,
                code: status.code,
                message: status.message,
            },
            kube::Error::HyperError(_)
            | kube::Error::Service(_)
            | kube::Error::HttpError(_)
            | kube::Error::TlsRequired
            | kube::Error::RustlsTls(_) => ClusterError::Unreachable {
                server: self.server.clone(),
                message: error_chain(&e),
            },
            other => ClusterError::Api {
                verb,
                resource,
                scope,
                code: 0,
                message: error_chain(&other),
            },
        }
    }

    /// Every object of a kind in a scope, in pages of `--chunk-size`, as manifest-shaped JSON.
    pub fn list(
        &self,
        kind: Kind,
        scope: Scope<'_>,
        label_selector: Option<&str>,
    ) -> Result<Vec<Value>, ClusterError> {
        let mut out = Vec::new();
        self.list_pages(kind, scope, label_selector, |page| {
            out.extend(page);
            Ok(())
        })?;
        Ok(out)
    }

    /// Every object of a kind in a scope, handed to `each_page` one page (`--chunk-size`
    /// objects) at a time as it arrives, so a caller can keep only what it needs of each.
    /// The objects come without `metadata.managedFields`, which nothing here reads (`page`).
    pub fn list_pages(
        &self,
        kind: Kind,
        scope: Scope<'_>,
        label_selector: Option<&str>,
        mut each_page: impl FnMut(Vec<Value>) -> Result<(), ClusterError>,
    ) -> Result<(), ClusterError> {
        let mut page = Vec::new();
        self.list_with(kind, scope, label_selector, &mut |listed| match listed {
            Listed::Object(obj) => {
                page.push(obj);
                Ok(())
            }
            Listed::EndOfPage => each_page(std::mem::take(&mut page)),
        })
    }

    /// Every object of a kind in a scope, handed to `each` one at a time as its page is
    /// read: what is held is one page's text and one object.
    pub fn list_each(
        &self,
        kind: Kind,
        scope: Scope<'_>,
        label_selector: Option<&str>,
        mut each: impl FnMut(Value) -> Result<(), ClusterError>,
    ) -> Result<(), ClusterError> {
        self.list_with(kind, scope, label_selector, &mut |listed| match listed {
            Listed::Object(obj) => each(obj),
            Listed::EndOfPage => Ok(()),
        })
    }

    /// One LIST request per page of `--chunk-size`; each object, then the end of its page,
    /// handed to `on` as the page is parsed (`page`).
    fn list_with(
        &self,
        kind: Kind,
        scope: Scope<'_>,
        label_selector: Option<&str>,
        on: &mut dyn FnMut(Listed) -> Result<(), ClusterError>,
    ) -> Result<(), ClusterError> {
        let ns = match scope {
            Scope::Namespace(ns) if kind.namespaced() => Some(ns),
            _ => None,
        };
        let request = kube::core::Request::new(<DynamicObject as kube::Resource>::url_path(
            &api_resource(kind),
            ns,
        ));
        let mut params = ListParams::default().limit(self.page_size);
        if let Some(sel) = label_selector {
            params = params.labels(sel);
        }
        let ns = match scope {
            Scope::Namespace(ns) => Some(ns),
            Scope::All => None,
        };
        let request_path = path(kind, ns, None);
        let what = format!("{}{}", kind.resource(), scope.describe(kind));
        let (api_version, kind_name) = (kind.api_version(), kind.kind());
        let (mut pages, mut objects) = (0, 0);
        loop {
            let start = std::time::Instant::now();
            let text = self.runtime.block_on(async {
                let req = request.list(&params).map_err(kube::Error::BuildRequest)?;
                self.client.request_text(req).await
            });
            // The objects are handed on as they are parsed; a failure of the caller's stops
            // the page and is returned as it is.
            let page = match text {
                Err(e) => Err(e),
                Ok(text) => {
                    let mut each = |mut obj: Value| {
                        if let Value::Object(map) = &mut obj {
                            map.insert("apiVersion".into(), Value::String(api_version.clone()));
                            map.insert("kind".into(), Value::String(kind_name.to_string()));
                        }
                        on(Listed::Object(obj))
                    };
                    match page::parse(&text, &mut each) {
                        Ok(page) => Ok(page),
                        Err(page::Stopped::Json(e)) => Err(kube::Error::SerdeError(e)),
                        Err(page::Stopped::Caller(e)) => return Err(e),
                    }
                }
            };
            self.told(
                "GET",
                &format!("{request_path}?limit={}", self.page_size),
                start,
                &page,
            );
            let page = page.map_err(|e| {
                self.error("list", kind, scope.describe(kind), request_path.clone(), e)
            })?;
            pages += 1;
            objects += page.objects;
            if let Some(o) = &self.observer {
                o.page(&what, pages, objects);
            }
            on(Listed::EndOfPage)?;
            match page.next {
                Some(token) => params = params.continue_token(&token),
                None => break,
            }
        }
        if let Some(o) = &self.observer {
            o.listed(&what);
        }
        Ok(())
    }

    /// One object, or `None` when it does not exist.
    pub fn get(
        &self,
        kind: Kind,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<Value>, ClusterError> {
        let scope = namespace.map_or(Scope::All, Scope::Namespace);
        let api = self.api(kind, scope);
        let what = format!("{}{}", name_scope(name), scope.describe(kind));
        let start = std::time::Instant::now();
        let r = self.runtime.block_on(api.get_opt(name));
        self.told("GET", &path(kind, namespace, Some(name)), start, &r);
        match r {
            Ok(obj) => Ok(obj.map(|o| self.to_json(kind, o))),
            Err(e) => Err(self.error("get", kind, what, path(kind, namespace, Some(name)), e)),
        }
    }

    /// A JSON merge patch (`application/merge-patch+json`), optionally as a server dry run.
    pub fn merge_patch(
        &self,
        kind: Kind,
        namespace: Option<&str>,
        name: &str,
        patch: &Value,
        dry_run: bool,
    ) -> Result<Value, ClusterError> {
        let scope = namespace.map_or(Scope::All, Scope::Namespace);
        let api = self.api(kind, scope);
        let params = PatchParams {
            dry_run,
            ..PatchParams::default()
        };
        let what = format!("{}{}", name_scope(name), scope.describe(kind));
        let start = std::time::Instant::now();
        let r = self
            .runtime
            .block_on(api.patch(name, &params, &Patch::Merge(patch)));
        self.told("PATCH", &path(kind, namespace, Some(name)), start, &r);
        r.map(|o| self.to_json(kind, o))
            .map_err(|e| self.error("patch", kind, what, path(kind, namespace, Some(name)), e))
    }

    /// Deletes an object; `Ok(false)` when it was already gone.
    pub fn delete(
        &self,
        kind: Kind,
        namespace: Option<&str>,
        name: &str,
        dry_run: bool,
    ) -> Result<bool, ClusterError> {
        let scope = namespace.map_or(Scope::All, Scope::Namespace);
        let api = self.api(kind, scope);
        let params = DeleteParams {
            dry_run,
            ..DeleteParams::default()
        };
        let what = format!("{}{}", name_scope(name), scope.describe(kind));
        let start = std::time::Instant::now();
        let r = self.runtime.block_on(api.delete(name, &params));
        self.told("DELETE", &path(kind, namespace, Some(name)), start, &r);
        match r {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(false),
            Err(e) => Err(self.error("delete", kind, what, path(kind, namespace, Some(name)), e)),
        }
    }

    /// A server-side dry-run create (`dryRun=All`): the object as the API server would store
    /// it after defaulting and every admission webhook (a webhook with `sideEffects: None`
    /// is called), nothing persisted. A rejection (a webhook that denies, or cannot be
    /// reached under `failurePolicy: Fail`) is an error carrying the API server's message.
    pub fn dry_run_create(
        &self,
        kind: Kind,
        namespace: &str,
        object: &Value,
    ) -> Result<Value, ClusterError> {
        let scope = Scope::Namespace(namespace);
        let api = self.api(kind, scope);
        let params = kube::api::PostParams {
            dry_run: true,
            field_manager: None,
        };
        let name = object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .or_else(|| {
                object
                    .pointer("/metadata/generateName")
                    .and_then(Value::as_str)
            })
            .unwrap_or("");
        let what = format!("{}{}", name_scope(name), scope.describe(kind));
        let obj: DynamicObject =
            serde_json::from_value(object.clone()).map_err(|e| ClusterError::Api {
                verb: "create",
                resource: kind.resource(),
                scope: what.clone(),
                code: 0,
                message: format!("not a valid object: {e}"),
            })?;
        let start = std::time::Instant::now();
        let r = self.runtime.block_on(api.create(&params, &obj));
        self.told("POST", &path(kind, Some(namespace), None), start, &r);
        r.map(|o| self.to_json(kind, o))
            .map_err(|e| self.error("create", kind, what, path(kind, Some(namespace), None), e))
    }

    fn to_json(&self, kind: Kind, obj: DynamicObject) -> Value {
        let mut v = serde_json::to_value(obj).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut v {
            map.insert("apiVersion".into(), Value::String(kind.api_version()));
            map.insert("kind".into(), Value::String(kind.kind().to_string()));
        }
        v
    }
}

/// The plans of `uninstall` and `cleanup`, carried out against this cluster.
impl crate::plan::Executor for Cluster {
    type Error = ClusterError;

    fn delete(
        &mut self,
        t: &crate::plan::Target,
        server_dry_run: bool,
    ) -> Result<bool, ClusterError> {
        Cluster::delete(
            self,
            t.kind,
            t.namespace.as_deref(),
            &t.name,
            server_dry_run,
        )
    }

    fn remove_namespace_labels(
        &mut self,
        ns: &str,
        server_dry_run: bool,
    ) -> Result<(), ClusterError> {
        // A JSON merge patch that sets only those labels to null: nothing else is touched,
        // and there is no read-modify-write to race with.
        let labels: serde_json::Map<String, Value> = crate::plan::cleanup::NAMESPACE_LABELS
            .iter()
            .map(|k| (k.to_string(), Value::Null))
            .collect();
        let patch = serde_json::json!({"metadata": {"labels": labels}});
        self.merge_patch(Kind::Namespace, None, ns, &patch, server_dry_run)
            .map(|_| ())
    }

    fn restart(
        &mut self,
        t: &crate::plan::Target,
        server_dry_run: bool,
    ) -> Result<(), ClusterError> {
        // What `kubectl rollout restart` does: a new restartedAt on the pod template.
        let now = jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        let patch = serde_json::json!({"spec": {"template": {"metadata": {"annotations": {
            crate::model::istio::RESTARTED_AT: now}}}}});
        self.merge_patch(
            t.kind,
            t.namespace.as_deref(),
            &t.name,
            &patch,
            server_dry_run,
        )
        .map(|_| ())
    }
}

/// kubectl's connection flags over what the kubeconfig says.
fn apply_flags(
    config: &mut kube::Config,
    args: &KubeArgs,
    server: Option<http::Uri>,
) -> Result<(), ClusterError> {
    if let Some(url) = server {
        config.cluster_url = url;
    }
    if let Some(ca) = &args.certificate_authority {
        if !ca.is_file() {
            return Err(ClusterError::Config(format!(
                "--certificate-authority {}: no such file",
                ca.display()
            )));
        }
        config.root_cert_file = Some(ca.clone());
        config.root_cert = None;
    }
    if args.insecure_skip_tls_verify {
        config.accept_invalid_certs = true;
    }
    if let Some(token) = &args.token {
        config.auth_info.token = Some(secrecy::SecretString::from(token.clone()));
        config.auth_info.token_file = None;
    }
    if let Some(user) = &args.as_user {
        config.auth_info.impersonate = Some(user.clone());
    }
    if !args.as_group.is_empty() {
        config.auth_info.impersonate_groups = Some(args.as_group.clone());
    }
    Ok(())
}

/// The HTTP method of a verb, for messages about what the server answered.
fn method_of(verb: &str) -> &'static str {
    match verb {
        "patch" => "PATCH",
        "delete" => "DELETE",
        "create" => "POST",
        _ => "GET",
    }
}

/// The request path of a kind (in a namespace, of one object), as kubectl's `-v 6` shows it.
fn path(kind: Kind, namespace: Option<&str>, name: Option<&str>) -> String {
    let mut p = if kind.group().is_empty() {
        format!("/api/{}", kind.version())
    } else {
        format!("/apis/{}/{}", kind.group(), kind.version())
    };
    if let (true, Some(ns)) = (kind.namespaced(), namespace) {
        p.push_str(&format!("/namespaces/{ns}"));
    }
    p.push('/');
    p.push_str(kind.plural());
    if let Some(n) = name {
        p.push('/');
        p.push_str(n);
    }
    p
}

fn name_scope(name: &str) -> String {
    format!(" {name:?}")
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_as_kubectl_shows_them() {
        assert_eq!(path(Kind::Namespace, None, None), "/api/v1/namespaces");
        assert_eq!(
            path(Kind::Pod, Some("web"), None),
            "/api/v1/namespaces/web/pods"
        );
        assert_eq!(
            path(Kind::Deployment, Some("web"), Some("x")),
            "/apis/apps/v1/namespaces/web/deployments/x"
        );
        assert_eq!(
            path(
                Kind::MutatingWebhookConfiguration,
                Some("ignored"),
                Some("m")
            ),
            "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/m"
        );
    }

    #[test]
    fn scope_wording() {
        assert_eq!(
            Scope::Namespace("web").describe(Kind::Pod),
            " in namespace \"web\""
        );
        assert_eq!(Scope::All.describe(Kind::Pod), " in all namespaces");
        assert_eq!(Scope::Namespace("web").describe(Kind::Namespace), "");
    }

    #[test]
    fn forbidden_errors_name_the_verb_and_resource() {
        let e = ClusterError::Forbidden {
            verb: "list",
            resource: Kind::Pod.resource(),
            scope: Scope::Namespace("web").describe(Kind::Pod),
            message: "User \"nobody\" cannot list resource \"pods\"".into(),
        };
        assert!(e.is_forbidden());
        assert_eq!(
            e.to_string(),
            "forbidden: cannot list pods in namespace \"web\": User \"nobody\" cannot list resource \"pods\""
        );
    }
}

//! Istio's injection function map (`pkg/kube/inject/template.go` `InjectionFuncmap`),
//! registered over sprig so Istio's `indent`, `contains`, `env` and `omit` win, plus the
//! legacy `toJson` alias and `render` for Istio ≤ 1.13 templates.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use gotmpl::{FuncMap, Value};

use super::{Args, FResult, FuncSet, reg, s, str_map_value};
use crate::config::release::Change;
use crate::template::{data, go};

pub(super) fn register(m: &mut FuncMap, set: FuncSet, host: &crate::template::Host) {
    reg(m, "formatDuration", |a| {
        a.exact(1)?;
        Ok(s(data::format_duration(a.any(0))))
    });
    reg(m, "isset", |a| {
        a.exact(2)?;
        // A lookup, not a conversion: the stock template asks this 21 times per pod.
        let map = a.str_map_ref(0)?;
        let key = a.str(1)?;
        Ok(Value::Bool(map.is_some_and(|m| m.contains_key(key))))
    });
    reg(m, "excludeInboundPort", |a| {
        a.exact(2)?;
        let port = go::sprint(a.any(0));
        Ok(s(exclude_inbound_port(&port, a.str(1)?)))
    });
    reg(m, "includeInboundPorts", |a| {
        a.exact(1)?;
        Ok(s(container_ports(a.any(0), false)))
    });
    reg(m, "applicationPorts", |a| {
        a.exact(1)?;
        Ok(s(container_ports(a.any(0), true)))
    });
    reg(m, "kubevirtInterfaces", |a| {
        a.exact(1)?;
        Ok(s(a.str(0)?))
    });
    reg(m, "excludeInterfaces", |a| {
        a.exact(1)?;
        Ok(s(a.str(0)?))
    });
    reg(m, "annotation", |a| {
        a.exact(3)?;
        let name = a.str(1)?;
        let found = match a.any(0) {
            Value::Map(meta) => match meta.get("Annotations") {
                Some(Value::Map(ann)) => ann.get(name),
                _ => None,
            },
            other => {
                return Err(super::Fail::Arg(format!(
                    "wrong type for value; expected v1.ObjectMeta; got {}",
                    go::type_name(other)
                )));
            }
        };
        // fmt.Sprint of the value or the default: a string is returned as it is.
        Ok(match found.unwrap_or(a.any(2)) {
            v @ Value::String(_) => v.clone(),
            v => s(go::sprint(v)),
        })
    });
    reg(m, "valueOrDefault", |a| {
        a.exact(2)?;
        Ok(match a.any(0) {
            Value::Nil => a.any(1).clone(),
            Value::String(x) if x.is_empty() => a.any(1).clone(),
            v => v.clone(),
        })
    });
    reg(m, "toJSON", to_json_map);
    reg(m, "fromJSON", |a| {
        a.exact(1)?;
        // Istio logs the error and returns the string "{}".
        Ok(serde_json::from_str::<serde_json::Value>(a.str(0)?)
            .map(|v| go::from_json(&v, go::Numbers::Float))
            .unwrap_or_else(|_| s("{}")))
    });
    reg(m, "structToJSON", |a| {
        a.exact(1)?;
        Ok(s(data::struct_to_json(a.any(0))))
    });
    reg(m, "protoToJSON", |a| {
        a.exact(1)?;
        Ok(s(proto_to_json_memo(a.any(0))))
    });
    reg(m, "toYaml", |a| {
        a.exact(1)?;
        Ok(remember(&YAML, a.any(0), |v| s(to_yaml(v))))
    });
    reg(m, "indent", |a| {
        a.exact(2)?;
        // Istio pads with `fmt.Sprintf("% *s", n, "")`: a negative width left-justifies,
        // so -2 pads like 2.
        let n = usize::try_from(a.int(0)?.unsigned_abs()).unwrap_or(usize::MAX);
        let x = a.str(1)?;
        let lines = x.matches('\n').count();
        if lines.saturating_mul(n).saturating_add(x.len()) > super::MAX_STRING {
            return Err(format!("result longer than {} bytes", super::MAX_STRING).into());
        }
        let pad = " ".repeat(n);
        Ok(s(x.replace('\n', &format!("\n{pad}"))))
    });
    reg(m, "directory", |a| {
        a.exact(1)?;
        let p = a.str(0)?;
        Ok(s(p.rfind('/').map_or("", |i| &p[..=i])))
    });
    reg(m, "contains", |a| {
        a.exact(2)?;
        Ok(Value::Bool(a.str(1)?.contains(a.str(0)?)))
    });
    reg(m, "toLower", |a| {
        a.exact(1)?;
        Ok(s(a.str(0)?.to_lowercase()))
    });
    let namespace_field = host.release.has(Change::MultusNamespaceField);
    reg(m, "appendMultusNetwork", move |a| {
        a.exact(2)?;
        Ok(s(append_multus_network(
            a.str(0)?,
            a.str(1)?,
            namespace_field,
        )))
    });
    // istiod's process environment as the injector defines it (never ours); Go's `env`
    // gives the default for an unset or empty variable.
    let env = std::sync::Arc::clone(&host.env);
    reg(m, "env", move |a| {
        a.exact(2)?;
        let default = a.str(1)?;
        let value = env.get(a.str(0)?).filter(|v| !v.is_empty());
        Ok(s(value.map_or(default, String::as_str)))
    });
    reg(m, "omit", |a| {
        a.at_least(1)?;
        let mut d = a.str_map(0)?;
        for i in 1..a.len() {
            d.remove(a.str(i)?);
        }
        Ok(str_map_value(d))
    });
    reg(m, "strdict", |a| {
        let mut d = BTreeMap::new();
        for i in (0..a.len()).step_by(2) {
            let k = a.str(i)?.to_string();
            let v = if i + 1 < a.len() { a.str(i + 1)? } else { "" };
            d.insert(k, v.to_string());
        }
        Ok(str_map_value(d))
    });
    reg(m, "mergeMaps", |a| {
        Ok(merge_maps(a)?.map_or(Value::Nil, str_map_value))
    });
    reg(m, "toJsonMap", |a| {
        Ok(s(match merge_maps(a)? {
            None => "null".to_string(),
            Some(d) => go::to_json(&str_map_value(d)).unwrap_or_default(),
        }))
    });
    reg(m, "omitNil", |a| {
        a.exact(1)?;
        Ok(remember(&OMIT_NIL, a.any(0), omit_nil))
    });
    reg(m, "otelResourceAttributes", |a| {
        a.exact(5)?;
        Ok(s(data::otel_resource_attributes(
            a.any(0),
            &a.str_map(1)?,
            &a.str_map(2)?,
            a.str(3)?,
            a.any(4),
        )))
    });
    if set == FuncSet::Legacy {
        reg(m, "toJson", to_json_map);
        // `render` needs the template machinery and the data: see template::render_nested.
        m.insert(
            "render".to_string(),
            Arc::new(|args: &[Value]| crate::template::render_nested(args)),
        );
    }
}

/// Istio's `toJSON(map[string]string)`: nil → `{}`.
fn to_json_map(a: &Args) -> FResult {
    a.exact(1)?;
    if matches!(a.any(0), Value::Nil) {
        return Ok(s("{}"));
    }
    let d = a.str_map(0)?;
    Ok(s(
        go::to_json(&str_map_value(d)).unwrap_or_else(|_| "{}".into())
    ))
}

/// `sigs.k8s.io/yaml.Marshal`; Istio returns "" on error.
/// `protoToJSON`, remembering the last map per thread: every pod without a
/// `proxy.istio.io/config` override passes the same shared default `.ProxyConfig`. The
/// cache holds that map, so the pointer it compares cannot be reused by another one.
fn proto_to_json_memo(v: &Value) -> String {
    type Last = Option<(Arc<BTreeMap<Arc<str>, Value>>, String)>;
    thread_local! {
        static LAST: RefCell<Last> = const { RefCell::new(None) };
    }
    let Value::Map(m) = v else {
        return data::proto_to_json(v);
    };
    LAST.with(|last| {
        if let Some((seen, json)) = &*last.borrow()
            && Arc::ptr_eq(seen, m)
        {
            return json.clone();
        }
        let json = data::proto_to_json(v);
        *last.borrow_mut() = Some((Arc::clone(m), json.clone()));
        json
    })
}

/// Results remembered per thread for the maps and lists a function last saw, by identity:
/// the stock template passes the same shared `.Values` parts to `toYaml` and `omitNil` for
/// every pod. Each entry holds its value, so a pointer compared cannot be reused by another.
type Remembered<R> = RefCell<Vec<(Value, R)>>;

thread_local! {
    static YAML: Remembered<Value> = const { RefCell::new(Vec::new()) };
    static OMIT_NIL: Remembered<Value> = const { RefCell::new(Vec::new()) };
}

/// How many results each function keeps: a few constant arguments, then the oldest goes.
const REMEMBERED: usize = 8;

fn remember(
    cache: &'static std::thread::LocalKey<Remembered<Value>>,
    v: &Value,
    f: fn(&Value) -> Value,
) -> Value {
    let same = |seen: &Value| match (seen, v) {
        (Value::Map(x), Value::Map(y)) => Arc::ptr_eq(x, y),
        (Value::List(x), Value::List(y)) => Arc::ptr_eq(x, y),
        _ => false,
    };
    if !matches!(v, Value::Map(_) | Value::List(_)) {
        return f(v);
    }
    cache.with(|c| {
        if let Some((_, r)) = c.borrow().iter().find(|(seen, _)| same(seen)) {
            return r.clone();
        }
        let r = f(v);
        let mut c = c.borrow_mut();
        if c.len() == REMEMBERED {
            c.remove(0);
        }
        c.push((v.clone(), r.clone()));
        r
    })
}

pub(crate) fn to_yaml(v: &Value) -> String {
    match go::to_serde_json(v) {
        Ok(j) => yaml_emit(&j),
        Err(_) => String::new(),
    }
}

/// The YAML text of a JSON value, byte-compatible with Go's `sigs.k8s.io/yaml`.
fn yaml_emit(j: &serde_json::Value) -> String {
    crate::yaml::to_string(j)
}

fn merge_maps(a: &Args) -> Result<Option<BTreeMap<String, String>>, super::Fail> {
    if a.len() == 0 {
        return Ok(None);
    }
    let mut out = BTreeMap::new();
    for i in 0..a.len() {
        out.extend(a.str_map(i)?);
    }
    Ok(Some(out))
}

fn omit_nil(v: &Value) -> Value {
    match v {
        Value::Map(m) => {
            let out: BTreeMap<Arc<str>, Value> = m
                .iter()
                .filter_map(|(k, x)| {
                    let x = omit_nil(x);
                    (!matches!(x, Value::Nil)).then(|| (Arc::clone(k), x))
                })
                .collect();
            if out.is_empty() {
                Value::Nil
            } else {
                Value::Map(Arc::new(out))
            }
        }
        Value::List(l) => {
            let out: Vec<Value> = l
                .iter()
                .map(omit_nil)
                .filter(|x| !matches!(x, Value::Nil))
                .collect();
            if out.is_empty() {
                Value::Nil
            } else {
                Value::List(out.into())
            }
        }
        other => other.clone(),
    }
}

fn exclude_inbound_port(port: &str, excluded: &str) -> String {
    let p = port.trim();
    if p.is_empty() || p == "0" {
        return excluded.to_string();
    }
    let mut parts: Vec<&str> = excluded
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .collect();
    // Istio compares the untrimmed entries (`"4, 5"` does not contain `5`).
    if excluded.split(',').any(|x| x == p) {
        return excluded.to_string();
    }
    parts.push(p);
    parts.join(",")
}

/// `includeInboundPorts`/`applicationPorts`: every container's ports except UDP and SCTP.
fn container_ports(containers: &Value, skip_proxy: bool) -> String {
    let mut parts = Vec::new();
    if let Value::List(cs) = containers {
        for c in cs.iter() {
            if skip_proxy
                && c.field("Name").and_then(Value::as_str)
                    == Some(crate::model::istio::PROXY_CONTAINER)
            {
                continue;
            }
            if let Some(Value::List(ports)) = c.field("Ports") {
                for p in ports.iter() {
                    let proto = p.field("Protocol").and_then(Value::as_str).unwrap_or("");
                    if proto == "UDP" || proto == "SCTP" {
                        continue;
                    }
                    if let Some(n) = p.field("ContainerPort").and_then(Value::as_int) {
                        parts.push(n.to_string());
                    }
                }
            }
        }
    }
    parts.join(",")
}

/// `appendMultusNetwork`: adds the Istio CNI network to `k8s.v1.cni.cncf.io/networks`
/// in either of its forms (JSON list, or comma list), unless present.
/// Istio's `appendMultusNetwork`. `namespace_field`: a JSON-list entry names its
/// namespace in its own field (see `Change::MultusNamespaceField`); before, the whole
/// `ns/name` was the entry's name.
fn append_multus_network(existing: &str, net: &str, namespace_field: bool) -> String {
    if existing.is_empty() {
        return net.to_string();
    }
    let (ns, name) = match net.split_once('/') {
        Some((ns, name)) if namespace_field => (ns, name),
        _ => ("", net),
    };
    if existing.contains(']') {
        let Ok(serde_json::Value::Array(entries)) =
            serde_json::from_str::<serde_json::Value>(existing)
        else {
            return existing.to_string();
        };
        let present = entries.iter().any(|e| {
            e.get("name").and_then(|n| n.as_str()) == Some(name)
                && (!namespace_field
                    || e.get("namespace").and_then(|n| n.as_str()).unwrap_or("") == ns)
        });
        if present {
            return existing.to_string();
        }
        let entry = if ns.is_empty() {
            format!(", {{\"name\": \"{name}\"}}")
        } else {
            format!(", {{\"name\": \"{name}\", \"namespace\": \"{ns}\"}}")
        };
        let i = existing.rfind(']').unwrap_or(existing.len());
        return format!("{}{entry}{}", &existing[..i], &existing[i..]);
    }
    if existing.split(',').any(|x| x.trim() == net) {
        return existing.to_string();
    }
    format!("{existing}, {net}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclude_inbound_port_cases() {
        for (port, list, want) in [
            ("15020", "4,5,6", "4,5,6,15020"),
            ("15020", "", "15020"),
            ("0", "4", "4"),
            ("", "4", "4"),
            ("4", "4, 5", "4, 5"),
            ("5", "4, 5", "4,5,5"),
            ("7", " 4, ,5 ", "4,5,7"),
        ] {
            assert_eq!(exclude_inbound_port(port, list), want, "{port} {list}");
        }
    }

    #[test]
    fn multus_network_cases() {
        for (existing, net, want) in [
            ("", "default/istio-cni", "default/istio-cni"),
            ("a, b", "istio-cni", "a, b, istio-cni"),
            ("a,istio-cni", "istio-cni", "a,istio-cni"),
            (
                r#"[{"name": "a"}]"#,
                "default/istio-cni",
                r#"[{"name": "a"}, {"name": "istio-cni", "namespace": "default"}]"#,
            ),
            (
                r#"[{"name": "istio-cni", "namespace": "default"}]"#,
                "default/istio-cni",
                r#"[{"name": "istio-cni", "namespace": "default"}]"#,
            ),
            ("[broken", "x", "[broken, x"),
            ("[broken]", "x", "[broken]"),
        ] {
            assert_eq!(append_multus_network(existing, net, true), want);
        }
        // Before Change::MultusNamespaceField the whole `ns/name` is the entry's name.
        for (existing, want) in [
            (
                r#"[{"name": "a"}]"#,
                r#"[{"name": "a"}, {"name": "default/istio-cni"}]"#,
            ),
            (
                r#"[{"name": "default/istio-cni"}]"#,
                r#"[{"name": "default/istio-cni"}]"#,
            ),
            ("a", "a, default/istio-cni"),
        ] {
            let got = append_multus_network(existing, "default/istio-cni", false);
            assert_eq!(got, want);
        }
    }

    #[test]
    fn remember_answers_by_identity_and_stays_bounded() {
        thread_local! {
            static CALLS: RefCell<usize> = const { RefCell::new(0) };
            static CACHE: Remembered<Value> = const { RefCell::new(Vec::new()) };
        }
        fn counted(v: &Value) -> Value {
            CALLS.with(|c| *c.borrow_mut() += 1);
            s(go::sprint(v))
        }
        let map = |x: i64| go::from_json(&serde_json::json!({"x": x}), go::Numbers::IntegralInt);
        let calls = || CALLS.with(|c| *c.borrow());
        let a = map(1);
        assert_eq!(remember(&CACHE, &a, counted), s("map[x:1]"));
        assert_eq!(remember(&CACHE, &a.clone(), counted), s("map[x:1]"));
        assert_eq!(calls(), 1, "the same map is answered from the cache");
        // An equal map that is another value is computed again; so is a scalar.
        remember(&CACHE, &map(1), counted);
        remember(&CACHE, &Value::Int(3), counted);
        assert_eq!(calls(), 3);
        for i in 0..20 {
            remember(&CACHE, &map(i), counted);
        }
        assert_eq!(CACHE.with(|c| c.borrow().len()), REMEMBERED);
    }

    #[test]
    fn omit_nil_drops_empty_containers() {
        let v = go::from_json(
            &serde_json::json!({"a": null, "b": {"c": null}, "d": [null, 1], "e": "x"}),
            go::Numbers::IntegralInt,
        );
        assert_eq!(go::to_json(&omit_nil(&v)).unwrap(), r#"{"d":[1],"e":"x"}"#);
    }
}

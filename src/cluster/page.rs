//! One page of a LIST response, read from its text straight into manifest-shaped JSON
//! values, one object at a time, without each object's `metadata.managedFields`.
//!
//! managedFields is the server's record of which client set which field: about half of a
//! workload's or pod's size, read by no command (`capture` and `uninstall` drop it from
//! what they write, drift ignores it). Skipping it while parsing — rather than parsing it and
//! dropping it —, parsing into `Value` directly rather than through kube's `DynamicObject`
//! (whose typed metadata is then serialized to `Value` again, both copies alive at once),
//! and handing each object on as soon as it is parsed is what keeps a live `check` of a
//! large cluster at the size of one page's text and one object (`make bench-cluster`).

use std::fmt;

use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::{Map, Value};

/// The field of `metadata` that is skipped.
const MANAGED_FIELDS: &str = "managedFields";

/// Why a page was not read to its end.
pub(super) enum Stopped<E> {
    /// Not a list in JSON.
    Json(serde_json::Error),
    /// The caller's function failed on an object.
    Caller(E),
}

/// What a page held besides its objects.
pub(super) struct Page {
    /// How many objects it had.
    pub objects: usize,
    /// The token for the next page (`metadata.continue`), if any.
    pub next: Option<String>,
}

/// Parses a LIST response (`{"metadata": {"continue": …}, "items": [...]}`), handing each
/// object to `each` as soon as it is read.
pub(super) fn parse<E>(
    text: &str,
    each: &mut dyn FnMut(Value) -> Result<(), E>,
) -> Result<Page, Stopped<E>> {
    let mut failed = None;
    let mut objects = 0;
    let mut de = serde_json::Deserializer::from_str(text);
    let read = PageSeed {
        each,
        failed: &mut failed,
        objects: &mut objects,
    }
    .deserialize(&mut de)
    .and_then(|next| de.end().map(|()| next));
    match (read, failed) {
        (_, Some(e)) => Err(Stopped::Caller(e)),
        (Err(e), None) => Err(Stopped::Json(e)),
        (Ok(next), None) => Ok(Page {
            objects,
            next: next.filter(|c| !c.is_empty()),
        }),
    }
}

struct PageSeed<'a, E> {
    each: &'a mut dyn FnMut(Value) -> Result<(), E>,
    failed: &'a mut Option<E>,
    objects: &'a mut usize,
}

impl<'de, E> DeserializeSeed<'de> for PageSeed<'_, E> {
    /// The continue token.
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, E> Visitor<'de> for PageSeed<'_, E> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of objects")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<String>, A::Error> {
        let mut next = None;
        let mut items = Some(Items {
            each: self.each,
            failed: self.failed,
            objects: self.objects,
        });
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "metadata" => {
                    next = map
                        .next_value::<Option<ListMeta>>()?
                        .and_then(|m| m.continue_);
                }
                "items" => match items.take() {
                    Some(seed) => map.next_value_seed(seed)?,
                    None => return Err(de::Error::duplicate_field("items")),
                },
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(next)
    }
}

#[derive(serde::Deserialize)]
struct ListMeta {
    #[serde(rename = "continue", default)]
    continue_: Option<String>,
}

/// `items`: each object handed on as it is read; `null` is no objects.
struct Items<'a, E> {
    each: &'a mut dyn FnMut(Value) -> Result<(), E>,
    failed: &'a mut Option<E>,
    objects: &'a mut usize,
}

impl<'de, E> DeserializeSeed<'de> for Items<'_, E> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, E> Visitor<'de> for Items<'_, E> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list's items")
    }

    fn visit_none<Er: de::Error>(self) -> Result<(), Er> {
        Ok(())
    }

    fn visit_unit<Er: de::Error>(self) -> Result<(), Er> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(Object(obj)) = seq.next_element::<Object>()? {
            *self.objects += 1;
            if let Err(e) = (self.each)(obj) {
                *self.failed = Some(e);
                return Err(de::Error::custom("stopped by the caller"));
            }
        }
        Ok(())
    }
}

/// An object of the list, its metadata read by [`Metadata`].
struct Object(Value);

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Object;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object, A::Error> {
                let mut out = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value = if key == "metadata" {
                        map.next_value::<Metadata>()?.0
                    } else {
                        map.next_value::<Value>()?
                    };
                    out.insert(key, value);
                }
                Ok(Object(Value::Object(out)))
            }
        }
        d.deserialize_map(V)
    }
}

/// An object's metadata without managedFields (never built: its text is only skipped).
struct Metadata(Value);

impl<'de> Deserialize<'de> for Metadata {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Metadata;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object's metadata")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Metadata, A::Error> {
                let mut out = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key == MANAGED_FIELDS {
                        map.next_value::<IgnoredAny>()?;
                    } else {
                        let value = map.next_value::<Value>()?;
                        out.insert(key, value);
                    }
                }
                Ok(Metadata(Value::Object(out)))
            }
            fn visit_unit<E>(self) -> Result<Metadata, E> {
                Ok(Metadata(Value::Null))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn all(text: &str) -> Result<(Vec<Value>, Option<String>), String> {
        let mut items = Vec::new();
        let page = parse(text, &mut |v| {
            items.push(v);
            Ok::<(), String>(())
        })
        .map_err(|e| match e {
            Stopped::Json(e) => e.to_string(),
            Stopped::Caller(e) => e,
        })?;
        assert_eq!(page.objects, items.len());
        Ok((items, page.next))
    }

    #[test]
    fn objects_come_whole_but_for_managed_fields() {
        let text = json!({
            "kind": "PodList", "apiVersion": "v1",
            "metadata": {"resourceVersion": "7", "continue": "abc"},
            "items": [
                {"metadata": {"name": "a", "namespace": "n", "labels": {"x": "1"},
                              "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}]},
                 "spec": {"containers": [{"name": "app", "image": "i", "ports": [{"containerPort": 80}]}]},
                 "status": {"phase": "Pending"}},
                {"metadata": {"name": "b"}, "spec": {}}
            ]
        })
        .to_string();
        let (items, next) = all(&text).unwrap();
        assert_eq!(next.as_deref(), Some("abc"));
        assert_eq!(
            items,
            [
                json!({"metadata": {"name": "a", "namespace": "n", "labels": {"x": "1"}},
                       "spec": {"containers": [{"name": "app", "image": "i", "ports": [{"containerPort": 80}]}]},
                       "status": {"phase": "Pending"}}),
                json!({"metadata": {"name": "b"}, "spec": {}}),
            ]
        );
    }

    #[test]
    fn last_page_and_empty_lists() {
        assert_eq!(
            all(r#"{"metadata": {"continue": ""}, "items": null}"#).unwrap(),
            (vec![], None)
        );
        assert_eq!(
            all(r#"{"items": [], "metadata": {}}"#).unwrap(),
            (vec![], None)
        );
        assert!(all("<html>not an API server</html>").is_err());
        assert!(all(r#"{"items": []} trailing"#).is_err());
        assert!(all(r#"{"items": [1]}"#).is_err());
    }

    #[test]
    fn the_callers_error_stops_the_page() {
        let mut seen = 0;
        let r = parse(r#"{"items": [{"a": 1}, {"b": 2}, {"c": 3}]}"#, &mut |_| {
            seen += 1;
            if seen == 2 { Err("enough") } else { Ok(()) }
        });
        assert!(matches!(r, Err(Stopped::Caller("enough"))));
        assert_eq!(seen, 2);
    }
}

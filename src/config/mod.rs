//! Injector configuration from bytes: the `config` key of the `istio-sidecar-injector`
//! ConfigMap (policy, selectors, templates), with the source it came from for error messages;
//! the Istio release it is and what changes between releases ([`release`]); istiod's
//! environment as templates read it ([`env`]).
//!
//! Pure: parses text handed to it; reads no files.

pub mod embedded;
pub mod env;
mod injector;
pub mod mesh;
pub mod release;
pub mod values;

pub use injector::{ConfigError, InjectionPolicy, InjectorConfig};
pub use mesh::{MeshConfig, MeshError, ProxyConfig, TrafficPolicy};
pub use values::{ValuesError, parse_values};

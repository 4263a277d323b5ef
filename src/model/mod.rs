//! Plain data shared by the decision engine, the renderer and the commands: labels, label
//! selectors, and the injector's webhook configuration.
//!
//! Pure: no I/O.

pub mod istio;
pub mod kind;
pub mod labels;
pub mod quantity;
mod selector;
pub mod types;
pub mod webhook;

pub use labels::{LabelError, parse_label_list};
pub use selector::{LabelSelector, LabelSelectorRequirement};
pub use webhook::{Webhook, WebhookConfiguration, WebhookError};

use std::collections::BTreeMap;

/// Labels or annotations.
pub type StringMap = BTreeMap<String, String>;

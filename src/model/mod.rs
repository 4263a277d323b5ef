//! Plain data shared by the decision engine, the renderer and the commands: labels, label
//! selectors, and the injector's webhook configuration.
//!
//! Pure: no I/O.

pub mod quantity;
mod selector;

pub use selector::{LabelSelector, LabelSelectorRequirement};

use std::collections::BTreeMap;

/// Labels or annotations.
pub type StringMap = BTreeMap<String, String>;

//! The injection decision engine (pure: no I/O): webhook selector matching, then the
//! injector's own rules in Istio's order, producing a verdict and the step trace `explain`
//! prints. Also the managed-mesh variant.

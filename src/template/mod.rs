//! Go text/template-compatible rendering of Istio injection templates (pure): the gotmpl
//! adapter, sprig and Istio functions, error positions, and the template data model.

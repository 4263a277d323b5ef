//! The webhook's trust: a `caBundle` read as the API server reads it (base64 of PEM, X.509
//! certificates), each certificate's validity period and CA flag, and whether the bundle
//! verifies the certificate the injector serves with (or the CA that signs it).
//!
//! Pure: bytes and a time in, findings out. The time is a parameter (`now`, Unix seconds) so
//! that expiry is deterministic in tests.

use base64::Engine as _;
use x509_parser::pem::Pem;
use x509_parser::prelude::X509Certificate;

/// A certificate of a bundle, with what the checks read from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cert {
    /// `CN=istiod, O=cluster.local` (the subject as OpenSSL prints it).
    pub subject: String,
    pub issuer: String,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    /// `basicConstraints CA:TRUE`.
    pub is_ca: bool,
    /// The DER bytes, to verify signatures with.
    pub der: Vec<u8>,
}

/// Why a bundle cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("is not valid base64")]
    Base64,
    #[error("holds no PEM certificate")]
    NoCertificate,
    #[error("is not PEM: {0}")]
    Pem(String),
    /// `message` is the parser's (not in the words: it reads like `NomError(Eof)`).
    #[error("holds a PEM block that is not a valid X.509 certificate (block {index})")]
    X509 { index: usize, message: String },
}

/// Decodes a `caBundle` as it appears in a webhook configuration's JSON: base64 of PEM.
pub fn parse_bundle_base64(text: &str) -> Result<Vec<Cert>, BundleError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| BundleError::Base64)?;
    parse_pem(&bytes)
}

/// Every `CERTIFICATE` block of a PEM text (other blocks, such as keys, are skipped).
pub fn parse_pem(bytes: &[u8]) -> Result<Vec<Cert>, BundleError> {
    let mut out = Vec::new();
    for (i, pem) in Pem::iter_from_buffer(bytes).enumerate() {
        let pem = pem.map_err(|e| BundleError::Pem(e.to_string()))?;
        if pem.label != "CERTIFICATE" {
            continue;
        }
        let cert = pem.parse_x509().map_err(|e| BundleError::X509 {
            index: i + 1,
            message: e.to_string(),
        })?;
        out.push(cert_of(&cert, &pem.contents));
    }
    if out.is_empty() {
        return Err(BundleError::NoCertificate);
    }
    Ok(out)
}

fn cert_of(cert: &X509Certificate<'_>, der: &[u8]) -> Cert {
    Cert {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        is_ca: cert.is_ca(),
        der: der.to_vec(),
    }
}

/// True when `child` is signed by `parent`'s key (and names it as issuer).
fn signed_by(child: &Cert, parent: &Cert) -> bool {
    if child.issuer != parent.subject {
        return false;
    }
    let (Ok((_, c)), Ok((_, p))) = (
        x509_parser::parse_x509_certificate(&child.der),
        x509_parser::parse_x509_certificate(&parent.der),
    ) else {
        return false;
    };
    c.verify_signature(Some(p.public_key())).is_ok()
}

/// Whether the bundle trusts `cert`: it is one of the bundle's certificates, or a chain
/// through `intermediates` (at most 5 links) ends in a certificate the bundle holds or signs.
pub fn verifies(bundle: &[Cert], cert: &Cert, intermediates: &[Cert]) -> bool {
    let mut current = cert;
    for _ in 0..=5 {
        if bundle
            .iter()
            .any(|b| b.der == current.der || signed_by(current, b))
        {
            return true;
        }
        match intermediates
            .iter()
            .find(|i| i.der != current.der && signed_by(current, i))
        {
            Some(next) => current = next,
            None => return false,
        }
    }
    false
}

/// `2021-01-01` for Unix seconds (UTC).
pub fn date(unix: i64) -> String {
    match jiff::Timestamp::from_second(unix) {
        Ok(t) => t.strftime("%Y-%m-%d").to_string(),
        // Beyond jiff's years -9999..=9999, which an X.509 time cannot reach.
        Err(_) => format!("{unix} seconds after 1970-01-01"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

    /// A generated certificate with its key, as PEM.
    pub struct Made {
        pub pem: String,
        pub params: CertificateParams,
        pub key: KeyPair,
    }

    pub fn params(cn: &str, ca: bool, from: (i32, u8, u8), to: (i32, u8, u8)) -> CertificateParams {
        let mut p = CertificateParams::new(vec![format!("{cn}.istio-system.svc")]).expect("params");
        p.distinguished_name.push(DnType::CommonName, cn);
        p.is_ca = if ca {
            IsCa::Ca(BasicConstraints::Unconstrained)
        } else {
            IsCa::NoCa
        };
        p.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
        p.not_after = rcgen::date_time_ymd(to.0, to.1, to.2);
        p
    }

    pub fn self_signed(p: CertificateParams) -> Made {
        let key = KeyPair::generate().expect("key");
        let pem = p.self_signed(&key).expect("cert").pem();
        Made {
            pem,
            params: p,
            key,
        }
    }

    pub fn signed(p: CertificateParams, by: &Made) -> Made {
        let key = KeyPair::generate().expect("key");
        let issuer = Issuer::from_params(&by.params, &by.key);
        let pem = p.signed_by(&key, &issuer).expect("cert").pem();
        Made {
            pem,
            params: p,
            key,
        }
    }

    pub fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_609_459_200), "2021-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date(-86_400), "1969-12-31");
    }

    #[test]
    fn bundles_parse_or_say_why_not() {
        let ca = self_signed(params("root", true, (2020, 1, 1), (2040, 1, 1)));
        let certs = parse_bundle_base64(&b64(&ca.pem)).expect("parses");
        assert_eq!(certs.len(), 1);
        assert!(certs[0].is_ca);
        assert_eq!(certs[0].subject, "CN=root");
        assert_eq!(date(certs[0].not_after), "2040-01-01");
        assert_eq!(parse_bundle_base64("not base64!"), Err(BundleError::Base64));
        assert_eq!(
            parse_bundle_base64(&b64("CA")),
            Err(BundleError::NoCertificate)
        );
        let garbage = "-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            parse_bundle_base64(&b64(garbage)),
            Err(BundleError::X509 { index: 1, .. })
        ));
    }

    #[test]
    fn a_bundle_verifies_what_its_ca_signed_and_nothing_else() {
        let root = self_signed(params("root", true, (2020, 1, 1), (2040, 1, 1)));
        let inter = signed(
            params("intermediate", true, (2020, 1, 1), (2040, 1, 1)),
            &root,
        );
        let leaf = signed(params("istiod", false, (2020, 1, 1), (2040, 1, 1)), &inter);
        let other = self_signed(params("root", true, (2020, 1, 1), (2040, 1, 1)));
        let one = |m: &Made| parse_pem(m.pem.as_bytes()).expect("pem").remove(0);
        let bundle = vec![one(&root)];
        assert!(verifies(&bundle, &one(&inter), &[]));
        assert!(verifies(&bundle, &one(&root), &[]));
        assert!(!verifies(&bundle, &one(&leaf), &[]));
        assert!(verifies(&bundle, &one(&leaf), &[one(&inter)]));
        // Same subject, other key: not trusted.
        assert!(!verifies(&[one(&other)], &one(&inter), &[]));
    }
}

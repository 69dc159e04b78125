//! Name and label validation as the apiserver does it
//! (`k8s.io/apimachinery/pkg/util/validation`, `validation.go`): the same
//! rules and the same messages, so a refusal reads as kubectl prints it.
//!
//! Each check returns the list of problems (empty when the value is valid),
//! as upstream's `IsDNS1123Subdomain` and friends do.

#![warn(missing_docs)]

/// `DNS1123SubdomainMaxLength`.
pub const DNS1123_SUBDOMAIN_MAX: usize = 253;
/// `DNS1123LabelMaxLength` and `DNS1035LabelMaxLength`.
pub const DNS1123_LABEL_MAX: usize = 63;
/// `LabelValueMaxLength` and the name part of a qualified name.
pub const LABEL_VALUE_MAX: usize = 63;

const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const QUALIFIED_NAME_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

fn max_len_msg(max: usize) -> String {
    format!("must be no more than {} characters", max)
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
fn is_dns1123_label_shape(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty() && alnum(b[0]) && alnum(b[b.len() - 1]) && b.iter().all(|&c| alnum(c) || c == b'-')
}

/// `IsDNS1123Label`: namespaces, container names, port names.
pub fn dns1123_label(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > DNS1123_LABEL_MAX {
        errs.push(max_len_msg(DNS1123_LABEL_MAX));
    }
    if !is_dns1123_label_shape(s) {
        errs.push(DNS1123_LABEL_MSG.to_string());
    }
    errs
}

/// `IsDNS1123Subdomain`: the names of most kinds (pods, nodes, replica
/// sets, …).
pub fn dns1123_subdomain(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > DNS1123_SUBDOMAIN_MAX {
        errs.push(max_len_msg(DNS1123_SUBDOMAIN_MAX));
    }
    if s.is_empty() || !s.split('.').all(is_dns1123_label_shape) {
        errs.push(DNS1123_SUBDOMAIN_MSG.to_string());
    }
    errs
}

/// `IsDNS1035Label`: Service names.
pub fn dns1035_label(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > DNS1123_LABEL_MAX {
        errs.push(max_len_msg(DNS1123_LABEL_MAX));
    }
    if !s.as_bytes().first().is_some_and(|c| c.is_ascii_lowercase()) || !is_dns1123_label_shape(s) {
        errs.push(DNS1035_LABEL_MSG.to_string());
    }
    errs
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_alphanumeric();
    !b.is_empty()
        && alnum(b[0])
        && alnum(b[b.len() - 1])
        && b.iter().all(|&c| alnum(c) || matches!(c, b'-' | b'_' | b'.'))
}

/// `ValidateFinalizerName` (apimachinery's `objectmeta.go`): a qualified
/// name. (Core validation's stricter `validateKubeFinalizerName`, which
/// wants an unprefixed name to be a standard one, is for a Namespace's
/// `spec.finalizers` only.)
pub fn finalizer_name(s: &str) -> Vec<String> {
    qualified_name(s)
}

/// `ValidateFinalizers`' rule that the two deletion policies exclude each
/// other, with upstream's wording (the value is the whole list, as Go's
/// `%#v` prints it).
pub fn finalizer_policies(finalizers: &[&str]) -> Option<String> {
    if finalizers.contains(&"orphan") && finalizers.contains(&"foregroundDeletion") {
        let list: Vec<String> = finalizers.iter().map(|f| format!("{:?}", f)).collect();
        return Some(format!(
            "Invalid value: []string{{{}}}: finalizer orphan and foregroundDeletion cannot be both set",
            list.join(", ")
        ));
    }
    None
}

/// `IsQualifiedName`: label and annotation keys (`prefix/name` or `name`).
pub fn qualified_name(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    if name.contains('/') {
        errs.push(format!("a qualified name {}", QUALIFIED_NAME_MSG.replacen("name part ", "", 1)));
        return errs;
    }
    if let Some(p) = prefix {
        if p.is_empty() {
            errs.push("prefix part must be non-empty".to_string());
        } else {
            for e in dns1123_subdomain(p) {
                errs.push(format!("prefix part {}", e));
            }
        }
    }
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else {
        if name.len() > LABEL_VALUE_MAX {
            errs.push(format!("name part {}", max_len_msg(LABEL_VALUE_MAX)));
        }
        if !is_qualified_name_part(name) {
            errs.push(QUALIFIED_NAME_MSG.to_string());
        }
    }
    errs
}

/// `IsValidLabelValue`.
pub fn label_value(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > LABEL_VALUE_MAX {
        errs.push(max_len_msg(LABEL_VALUE_MAX));
    }
    if !s.is_empty() && !is_qualified_name_part(s) {
        errs.push(LABEL_VALUE_MSG.to_string());
    }
    errs
}

/// The rule an object's `metadata.name` follows, by kind (upstream's
/// `ValidateObjectMeta` with each kind's `NameFn`).
pub fn object_name(kind: &str, name: &str) -> Vec<String> {
    match kind {
        "Namespace" => dns1123_label(name),
        "Service" => dns1035_label(name),
        _ => dns1123_subdomain(name),
    }
}

/// How the apiserver words a refused value (`field.Invalid`, printed by
/// `field.Error.Error`): `Invalid value: "Node_1": <each problem>; …`.
pub fn invalid(value: &str, errs: &[String]) -> String {
    format!("Invalid value: \"{}\": {}", value, errs.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Cases from upstream's validation_test.go (TestIsDNS1123Label,
    // TestIsDNS1123Subdomain, TestIsDNS1035Label, TestIsQualifiedName,
    // TestIsValidLabelValue).
    #[test]
    fn dns1123_label_cases() {
        for ok in ["a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01", "012", "1a", "1-a", "1--a--b--2"] {
            assert!(dns1123_label(ok).is_empty(), "{ok}");
        }
        let long = "a".repeat(64);
        for bad in [
            "", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a", "1-", "-1", "_", "a_", "_a", "a_b", "1_", "_1",
            "1_2", ".", "a.", ".a", "a.b", "1.", ".1", "1.2", " ", "a ", " a", "a b", "1 ", " 1", "1 2", &long,
        ] {
            assert!(!dns1123_label(bad).is_empty(), "{bad}");
        }
    }

    #[test]
    fn dns1123_subdomain_cases() {
        for ok in [
            "a",
            "ab",
            "abc",
            "a1",
            "a-1",
            "a--1--2--b",
            "0",
            "01",
            "012",
            "1a",
            "1-a",
            "1--a--b--2",
            "a.a",
            "ab.a",
            "abc.a",
            "a1.a",
            "a-1.a",
            "a--1--2--b.a",
            "a.1",
            "ab.1",
            "abc.1",
            "a1.1",
            "a-1.1",
            "a--1--2--b.1",
            "0.a",
            "01.a",
            "012.a",
            "1a.a",
            "1-a.a",
            "1--a--b--2",
            "0.1",
            "01.1",
            "012.1",
            "1a.1",
            "1-a.1",
            "1--a--b--2.1",
            "a.b.c.d.e",
            "aa.bb.cc.dd.ee",
            "1.2.3.4.5",
            "11.22.33.44.55",
        ] {
            assert!(dns1123_subdomain(ok).is_empty(), "{ok}");
        }
        assert!(dns1123_subdomain(&"a".repeat(253)).is_empty());
        let long = "a".repeat(254);
        for bad in [
            "", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a", "1-", "-1", "_", "a_", "_a", "a_b", "1_", "_1",
            "1_2", ".", "a.", ".a", "a..b", "1.", ".1", "1..2", " ", "a ", " a", "a b", "1 ", " 1", "1 2", "A.a",
            "aB.a", "ab.A", "A1.a", "a1.A", "A.1", "aB.1", "A1.1", "1A.1", "0.A", "01.A", "012.A", "1A.a", "1a.A",
            "1-A.a", "1-a.A", "X_Y", "Node_1", &long,
        ] {
            assert!(!dns1123_subdomain(bad).is_empty(), "{bad}");
        }
    }

    #[test]
    fn dns1035_label_cases() {
        for ok in ["a", "ab", "abc", "a1", "a-1", "a--1--2--b"] {
            assert!(dns1035_label(ok).is_empty(), "{ok}");
        }
        let long = "a".repeat(64);
        for bad in [
            "0",
            "01",
            "012",
            "1a",
            "1-a",
            "1--a--b--2",
            "",
            "A",
            "ABC",
            "aBc",
            "A1",
            "A-1",
            "1-A",
            "-",
            "a-",
            "-a",
            "1-",
            "-1",
            "_",
            "a_",
            "_a",
            "a_b",
            "1_",
            "_1",
            "1_2",
            ".",
            "a.",
            ".a",
            "a.b",
            "1.",
            ".1",
            "1.2",
            " ",
            "a ",
            " a",
            "a b",
            "1 ",
            " 1",
            "1 2",
            &long,
        ] {
            assert!(!dns1035_label(bad).is_empty(), "{bad}");
        }
    }

    #[test]
    fn qualified_names_and_label_values() {
        for ok in [
            "simple",
            "now-with-dashes",
            "1-starts-with-num",
            "1234",
            "simple/simple",
            "now-with-dashes/simple",
            "now-with-dashes/now-with-dashes",
            "now.with.dots/simple",
            "now-with.dashes-and.dots/simple",
            "1-num.2-num/3-num",
            "1234/5678",
            "1.2.3.4/5678",
            "Uppercase_Is_OK_123",
            "example.com/Uppercase_Is_OK_123",
            "requests.storage-foo",
            &"a".repeat(63),
            &format!("{}/b", "a".repeat(253)),
        ] {
            assert!(qualified_name(ok).is_empty(), "{ok}");
        }
        for bad in [
            "nospecialchars%^=@",
            "cantendwithadash-",
            "-cantstartwithadash-",
            "only/one/slash",
            "Example.com/abc",
            "example_com/abc",
            "example.com/",
            "/simple",
            &"a".repeat(64),
            &format!("{}/b", "a".repeat(254)),
        ] {
            assert!(!qualified_name(bad).is_empty(), "{bad}");
        }
        for ok in ["simple", "now-with-dashes", "1-starts-with-num", "end-with-num-1", "1234", &"a".repeat(63), ""] {
            assert!(label_value(ok).is_empty(), "{ok}");
        }
        for bad in [
            "nospecialchars%^=@",
            "Tama-nui-te-rā.is.Māori.sun",
            "\\backslashes\\are\\bad",
            "-starts-with-dash",
            "ends-with-dash-",
            ".starts.with.dot",
            "ends.with.dot.",
            &"a".repeat(64),
        ] {
            assert!(!label_value(bad).is_empty(), "{bad}");
        }
    }

    #[test]
    fn names_by_kind() {
        assert!(object_name("Pod", "kubia.v1").is_empty());
        assert!(!object_name("Namespace", "a.b").is_empty());
        assert!(!object_name("Service", "1abc").is_empty());
        assert!(!object_name("Pod", "X_Y").is_empty());
    }
}

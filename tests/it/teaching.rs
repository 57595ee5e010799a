//! The RFC and OpenID citations a learner reads, kept checkable: every section that a
//! string in `src/` cites (narration, scenarios, the chooser, pages, error
//! descriptions) is listed in docs/TEACHING.md with its title, every entry
//! there is cited somewhere, and each "read the RFC" link goes to a section
//! that its citation names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// (document, section): the document is `RFC 6749` or one of the OpenID
/// specifications (`OPENID`); an empty section is the whole document.
type Citation = (String, String);

/// The OpenID Foundation's specifications the lab cites, by the names a
/// learner reads.
const OPENID: [&str; 3] =
    ["OpenID Connect Core 1.0", "OpenID Connect Discovery 1.0", "OpenID Connect RP-Initiated Logout 1.0"];

/// The string literals of a Rust file, comments and char literals skipped,
/// escapes and line continuations resolved as far as citations need.
fn string_literals(src: &str) -> Vec<String> {
    let b = src.as_bytes();
    let (mut i, mut out) = (0, vec![]);
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            // A char literal ('"', '\\', '\'') or a lifetime ('a).
            b'\'' => {
                let close = if b.get(i + 1) == Some(&b'\\') {
                    (i + 3..(i + 12).min(b.len())).find(|&j| b[j] == b'\'')
                } else {
                    let ch = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                    (b.get(i + 1 + ch) == Some(&b'\'')).then_some(i + 1 + ch)
                };
                i = close.map_or(i + 1, |c| c + 1);
            }
            b'r' if matches!(b.get(i + 1), Some(b'#') | Some(b'"'))
                && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) =>
            {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                let open = i + 1 + hashes;
                if b.get(open) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let end = format!("\"{}", "#".repeat(hashes));
                let close = src[open + 1..].find(&end).map_or(b.len(), |j| open + 1 + j);
                out.push(src[open + 1..close].to_string());
                i = close + end.len();
            }
            b'"' => {
                let mut s = String::new();
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        match b.get(i + 1) {
                            // A line continuation: the newline and the
                            // next line's indent go.
                            Some(b'\n') => {
                                i += 2;
                                while i < b.len() && b[i].is_ascii_whitespace() {
                                    i += 1;
                                }
                                continue;
                            }
                            Some(&c) => s.push(c as char),
                            None => {}
                        }
                        i += 2;
                        continue;
                    }
                    let ch = src[i..].chars().next().unwrap();
                    s.push(ch);
                    i += ch.len_utf8();
                }
                out.push(s);
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// A dotted section number at the start of `s`, trailing dot dropped.
fn section_number(s: &str) -> Option<String> {
    let n: String = s.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let n = n.trim_end_matches('.');
    (!n.is_empty() && n.starts_with(|c: char| c.is_ascii_digit())).then(|| n.to_string())
}

/// "§4.1 to §4.3" means §4.2 too.
fn range(from: &str, to: &str) -> Vec<String> {
    let (Some((fp, fl)), Some((tp, tl))) = (from.rsplit_once('.'), to.rsplit_once('.')) else {
        return vec![to.to_string()];
    };
    match (fl.parse::<u32>(), tl.parse::<u32>()) {
        (Ok(a), Ok(z)) if fp == tp && a < z => (a + 1..=z).map(|k| format!("{fp}.{k}")).collect(),
        _ => vec![to.to_string()],
    }
}

/// The citations in one string: "RFC 6749" (or an OpenID specification
/// by name) names the document, and each "§4.1" or "section 4.1" after it,
/// up to the next document, is one of its sections. A section before any
/// document is an error.
fn citations(s: &str) -> Result<Vec<Citation>, String> {
    let mut out = vec![];
    let mut current: Option<String> = None;
    let mut last_section: Option<String> = None;
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("RFC ") {
            if let Some(n) = after.get(..4).and_then(|d| d.parse::<u32>().ok()) {
                current = Some(format!("RFC {n}"));
                last_section = None;
                out.push((format!("RFC {n}"), String::new()));
                rest = &after[4..];
                continue;
            }
        }
        if let Some(doc) = OPENID.iter().find(|d| rest.starts_with(*d)) {
            current = Some(doc.to_string());
            last_section = None;
            out.push((doc.to_string(), String::new()));
            rest = &rest[doc.len()..];
            continue;
        }
        let section = rest.strip_prefix('§').or_else(|| rest.strip_prefix("section ")).map(str::trim_start);
        if let Some(number) = section.and_then(section_number) {
            let Some(doc) = current.clone() else { return Err(format!("a section with no RFC before it: {s}")) };
            let preceded_by_to = s[..s.len() - rest.len()].trim_end().ends_with(" to");
            let numbers = match (&last_section, preceded_by_to) {
                (Some(from), true) => range(from, &number),
                _ => vec![number.clone()],
            };
            out.extend(numbers.into_iter().map(|n| (doc.clone(), n)));
            last_section = Some(number);
        }
        let step = rest.chars().next().map_or(1, char::len_utf8);
        rest = &rest[step..];
    }
    Ok(out)
}

/// A link to the RFC Editor's copy: (RFC, section).
fn link(s: &str) -> Option<Citation> {
    let rest = s.strip_prefix("https://www.rfc-editor.org/rfc/rfc")?;
    let (n, section) = rest.split_once("#section-").unwrap_or((rest, ""));
    Some((format!("RFC {}", n.parse::<u32>().ok()?), section.to_string()))
}

fn show(c: &Citation) -> String {
    if c.1.is_empty() {
        c.0.clone()
    } else {
        format!("{} §{}", c.0, c.1)
    }
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// docs/TEACHING.md's list: "- RFC 6749 §4.1.1: Authorization Request",
/// or "- OpenID Connect Core 1.0 §2: ID Token".
fn listed(root: &Path) -> BTreeMap<Citation, String> {
    let text = std::fs::read_to_string(root.join("docs/TEACHING.md")).unwrap();
    let mut out = BTreeMap::new();
    let entries = text.lines().filter_map(|l| l.strip_prefix("- ")).filter(|l| {
        l.starts_with("RFC ")
            || OPENID.iter().any(|d| l.starts_with(&format!("{d}:")) || l.starts_with(&format!("{d} §")))
    });
    for line in entries {
        let (cite, title) = line.split_once(": ").unwrap_or_else(|| panic!("no title: {line}"));
        let (n, section) = cite.split_once(" §").unwrap_or((cite, ""));
        // A heading, not a quote or a note: short, and no sentence.
        let heading = !title.trim().is_empty()
            && title.len() <= 90
            && !title.starts_with('"')
            && !title.trim_end().ends_with(['.', ':']);
        assert!(heading, "{line}: the title is not a section heading");
        let known = n.strip_prefix("RFC ").is_some_and(|d| d.parse::<u32>().is_ok()) || OPENID.contains(&n);
        assert!(known, "not an RFC or an OpenID specification: {line}");
        let key = (n.to_string(), section.to_string());
        assert!(out.insert(key, title.to_string()).is_none(), "listed twice: {line}");
    }
    out
}

#[test]
fn every_citation_a_learner_reads_is_listed_with_its_title() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let list = listed(root);
    assert!(list.len() > 50, "docs/TEACHING.md lists {} citations", list.len());
    let mut files = vec![];
    rust_files(&root.join("src"), &mut files);
    let mut cited: BTreeSet<Citation> = BTreeSet::new();
    let mut problems = vec![];
    for file in &files {
        let name = file.strip_prefix(root).unwrap().display().to_string();
        let literals = string_literals(&std::fs::read_to_string(file).unwrap());
        for (i, s) in literals.iter().enumerate() {
            let found = match citations(s) {
                Ok(c) => c,
                Err(e) => {
                    problems.push(format!("{name}: {e}"));
                    continue;
                }
            };
            let linked = link(s);
            for c in found.iter().chain(linked.iter()) {
                if !list.contains_key(c) {
                    problems.push(format!("{name}: {} is not in docs/TEACHING.md", show(c)));
                }
                cited.insert(c.clone());
            }
            // A citation followed by its link: the link goes to a section
            // the citation names.
            if s.starts_with("RFC ") {
                if let Some(target) = literals.get(i + 1).and_then(|u| link(u)) {
                    if !found.contains(&target) {
                        problems.push(format!("{name}: \"{s}\" links to {}, which it does not cite", show(&target)));
                    }
                }
            }
        }
    }
    for c in list.keys().filter(|c| !cited.contains(*c)) {
        problems.push(format!("docs/TEACHING.md lists {}, which no learner-facing text cites", show(c)));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_scanner_reads_citations_as_a_learner_would() {
    let lits = string_literals(
        "let c = '\"'; // \"RFC 1111 §1\"\nlet a = \"RFC 6749 §4.1.1, RFC 9700 §4.1 to §4.3 (§4.6)\"; let b = r#\"RFC 7009 section 2.1.\"#;",
    );
    assert_eq!(lits.len(), 2, "{lits:?}");
    let c = citations(&lits[0]).unwrap();
    let want: Vec<Citation> =
        [(6749, ""), (6749, "4.1.1"), (9700, ""), (9700, "4.1"), (9700, "4.2"), (9700, "4.3"), (9700, "4.6")]
            .into_iter()
            .map(|(n, s)| (format!("RFC {n}"), s.to_string()))
            .collect();
    assert_eq!(c, want);
    assert_eq!(
        citations(&lits[1]).unwrap(),
        vec![("RFC 7009".into(), String::new()), ("RFC 7009".into(), "2.1".into())]
    );
    assert!(citations("see §4.1").is_err());
    assert_eq!(
        citations("(OpenID Connect Core 1.0 section 3.1.2.6, RFC 6749 §5.2)").unwrap(),
        vec![
            ("OpenID Connect Core 1.0".into(), String::new()),
            ("OpenID Connect Core 1.0".into(), "3.1.2.6".into()),
            ("RFC 6749".into(), String::new()),
            ("RFC 6749".into(), "5.2".into())
        ]
    );
    assert_eq!(link("https://www.rfc-editor.org/rfc/rfc9700#section-4.3.2"), Some(("RFC 9700".into(), "4.3.2".into())));
}

//! The workspace's members as cargo sees them (`cargo metadata --no-deps`),
//! for the `msrv` and `package` steps, with the little JSON reader that
//! needs (xtask depends on nothing but std).

use std::path::{Path, PathBuf};

use crate::process::cargo_output;

/// One workspace member, as `cargo metadata` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// The package name.
    pub(crate) name: String,
    /// Its version.
    pub(crate) version: String,
    /// The directory of its `Cargo.toml`.
    pub(crate) dir: PathBuf,
    /// Whether it may be published (`publish` is not `false`).
    pub(crate) publish: bool,
    /// Its `rust-version`, if it declares one.
    pub(crate) rust_version: Option<String>,
}

/// Runs `cargo metadata --no-deps` in `root` and returns every member.
pub(crate) fn members(root: &Path) -> Result<Vec<Member>, String> {
    let text = cargo_output(
        root,
        &["metadata", "--no-deps", "--format-version", "1", "--quiet"],
    )?;
    parse_members(&text).map_err(|e| format!("cannot read `cargo metadata`: {e}"))
}

/// The members described by `cargo metadata --no-deps` output `text`.
fn parse_members(text: &str) -> Result<Vec<Member>, String> {
    let json = Json::parse(text)?;
    let packages = json
        .get("packages")
        .and_then(Json::as_array)
        .ok_or("no `packages` list")?;
    packages.iter().map(member).collect()
}

/// One element of `packages`.
fn member(package: &Json) -> Result<Member, String> {
    let text = |key: &str| {
        package
            .get(key)
            .and_then(Json::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("a package without `{key}`"))
    };
    let manifest = PathBuf::from(text("manifest_path")?);
    let name = text("name")?;
    // `null`: anywhere; `[]`: nowhere (`publish = false`); else the registries.
    let publish = match package.get("publish") {
        Some(Json::Null) => true,
        Some(Json::Array(registries)) => !registries.is_empty(),
        _ => return Err(format!("`{name}` has no `publish` entry")),
    };
    Ok(Member {
        version: text("version")?,
        dir: manifest.parent().unwrap_or(&manifest).to_path_buf(),
        publish,
        rust_version: package
            .get("rust_version")
            .and_then(Json::as_str)
            .map(str::to_owned),
        name,
    })
}

/// A JSON value; numbers are kept as their text.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses `text`, which must hold exactly one value.
    fn parse(text: &str) -> Result<Json, String> {
        let mut reader = Reader {
            bytes: text.as_bytes(),
            at: 0,
        };
        let value = reader.value()?;
        reader.skip_space();
        if reader.at != reader.bytes.len() {
            return Err(format!("unexpected text at byte {}", reader.at));
        }
        Ok(value)
    }

    /// The value of `key`, if this is an object that has it.
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The text, if this is a string.
    fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }
}

/// A cursor over the JSON text.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn skip_space(&mut self) {
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    /// Skips spaces, then consumes `byte` or fails.
    fn expect(&mut self, byte: u8) -> Result<(), String> {
        self.skip_space();
        if self.bytes.get(self.at) == Some(&byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(format!("expected `{}` at byte {}", byte as char, self.at))
        }
    }

    /// Consumes `word` if the text goes on with it.
    fn eat(&mut self, word: &str) -> bool {
        let found = self.bytes[self.at..].starts_with(word.as_bytes());
        if found {
            self.at += word.len();
        }
        found
    }

    fn value(&mut self) -> Result<Json, String> {
        self.skip_space();
        match self.bytes.get(self.at) {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.at;
                while self
                    .bytes
                    .get(self.at)
                    .is_some_and(|b| b"+-.eE0123456789".contains(b))
                {
                    self.at += 1;
                }
                let number = String::from_utf8_lossy(&self.bytes[start..self.at]);
                Ok(Json::Number(number.into_owned()))
            }
            _ if self.eat("null") => Ok(Json::Null),
            _ if self.eat("true") => Ok(Json::Bool(true)),
            _ if self.eat("false") => Ok(Json::Bool(false)),
            _ => Err(format!("expected a value at byte {}", self.at)),
        }
    }

    /// The comma-separated items between `open` and `close`; `item` reads one.
    fn list<T>(
        &mut self,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        self.expect(open)?;
        let mut items = Vec::new();
        self.skip_space();
        if self.bytes.get(self.at) == Some(&close) {
            self.at += 1;
            return Ok(items);
        }
        loop {
            items.push(item(self)?);
            self.skip_space();
            match self.bytes.get(self.at) {
                Some(b',') => self.at += 1,
                Some(b) if *b == close => {
                    self.at += 1;
                    return Ok(items);
                }
                _ => {
                    return Err(format!(
                        "expected `,` or `{}` at byte {}",
                        close as char, self.at
                    ));
                }
            }
        }
    }

    fn array(&mut self) -> Result<Json, String> {
        self.list(b'[', b']', Self::value).map(Json::Array)
    }

    fn object(&mut self) -> Result<Json, String> {
        self.list(b'{', b'}', |r| {
            r.skip_space();
            let key = r.string()?;
            r.expect(b':')?;
            Ok((key, r.value()?))
        })
        .map(Json::Object)
    }

    /// A string, its escapes decoded.
    fn string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut out = String::new();
        loop {
            let start = self.at;
            while self
                .bytes
                .get(self.at)
                .is_some_and(|b| *b != b'"' && *b != b'\\')
            {
                self.at += 1;
            }
            out.push_str(
                std::str::from_utf8(&self.bytes[start..self.at]).map_err(|e| e.to_string())?,
            );
            match self.bytes.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    out.push(self.escape()?);
                }
                _ => return Err("unterminated string".to_owned()),
            }
        }
    }

    /// The character of the escape after a `\`.
    fn escape(&mut self) -> Result<char, String> {
        let Some(&byte) = self.bytes.get(self.at) else {
            return Err("unterminated escape".to_owned());
        };
        self.at += 1;
        Ok(match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&high) && self.eat("\\u") {
                    let low = self.hex4()?;
                    0x10000 + ((high - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF)
                } else {
                    high
                };
                char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER)
            }
            other => return Err(format!("bad escape `\\{}`", other as char)),
        })
    }

    /// Four hex digits.
    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .bytes
            .get(self.at..self.at + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| format!("bad `\\u` escape at byte {}", self.at))?;
        self.at += 4;
        Ok(digits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_values_are_read() {
        let json = Json::parse(
            r#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "x\"\\\/\n\u00e9\ud83d\ude00"}, "e": []} "#,
        )
        .unwrap();
        let a = json.get("a").and_then(Json::as_array).unwrap();
        assert_eq!(a[0], Json::Number("1".to_owned()));
        assert_eq!(a[1], Json::Number("-2.5e3".to_owned()));
        assert_eq!(&a[2..], [Json::Bool(true), Json::Bool(false), Json::Null]);
        let c = json
            .get("b")
            .and_then(|b| b.get("c"))
            .and_then(Json::as_str);
        assert_eq!(c, Some("x\"\\/\n\u{e9}\u{1F600}"));
        assert_eq!(json.get("e").and_then(Json::as_array), Some(&[][..]));
        assert_eq!(json.get("missing"), None);
    }

    #[test]
    fn bad_json_is_refused() {
        for bad in [
            "",
            "{",
            "[1,]",
            "[1 2]",
            r#"{"a" 1}"#,
            r#""abc"#,
            r#""\q""#,
            r#""\u12""#,
            "nul",
            "{} {}",
            "[1]]",
        ] {
            assert!(Json::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn members_are_read_from_cargo_metadata() {
        let text = r#"{"packages":[
            {"name":"lib","version":"0.1.0","dependencies":[{"name":"dep"}],
             "manifest_path":"/w/crates/lib/Cargo.toml","metadata":{"publish":false},
             "publish":null,"rust_version":"1.95"},
            {"name":"tool","version":"0.2.0","manifest_path":"/w/tool/Cargo.toml",
             "metadata":null,"publish":[],"rust_version":null}
        ],"workspace_members":[]}"#;
        let members = parse_members(text).unwrap();
        assert_eq!(
            members,
            [
                Member {
                    name: "lib".to_owned(),
                    version: "0.1.0".to_owned(),
                    dir: PathBuf::from("/w/crates/lib"),
                    publish: true,
                    rust_version: Some("1.95".to_owned()),
                },
                Member {
                    name: "tool".to_owned(),
                    version: "0.2.0".to_owned(),
                    dir: PathBuf::from("/w/tool"),
                    publish: false,
                    rust_version: None,
                },
            ]
        );
        assert!(parse_members(r#"{"packages":[{"name":"x"}]}"#).is_err());
        assert!(parse_members("{}").is_err());
    }

    /// What cargo really prints parses, and names this crate.
    #[test]
    fn this_workspace_is_read() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let members = members(root).unwrap();
        let xtask = members.iter().find(|m| m.name == "xtask").unwrap();
        assert!(!xtask.publish);
        assert_eq!(xtask.dir, Path::new(env!("CARGO_MANIFEST_DIR")));
        assert!(members.iter().any(|m| m.publish));
    }
}

//! A parser for the Python literals (`repr` of dicts, lists, tuples, strings, numbers, True,
//! False, None) that Steam's files hold one per line. It only builds data: nothing read is
//! ever evaluated.
use serde_json::{Map, Number, Value};

/// Parses one literal into JSON values (tuples become arrays, dict keys must be strings).
pub fn parse(text: &str) -> Result<Value, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        pos: 0,
        depth: 0,
    };
    let v = p.value()?;
    p.skip_ws();
    if p.pos != p.s.len() {
        return Err(p.fail("trailing characters after the literal"));
    }
    Ok(v)
}

/// Deepest nesting accepted, so that a hostile line cannot overflow the stack.
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn fail(&self, what: &str) -> String {
        format!("{what} at column {}", self.pos + 1)
    }

    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.pos).copied()
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.peek() {
            Some(b'{') => self.nested(b'}', true),
            Some(b'[') => self.nested(b']', false),
            Some(b'(') => self.nested(b')', false),
            Some(q @ (b'\'' | b'"')) => self.string(q).map(Value::String),
            Some(b'-' | b'+' | b'.' | b'0'..=b'9') => self.number(),
            Some(_) => self.word(),
            None => Err(self.fail("unexpected end of line")),
        }
    }

    /// A dict (`is_dict`), list or tuple closed by `close`.
    fn nested(&mut self, close: u8, is_dict: bool) -> Result<Value, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.fail("nesting deeper than 64 levels"));
        }
        self.pos += 1;
        let mut map = Map::new();
        let mut items = Vec::new();
        loop {
            if self.peek() == Some(close) {
                self.pos += 1;
                break;
            }
            if is_dict {
                let key = match self.value()? {
                    Value::String(k) => k,
                    other => other.to_string(),
                };
                if self.peek() != Some(b':') {
                    return Err(self.fail("expected ':' in a dict"));
                }
                self.pos += 1;
                let v = self.value()?;
                map.insert(key, v);
            } else {
                items.push(self.value()?);
            }
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(c) if c == close => {}
                _ => return Err(self.fail(&format!("expected ',' or '{}'", close as char))),
            }
        }
        self.depth -= 1;
        Ok(if is_dict {
            Value::Object(map)
        } else {
            Value::Array(items)
        })
    }

    fn word(&mut self) -> Result<Value, String> {
        let rest = &self.text[self.pos..];
        for (w, v) in [
            ("True", Value::Bool(true)),
            ("False", Value::Bool(false)),
            ("None", Value::Null),
        ] {
            if rest.starts_with(w) {
                self.pos += w.len();
                return Ok(v);
            }
        }
        Err(self.fail("unexpected character (only literals are accepted)"))
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.pos;
        while self.pos < self.s.len()
            && matches!(
                self.s[self.pos],
                b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E' | b'_'
            )
        {
            self.pos += 1;
        }
        let lit: String = self.text[start..self.pos]
            .chars()
            .filter(|&c| c != '_')
            .collect();
        if let Ok(i) = lit.parse::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        lit.parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| self.fail(&format!("bad number `{lit}`")))
    }

    fn string(&mut self, quote: u8) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let start = self.pos;
            while self.pos < self.s.len() && self.s[self.pos] != quote && self.s[self.pos] != b'\\'
            {
                self.pos += 1;
            }
            out.push_str(&self.text[start..self.pos]);
            match self.s.get(self.pos) {
                None => return Err(self.fail("unterminated string")),
                Some(&c) if c == quote => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(_) => self.escape(&mut out)?,
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), String> {
        let c = *self
            .s
            .get(self.pos + 1)
            .ok_or_else(|| self.fail("unterminated escape"))?;
        self.pos += 2;
        let simple = match c {
            b'\\' => Some('\\'),
            b'\'' => Some('\''),
            b'"' => Some('"'),
            b'n' => Some('\n'),
            b't' => Some('\t'),
            b'r' => Some('\r'),
            b'a' => Some('\x07'),
            b'b' => Some('\x08'),
            b'f' => Some('\x0c'),
            b'v' => Some('\x0b'),
            b'0' => Some('\0'),
            b'\n' => return Ok(()),
            _ => None,
        };
        if let Some(ch) = simple {
            out.push(ch);
            return Ok(());
        }
        let width = match c {
            b'x' => 2,
            b'u' => 4,
            b'U' => 8,
            _ => {
                // Python keeps unknown escapes verbatim.
                out.push('\\');
                self.pos -= 1;
                return Ok(());
            }
        };
        let hex = self
            .text
            .get(self.pos..self.pos + width)
            .ok_or_else(|| self.fail("short escape"))?;
        let code = u32::from_str_radix(hex, 16).map_err(|_| self.fail("bad hex escape"))?;
        self.pos += width;
        // Lone surrogates cannot be represented in Rust strings.
        out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use serde_json::json;

    #[test]
    fn parses_steam_like_lines() {
        let line = r#"{'username': 'Chaos Syren', 'hours': 0.1, 'products': 41, 'product_id': '725280', 'date': '2017-12-17', 'text': "It's \"fun\"\n caf\xe9 \u2603", 'early_access': False, 'found_funny': None, 'tags': ['a', "b"], 't': (1, -2.5e3), 'ok': True}"#;
        let v = parse(line).unwrap();
        assert_eq!(v["username"], "Chaos Syren");
        assert_eq!(v["hours"], json!(0.1));
        assert_eq!(v["products"], 41);
        assert_eq!(v["text"], "It's \"fun\"\n café ☃");
        assert_eq!(v["early_access"], false);
        assert_eq!(v["found_funny"], json!(null));
        assert_eq!(v["tags"], json!(["a", "b"]));
        assert_eq!(v["t"], json!([1, -2500.0]));
        assert_eq!(v["ok"], true);
    }

    #[test]
    fn rejects_non_literals() {
        for bad in [
            "{'a': 1",
            "{'a' 1}",
            "__import__('os')",
            "{'a': 1} x",
            "'abc",
            &"[".repeat(100),
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}

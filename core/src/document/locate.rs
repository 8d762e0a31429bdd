//! Finds where a JSON value sits in the text a person wrote, so that a problem found after
//! parsing (a bad regex in `/rules/3/match/pattern`) is reported with its line and column.

/// 1-based line and column of the value at `pointer` (RFC 6901, e.g. `/rules/3/id`) in `text`;
/// the closest enclosing value when the exact one is missing, and `(1, 1)` for unparseable text.
pub fn locate(text: &str, pointer: &str) -> (usize, usize) {
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let bytes = text.as_bytes();
    let mut scanner = Scanner { bytes, pos: 0 };
    scanner.skip_ws();
    let offset = scanner
        .find(&segments)
        .unwrap_or(scanner.pos.min(bytes.len()));
    line_col(text, offset)
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.pos += 1;
        }
    }

    /// At the start of a value: returns the offset of the value the segments lead to, or of
    /// the deepest one reached.
    fn find(&mut self, segments: &[String]) -> Option<usize> {
        let start = self.pos;
        let Some((first, rest)) = segments.split_first() else {
            return Some(start);
        };
        match self.peek()? {
            b'{' => {
                self.pos += 1;
                loop {
                    self.skip_ws();
                    if self.peek()? == b'}' {
                        return Some(start);
                    }
                    let key = self.string()?;
                    self.skip_ws();
                    if self.peek()? != b':' {
                        return Some(start);
                    }
                    self.pos += 1;
                    self.skip_ws();
                    if &key == first {
                        return self.find(rest).or(Some(start));
                    }
                    self.skip_value()?;
                    self.skip_ws();
                    if self.peek()? == b',' {
                        self.pos += 1;
                    }
                }
            }
            b'[' => {
                let wanted: usize = first.parse().ok()?;
                self.pos += 1;
                let mut index = 0;
                loop {
                    self.skip_ws();
                    if self.peek()? == b']' {
                        return Some(start);
                    }
                    if index == wanted {
                        return self.find(rest).or(Some(start));
                    }
                    self.skip_value()?;
                    self.skip_ws();
                    if self.peek()? == b',' {
                        self.pos += 1;
                    }
                    index += 1;
                }
            }
            _ => Some(start),
        }
    }

    fn string(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.pos;
        self.skip_value()?;
        serde_json::from_slice(&self.bytes[start..self.pos]).ok()
    }

    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => {
                self.pos += 1;
                loop {
                    match self.peek()? {
                        b'\\' => self.pos += 2,
                        b'"' => {
                            self.pos += 1;
                            return Some(());
                        }
                        _ => self.pos += 1,
                    }
                }
            }
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.pos += 1;
                loop {
                    self.skip_ws();
                    let next = self.peek()?;
                    if next == close {
                        self.pos += 1;
                        return Some(());
                    }
                    if matches!(next, b',' | b':') {
                        self.pos += 1;
                    } else {
                        self.skip_value()?;
                    }
                }
            }
            _ => {
                while !matches!(
                    self.peek(),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
                ) {
                    self.pos += 1;
                }
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "{\n  \"version\": 1,\n  \"rules\": [\n    {\"id\": \"a\"},\n    {\"id\": \"b\", \"match\": {\"pattern\": \"(\"}}\n  ]\n}\n";

    #[test]
    fn a_nested_value_is_found() {
        assert_eq!(locate(TEXT, "/rules/1/match/pattern"), (5, 38));
        assert_eq!(locate(TEXT, "/rules/0/id"), (4, 12));
        assert_eq!(locate(TEXT, "/version"), (2, 14));
    }

    #[test]
    fn a_missing_value_points_at_its_closest_parent() {
        assert_eq!(locate(TEXT, "/rules/7"), (3, 12));
        assert_eq!(locate(TEXT, "/nothing"), (1, 1));
    }

    #[test]
    fn escaped_keys_and_strings_with_brackets_are_skipped() {
        let text = r#"{"a/b": "x]}", "c": [1, "{", 2]}"#;
        assert_eq!(locate(text, "/a~1b"), (1, 9));
        assert_eq!(locate(text, "/c/2"), (1, 30));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(line_col("{\"ñ\": 1}", 7), (1, 7));
        assert_eq!(line_col("hola", 0), (1, 1));
        assert_eq!(line_col("a\nbñc {{", 6), (2, 4));
    }
}

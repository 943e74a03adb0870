//! CSV as RFC 4180 reads it: comma-separated, fields with commas, quotes or line breaks
//! in double quotes, quotes doubled. Reading accepts `\n` or `\r\n` line ends and a
//! leading byte-order mark; writing uses `\r\n` and neutralises cells a spreadsheet
//! would run as a formula.

/// Parses `text` into records. A line that is entirely empty is skipped. An unterminated
/// quote is an error naming the 1-based line where the field started.
pub fn parse(text: &str) -> Result<Vec<Vec<String>>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut line = 1_usize;
    let mut quoted_from: Option<usize> = None;
    let mut in_quotes = false;
    let mut field_started = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if !field_started => {
                in_quotes = true;
                field_started = true;
                quoted_from = Some(line);
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                field_started = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                line += 1;
                record.push(std::mem::take(&mut field));
                field_started = false;
                if !(record.len() == 1 && record[0].is_empty()) {
                    records.push(std::mem::take(&mut record));
                } else {
                    record.clear();
                }
            }
            _ => {
                field_started = true;
                field.push(c);
            }
        }
    }
    if in_quotes {
        return Err(format!(
            "a quoted field that starts on line {} is never closed",
            quoted_from.unwrap_or(line)
        ));
    }
    if field_started || !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

/// One cell, quoted when needed; text a spreadsheet would evaluate (`=`, `+`, `-`, `@`,
/// tab, carriage return first) is prefixed with `'`.
pub fn cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// One record of already-formatted cells (numbers) or text (through [`cell`]).
pub fn line(cells: &[String]) -> String {
    let mut out = cells.join(",");
    out.push_str("\r\n");
    out
}

/// A record written without formula protection (for re-sending parsed records as-is).
pub fn raw_line(fields: &[String]) -> String {
    let cells: Vec<String> = fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) || f.starts_with(' ') || f.ends_with(' ') {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect();
    line(&cells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quotes_commas_and_line_breaks_survive() {
        let text = "name,note\r\n\"Smith, Ann\",\"said \"\"hi\"\"\nthen left\"\n\nBob,\n";
        let rows = parse(text).unwrap();
        assert_eq!(
            rows,
            vec![
                vec!["name".to_string(), "note".into()],
                vec!["Smith, Ann".into(), "said \"hi\"\nthen left".into()],
                vec!["Bob".into(), "".into()],
            ]
        );
    }

    #[test]
    fn an_unclosed_quote_names_its_line() {
        assert_eq!(
            parse("a,b\n1,\"open\n2,3\n").unwrap_err(),
            "a quoted field that starts on line 2 is never closed"
        );
    }

    #[test]
    fn formulas_are_neutralised_on_the_way_out() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("plain"), "plain");
        assert_eq!(parse("\u{feff}a,b").unwrap(), vec![vec!["a", "b"]]);
    }

    proptest! {
        #[test]
        fn what_is_written_raw_reads_back(rows in proptest::collection::vec(
            proptest::collection::vec("[a-z ,\"\n\r]{0,8}", 1..5), 1..8)
        ) {
            let text: String = rows.iter().map(|r| raw_line(r)).collect();
            let back = parse(&text).unwrap();
            let expected: Vec<Vec<String>> = rows.into_iter()
                .filter(|r| !(r.len() == 1 && r[0].is_empty()))
                .collect();
            prop_assert_eq!(back, expected);
        }
    }
}
